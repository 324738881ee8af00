//! The check over a store: the snapshot a decision needs, the pure decision of DESIGN.md §3
//! ([`super::decide`]), and its effects, in the caller's transaction.

use super::decide;
pub use super::decide::{Env, budget_cost, budget_used, session_key};
use super::state::State;
use crate::request::{Request, Verdict};
use crate::risk::Assessment;

/// Decides a request (its `project` already resolved) through `st`: reads the snapshot
/// [`decide::keys`] names, decides purely, and with `record` applies the effects (logs the
/// check, charges the budget, keeps a pending ask for an ask, appends the audit event); without
/// it (`--dry-run`), writes nothing.
pub fn check(
    st: &mut dyn State,
    env: Env<'_>,
    now_ms: i64,
    req: &Request,
    a: &Assessment,
    record: bool,
) -> anyhow::Result<(Verdict, Option<String>)> {
    let keys = decide::keys(env, now_ms, req, a);
    let snap = st.snapshot(&keys)?;
    let fresh = if record { Some(new_id()?) } else { None };
    let out = decide::decide(&snap, env, now_ms, req, a, fresh);
    st.apply(&out.effects)?;
    Ok((out.verdict, out.pending_id))
}

/// A short random id (12 hex characters) for pending asks and grants.
pub fn new_id() -> anyhow::Result<String> {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(b))
}
