//! The SQLite store: connection, pragmas, numbered migrations, write transactions.
//! It stores and retrieves; it knows no policy.

pub mod state;

/// The numbered migrations, applied in order; the index + 1 is the schema version.
/// `0001_core.sql` belongs to the foundation (meta, audit chain); `0002_engine.sql` to the
/// decision engine (decisions, pattern aggregates, checks, sessions, memory, pending asks,
/// nonces, grants, executions).
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_core.sql"),
    include_str!("migrations/0002_engine.sql"),
];
