//! Cross-checks of the learned state against the audit chain.
//!
//! The hash chain proves that no audit event was edited, removed or reordered. The engine's
//! own tables (decisions, their learning keys, the pattern aggregates, grants) are what the
//! gate trusts when it decides, so `aiperture audit verify` also checks that they agree with
//! the chain: every decision and grant has its event, every aggregate equals the decisions it
//! is built from, and a store that holds checks has a chain. A direct edit of the database
//! (an inflated aggregate, a planted grant, deleted decisions, an emptied chain) is detected;
//! forging a consistent edit would need a new chain event, which needs the install key.

use rusqlite::Connection;

/// One disagreement between the engine's tables and the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// One line saying what disagrees.
    pub problem: String,
}

/// Runs every cross-check; an empty list means the learned state agrees with the chain.
/// Aggregate queries only (one pass over decision keys), so it stays fast on large stores.
pub fn cross_check(conn: &Connection) -> anyhow::Result<Vec<Mismatch>> {
    let mut found = Vec::new();
    let count = |sql: &str| -> anyhow::Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let events = |kind: &str| -> anyhow::Result<i64> {
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM audit_events WHERE event_type = ?1",
            [kind],
            |r| r.get(0),
        )?)
    };
    let all_events = count("SELECT COUNT(*) FROM audit_events")?;
    let checks = count("SELECT COUNT(*) FROM checks")?;
    let decisions = count("SELECT COUNT(*) FROM decisions")?;
    if all_events == 0 && (checks > 0 || decisions > 0) {
        found.push(Mismatch {
            problem: format!(
                "the audit chain is empty but the store holds {checks} checks and {decisions} \
                 decisions: the chain was removed"
            ),
        });
        return Ok(found);
    }
    let decision_events = events("decision.human")?;
    if decisions != decision_events {
        found.push(Mismatch {
            problem: format!(
                "{decisions} recorded decisions but {decision_events} decision.human events: \
                 decisions were added or removed outside aiperture"
            ),
        });
    }
    let grants = count("SELECT COUNT(*) FROM grants")?;
    let grant_events = events("grant.created")?;
    if grants != grant_events {
        found.push(Mismatch {
            problem: format!(
                "{grants} grants but {grant_events} grant.created events: grants were added or \
                 removed outside aiperture"
            ),
        });
    }
    let orphans = count(
        "SELECT COUNT(*) FROM decision_keys dk LEFT JOIN decisions d ON d.id = dk.decision_id \
         WHERE d.id IS NULL",
    )?;
    if orphans > 0 {
        found.push(Mismatch {
            problem: format!("{orphans} learning keys belong to no recorded decision"),
        });
    }
    let bad: Option<(String, String, String, String)> = conn
        .query_row(
            "WITH c AS (
                SELECT dk.project, dk.tool, dk.action, dk.kind, dk.key,
                       SUM(dk.counted = 'allow') AS a, SUM(dk.counted = 'deny') AS d,
                       SUM(dk.counted = 'inferred_deny') AS i, SUM(dk.counted = 'rapid') AS r
                FROM decision_keys dk JOIN decisions d ON d.id = dk.decision_id
                WHERE d.revoked_ms IS NULL
                GROUP BY dk.project, dk.tool, dk.action, dk.kind, dk.key)
             SELECT p.project, p.tool || '/' || p.action, p.kind, p.key
             FROM patterns p LEFT JOIN c ON c.project = p.project AND c.tool = p.tool
                 AND c.action = p.action AND c.kind = p.kind AND c.key = p.key
             WHERE p.human_allow != IFNULL(c.a, 0) OR p.human_deny != IFNULL(c.d, 0)
                OR p.inferred_deny != IFNULL(c.i, 0) OR p.rapid_allow != IFNULL(c.r, 0)
             LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if let Some((project, tool, kind, key)) = bad {
        found.push(Mismatch {
            problem: format!(
                "the learned counts of {tool} {kind} `{key}` (project {project}) differ from the \
                 decisions they are built from: the aggregate was edited"
            ),
        });
    }
    Ok(found)
}

/// The whole store check behind `aiperture audit verify` and the report: the hash chain
/// ([`crate::store::audit_sql::verify`]), then, when the chain is intact, the
/// [`cross_check`] of the learned state against it. The first disagreement makes the report
/// not intact.
pub fn verify_store(
    db: &crate::store::Db,
    key: Option<&[u8; 32]>,
) -> anyhow::Result<crate::audit::VerifyReport> {
    let mut report = super::audit_sql::verify(db, key)?;
    if report.intact
        && let Some(m) = db.read(|tx| cross_check(tx))?.into_iter().next()
    {
        report.intact = false;
        report.problem = Some(m.problem);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    fn store() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("a.db")).unwrap();
        (dir, db)
    }

    #[test]
    fn an_empty_store_agrees() {
        let (_d, db) = store();
        assert!(db.read(|tx| cross_check(tx)).unwrap().is_empty());
    }

    #[test]
    fn planted_rows_are_found() {
        let (_d, db) = store();
        db.conn()
            .execute_batch(
                "INSERT INTO grants (id, created_ms, expires_ms, project, tool, action, scope, \
                 decision, granted_by) VALUES ('g1', 0, 9, 'p', 'shell', 'execute', '*', \
                 'allow', 'me');
                 INSERT INTO patterns (project, tool, action, kind, key, human_allow, first_ms, \
                 last_ms) VALUES ('p', 'shell', 'execute', 'pattern', 'npm test *', 10, 0, 0);",
            )
            .unwrap();
        let found = db.read(|tx| cross_check(tx)).unwrap();
        let text: Vec<&str> = found.iter().map(|m| m.problem.as_str()).collect();
        assert_eq!(found.len(), 2, "{text:?}");
        assert!(text[0].contains("grant.created"));
        assert!(text[1].contains("npm test *"));
    }
}
