//! Row mappers and column lists shared by the SQLite state's queries.

use crate::engine::state::{Grant, KeyKind, LearnKey, PatternStats, PendingAsk};
use crate::request::{Decision, RiskTier};

pub(super) fn decision_of(s: &str) -> Decision {
    Decision::parse(s).unwrap_or(Decision::Ask)
}

pub(super) fn pattern_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PatternStats> {
    let kind: String = r.get(3)?;
    Ok(PatternStats {
        project: r.get(0)?,
        tool: r.get(1)?,
        action: r.get(2)?,
        key: LearnKey {
            kind: KeyKind::parse(&kind).unwrap_or(KeyKind::Exact),
            key: r.get(4)?,
        },
        human_allow: r.get(5)?,
        human_deny: r.get(6)?,
        inferred_deny: r.get(7)?,
        rapid_allow: r.get(8)?,
        humans: r.get(9)?,
        first_ms: r.get(10)?,
        last_ms: r.get(11)?,
        revoked_ms: r.get(12)?,
    })
}

pub(super) const PATTERN_COLS: &str = "project, tool, action, kind, key, human_allow, human_deny, \
     inferred_deny, rapid_allow, humans, first_ms, last_ms, revoked_ms";

pub(super) fn pending_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingAsk> {
    let tier: String = r.get(11)?;
    Ok(PendingAsk {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        session: r.get(2)?,
        runtime: r.get(3)?,
        tool_use_id: r.get(4)?,
        project: r.get(5)?,
        cwd: r.get(6)?,
        tool: r.get(7)?,
        action: r.get(8)?,
        scope: r.get(9)?,
        content_hash: r.get(10)?,
        risk_tier: RiskTier::parse(&tier).unwrap_or(RiskTier::High),
        state: r.get(12)?,
    })
}

pub(super) const PENDING_COLS: &str = "id, ts_ms, session, runtime, tool_use_id, project, cwd, tool, \
     action, scope, content_hash, risk_tier, state";

pub(super) fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    let d: String = r.get(8)?;
    Ok(Grant {
        id: r.get(0)?,
        created_ms: r.get(1)?,
        expires_ms: r.get(2)?,
        project: r.get(3)?,
        session: r.get(4)?,
        tool: r.get(5)?,
        action: r.get(6)?,
        scope: r.get(7)?,
        decision: decision_of(&d),
        granted_by: r.get(9)?,
        reason: r.get(10)?,
    })
}

pub(super) const GRANT_COLS: &str = "id, created_ms, expires_ms, project, session, tool, action, scope, decision, granted_by, reason";
