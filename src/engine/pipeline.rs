//! The check over a store: the snapshot a decision needs, the pure decision of DESIGN.md §3
//! ([`super::decide`]), and its effects, in the caller's transaction. Also the session key and
//! the risk budget's arithmetic that both sides share.

use super::config::EngineConfig;
use super::decide;
use super::policy::Policy;
use super::state::{SessionRow, State};
use crate::request::{Request, RiskTier, Verdict};
use crate::risk::Assessment;

/// Everything the pipeline reads besides state and the request.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// Tunables.
    pub cfg: &'a EngineConfig,
    /// Policy files.
    pub policy: &'a Policy,
    /// The user's home directory; a project there is not a project for the read baseline.
    pub home: &'a str,
}

/// The session key: the runtime's session id, or `anon:<runtime>` when it has none (so the
/// rate limit and budget cannot be dodged by omitting the id).
pub fn session_key(req: &Request) -> String {
    if req.session_id.is_empty() {
        let rt = if req.runtime.is_empty() {
            "cli"
        } else {
            req.runtime.as_str()
        };
        format!("anon:{rt}")
    } else {
        req.session_id.clone()
    }
}

/// The budget cost of an allowed request of a tier.
pub fn budget_cost(tier: RiskTier) -> f64 {
    match tier {
        RiskTier::Low => 0.1,
        RiskTier::Medium => 0.3,
        RiskTier::High => 0.7,
        RiskTier::Critical => 1.0,
    }
}

/// The session's budget use at `now_ms`, after the idle reset.
pub fn budget_used(row: Option<&SessionRow>, cfg: &EngineConfig, now_ms: i64) -> f64 {
    match row {
        Some(s)
            if cfg.budget_idle_reset_minutes <= 0
                || now_ms - s.budget_ms <= cfg.budget_idle_reset_minutes * 60_000 =>
        {
            s.budget_used
        }
        _ => 0.0,
    }
}

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
