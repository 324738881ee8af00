//! The learning aggregate's SQL: counting a decision for a key, revoking a key.

use super::rows::{PATTERN_COLS, pattern_row};
use crate::engine::state::{Counted, LearnKey, PatternStats};
use rusqlite::{Connection, OptionalExtension, params};

/// The aggregates of one key in every project (the `patterns_key` index).
pub(super) fn everywhere(
    conn: &Connection,
    tool: &str,
    action: &str,
    key: &LearnKey,
) -> anyhow::Result<Vec<PatternStats>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {PATTERN_COLS} FROM patterns WHERE tool = ?1 AND action = ?2 AND kind = ?3 \
         AND key = ?4"
    ))?;
    let rows = st.query_map(
        params![tool, action, key.kind.as_str(), key.key],
        pattern_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether any aggregate of `project` holds a counted human decision (primary-key prefix).
pub(super) fn project_known(conn: &Connection, project: &str) -> anyhow::Result<bool> {
    let found: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM patterns WHERE project = ?1 \
             AND human_allow + human_deny + inferred_deny > 0 LIMIT 1",
        )?
        .query_row(params![project], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// Links a decision to a key and updates the key's aggregate and distinct humans (a decision
/// counts at most once per key; rubber stamps do not move `last_ms`).
pub(super) fn count_key(
    conn: &Connection,
    decision_id: i64,
    (project, tool, action): (&str, &str, &str),
    key: &LearnKey,
    counted: Counted,
    who: &str,
    ts_ms: i64,
) -> anyhow::Result<()> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO decision_keys (decision_id, project, tool, action, kind, \
             key, counted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            decision_id,
            project,
            tool,
            action,
            key.kind.as_str(),
            key.key,
            counted.as_str()
        ])?;
    if inserted == 0 || counted == Counted::None {
        return Ok(()); // one decision counts once per key
    }
    let (a, d, i, r) = match counted {
        Counted::Allow => (1, 0, 0, 0),
        Counted::Deny => (0, 1, 0, 0),
        Counted::InferredDeny => (0, 0, 1, 0),
        Counted::Rapid => (0, 0, 0, 1),
        Counted::None => (0, 0, 0, 0),
    };
    // Rubber-stamped approvals do not confirm a pattern: last_ms only moves on counted ones.
    let confirms = counted != Counted::Rapid;
    conn.prepare_cached(
        "INSERT INTO patterns (project, tool, action, kind, key, human_allow, human_deny, \
             inferred_deny, rapid_allow, humans, first_ms, last_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11) \
             ON CONFLICT (project, tool, action, kind, key) DO UPDATE SET \
             human_allow = human_allow + ?6, human_deny = human_deny + ?7, \
             inferred_deny = inferred_deny + ?8, rapid_allow = rapid_allow + ?9, \
             last_ms = CASE WHEN ?12 THEN max(last_ms, ?10) ELSE last_ms END",
    )?
    .execute(params![
        project,
        tool,
        action,
        key.kind.as_str(),
        key.key,
        a,
        d,
        i,
        r,
        ts_ms,
        if confirms { ts_ms } else { 0 },
        confirms
    ])?;
    if confirms && counted != Counted::InferredDeny {
        let new_human = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO pattern_humans (project, tool, action, kind, key, who) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                project,
                tool,
                action,
                key.kind.as_str(),
                key.key,
                who
            ])?;
        if new_human > 0 {
            conn.prepare_cached(
                "UPDATE patterns SET humans = humans + 1 WHERE project = ?1 AND tool = ?2 \
                     AND action = ?3 AND kind = ?4 AND key = ?5",
            )?
            .execute(params![project, tool, action, key.kind.as_str(), key.key])?;
        }
    }
    Ok(())
}

/// Revokes a key in every project: decisions marked, aggregates zeroed, history kept.
pub(super) fn revoke_key(
    conn: &Connection,
    tool: &str,
    action: &str,
    key: &LearnKey,
    ts_ms: i64,
    by: &str,
    reason: &str,
) -> anyhow::Result<u64> {
    let kind = key.kind.as_str();
    let n = conn
        .prepare_cached(
            "UPDATE decisions SET revoked_ms = ?5, revoked_by = ?6 WHERE revoked_ms IS NULL \
             AND id IN (SELECT decision_id FROM decision_keys WHERE tool = ?1 AND action = ?2 \
             AND kind = ?3 AND key = ?4)",
        )?
        .execute(params![tool, action, kind, key.key, ts_ms, by])?;
    conn.prepare_cached(
        "UPDATE patterns SET human_allow = 0, human_deny = 0, inferred_deny = 0, \
             rapid_allow = 0, humans = 0, revoked_ms = ?5 WHERE tool = ?1 AND action = ?2 \
             AND kind = ?3 AND key = ?4",
    )?
    .execute(params![tool, action, kind, key.key, ts_ms])?;
    conn.prepare_cached(
        "DELETE FROM pattern_humans WHERE tool = ?1 AND action = ?2 AND kind = ?3 \
             AND key = ?4",
    )?
    .execute(params![tool, action, kind, key.key])?;
    conn.prepare_cached(
        "INSERT INTO revocations (ts_ms, project, tool, action, kind, key, revoked_by, \
             reason, decisions) VALUES (?1, '*', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ts_ms, tool, action, kind, key.key, by, reason, n as i64
    ])?;
    Ok(n as u64)
}
