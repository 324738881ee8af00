//! The store port: what the engine needs from persistent state, as a trait the SQLite store
//! (`crate::store::SqliteStore`) implements today and a team store can implement tomorrow.
//!
//! Every gate call is one transaction. A check makes two calls inside it:
//! [`State::snapshot`] (what the pure decision reads) and [`State::apply`] (its effects, the
//! audit append last). The implementation must make that transaction serialize what a
//! read-modify-write depends on: the session's budget row and the audit chain's head. SQLite
//! does it with `BEGIN IMMEDIATE`; a networked store must lock the rows the snapshot read, or
//! concurrent checks lose budget charges or fork the chain (the conformance suite,
//! `crate::store::conformance`, checks both).

use super::state::State;
use crate::error::GateError;

/// A shareable handle on the engine's persistent state.
pub trait Store: Send + Sync {
    /// Runs `f` in one write transaction that appends to the audit chain signed with
    /// `audit_key`; commits when `f` succeeds, rolls back when it fails.
    fn write<T>(
        &self,
        audit_key: &[u8; 32],
        f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>,
    ) -> Result<T, GateError>;

    /// Runs `f` in one read transaction; its audit appends are dropped (dry runs).
    fn read<T>(&self, f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>) -> Result<T, GateError>;
}
