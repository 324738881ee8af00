//! The cross-checks of the learned state against the audit chain on PostgreSQL: the same
//! checks as [`crate::store::integrity`] (SQLite), in PostgreSQL's dialect, so
//! `aiperture audit verify` means the same on both stores.

use super::{Conn, pg_err};
use crate::store::integrity::Mismatch;

fn count(
    conn: &mut Conn,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> anyhow::Result<i64> {
    let r = conn.client.query_one(sql, params).map_err(pg_err)?;
    r.try_get(0).map_err(pg_err)
}

/// Every disagreement between the engine's tables and the chain; empty when they agree.
pub(super) fn cross_check(conn: &mut Conn) -> anyhow::Result<Vec<Mismatch>> {
    let mut found = Vec::new();
    let events_sql = "SELECT count(*) FROM audit_events WHERE event_type = $1";
    let all_events = count(conn, "SELECT count(*) FROM audit_events", &[])?;
    let checks = count(conn, "SELECT count(*) FROM checks", &[])?;
    let decisions = count(conn, "SELECT count(*) FROM decisions", &[])?;
    if all_events == 0 && (checks > 0 || decisions > 0) {
        found.push(Mismatch {
            problem: format!(
                "the audit chain is empty but the store holds {checks} checks and {decisions} \
                 decisions: the chain was removed"
            ),
        });
        return Ok(found);
    }
    let decision_events = count(conn, events_sql, &[&"decision.human"])?;
    if decisions != decision_events {
        found.push(Mismatch {
            problem: format!(
                "{decisions} recorded decisions but {decision_events} decision.human events: \
                 decisions were added or removed outside aiperture"
            ),
        });
    }
    let grants = count(conn, "SELECT count(*) FROM grants", &[])?;
    let grant_events = count(conn, events_sql, &[&"grant.created"])?;
    if grants != grant_events {
        found.push(Mismatch {
            problem: format!(
                "{grants} grants but {grant_events} grant.created events: grants were added or \
                 removed outside aiperture"
            ),
        });
    }
    let orphans = count(
        conn,
        "SELECT count(*) FROM decision_keys dk LEFT JOIN decisions d ON d.id = dk.decision_id \
         WHERE d.id IS NULL",
        &[],
    )?;
    if orphans > 0 {
        found.push(Mismatch {
            problem: format!("{orphans} learning keys belong to no recorded decision"),
        });
    }
    let bad = conn
        .client
        .query_opt(
            "WITH c AS (
                SELECT dk.project, dk.tool, dk.action, dk.kind, dk.key,
                       count(*) FILTER (WHERE dk.counted = 'allow') AS a,
                       count(*) FILTER (WHERE dk.counted = 'deny') AS d,
                       count(*) FILTER (WHERE dk.counted = 'inferred_deny') AS i,
                       count(*) FILTER (WHERE dk.counted = 'rapid') AS r
                FROM decision_keys dk JOIN decisions d ON d.id = dk.decision_id
                WHERE d.revoked_ms IS NULL
                GROUP BY dk.project, dk.tool, dk.action, dk.kind, dk.key)
             SELECT p.project, p.tool || '/' || p.action, p.kind, p.key
             FROM patterns p LEFT JOIN c ON c.project = p.project AND c.tool = p.tool
                 AND c.action = p.action AND c.kind = p.kind AND c.key = p.key
             WHERE p.human_allow != COALESCE(c.a, 0) OR p.human_deny != COALESCE(c.d, 0)
                OR p.inferred_deny != COALESCE(c.i, 0) OR p.rapid_allow != COALESCE(c.r, 0)
             LIMIT 1",
            &[],
        )
        .map_err(pg_err)?;
    if let Some(r) = bad {
        let g = |i: usize| -> anyhow::Result<String> { r.try_get(i).map_err(pg_err) };
        let (project, tool, kind, key) = (g(0)?, g(1)?, g(2)?, g(3)?);
        found.push(Mismatch {
            problem: format!(
                "the learned counts of {tool} {kind} `{key}` (project {project}) differ from the \
                 decisions they are built from: the aggregate was edited"
            ),
        });
    }
    Ok(found)
}
