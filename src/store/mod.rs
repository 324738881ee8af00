//! The SQLite store: connection, pragmas, numbered migrations, write transactions.
//! It stores and retrieves; it knows no policy.
