//! The PostgreSQL implementation of the engine's state trait
//! ([`crate::engine::state::State`]): the same keyed statements as the SQLite one
//! (`crate::store::state`), in PostgreSQL's dialect, each prepared once per connection.

use super::{Conn, pg_err};

mod artifacts;
mod effects;
mod snapshot;
use super::batch::Deferred;
use crate::audit::{ActorType, NewEvent};
use crate::engine::state::{
    ArtifactFilter, ArtifactRow, AuditNote, CheckRow, CostLine, Counted, DecisionRow, Execution,
    Grant, KeyKind, LearnKey, PatternStats, PendingAsk, SessionRow, State, WrittenFile,
};
use crate::request::{Decision, RiskTier};
use effects::{check_insert, pending_insert, session_put, written_put};
use postgres::Row;
use postgres::types::ToSql;

/// Engine state inside one transaction on a PostgreSQL connection.
pub struct PgState<'a> {
    conn: &'a mut Conn,
    key: Option<&'a [u8; 32]>,
    /// The audit head as this write transaction last read or wrote it (under the write
    /// lock), for its next append; `None` when not known.
    head: Option<Option<crate::audit::Head>>,
    /// Audit events written (or, without a key, that would have been).
    pub audited: u32,
    /// A check's effects not sent yet: they go with its audit append ([`super::batch`]).
    deferred: Deferred,
}

type P<'x> = &'x (dyn ToSql + Sync);

impl<'a> PgState<'a> {
    /// State whose audit events are only counted (read transactions).
    pub(crate) fn new(conn: &'a mut Conn) -> Self {
        PgState {
            conn,
            key: None,
            head: None,
            audited: 0,
            deferred: Deferred::default(),
        }
    }

    /// State in a write transaction; audit events are appended to the chain in it.
    pub(crate) fn with_audit(conn: &'a mut Conn, key: &'a [u8; 32]) -> Self {
        PgState {
            conn,
            key: Some(key),
            head: None,
            audited: 0,
            deferred: Deferred::default(),
        }
    }

    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> anyhow::Result<Vec<Row>> {
        self.conn.query(sql, params)
    }

    fn row(&mut self, sql: &str, params: &[P<'_>]) -> anyhow::Result<Option<Row>> {
        self.conn.query_opt(sql, params)
    }

    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> anyhow::Result<u64> {
        self.conn.execute(sql, params)
    }

    fn count(&mut self, sql: &str, params: &[P<'_>]) -> anyhow::Result<u64> {
        let n: i64 = match self.row(sql, params)? {
            Some(r) => r.try_get(0).map_err(pg_err)?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }
}

fn decision_of(s: &str) -> Decision {
    Decision::parse(s).unwrap_or(Decision::Ask)
}

fn actor_type(s: &str) -> ActorType {
    match s {
        "human" => ActorType::Human,
        "hook" => ActorType::Hook,
        "runtime" => ActorType::Runtime,
        _ => ActorType::System,
    }
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

const PATTERN_COLS: &str = "project, tool, action, kind, key, human_allow, human_deny, \
     inferred_deny, rapid_allow, humans, first_ms, last_ms, revoked_ms";

fn pattern_row(r: &Row) -> anyhow::Result<PatternStats> {
    let g = |i: usize| -> anyhow::Result<i64> { r.try_get(i).map_err(pg_err) };
    let kind: String = r.try_get(3).map_err(pg_err)?;
    Ok(PatternStats {
        project: r.try_get(0).map_err(pg_err)?,
        tool: r.try_get(1).map_err(pg_err)?,
        action: r.try_get(2).map_err(pg_err)?,
        key: LearnKey {
            kind: KeyKind::parse(&kind).unwrap_or(KeyKind::Exact),
            key: r.try_get(4).map_err(pg_err)?,
        },
        human_allow: u32_of(g(5)?),
        human_deny: u32_of(g(6)?),
        inferred_deny: u32_of(g(7)?),
        rapid_allow: u32_of(g(8)?),
        humans: u32_of(g(9)?),
        first_ms: g(10)?,
        last_ms: g(11)?,
        revoked_ms: r.try_get(12).map_err(pg_err)?,
    })
}

const PENDING_COLS: &str = "id, ts_ms, session, runtime, tool_use_id, project, cwd, tool, \
     action, scope, content_hash, risk_tier, state";

fn pending_row(r: &Row) -> anyhow::Result<PendingAsk> {
    let tier: String = r.try_get(11).map_err(pg_err)?;
    Ok(PendingAsk {
        id: r.try_get(0).map_err(pg_err)?,
        ts_ms: r.try_get(1).map_err(pg_err)?,
        session: r.try_get(2).map_err(pg_err)?,
        runtime: r.try_get(3).map_err(pg_err)?,
        tool_use_id: r.try_get(4).map_err(pg_err)?,
        project: r.try_get(5).map_err(pg_err)?,
        cwd: r.try_get(6).map_err(pg_err)?,
        tool: r.try_get(7).map_err(pg_err)?,
        action: r.try_get(8).map_err(pg_err)?,
        scope: r.try_get(9).map_err(pg_err)?,
        content_hash: r.try_get(10).map_err(pg_err)?,
        risk_tier: RiskTier::parse(&tier).unwrap_or(RiskTier::High),
        state: r.try_get(12).map_err(pg_err)?,
    })
}

const GRANT_COLS: &str = "id, created_ms, expires_ms, project, session, tool, action, scope, \
     decision, granted_by, reason";

fn grant_row(r: &Row) -> anyhow::Result<Grant> {
    let d: String = r.try_get(8).map_err(pg_err)?;
    Ok(Grant {
        id: r.try_get(0).map_err(pg_err)?,
        created_ms: r.try_get(1).map_err(pg_err)?,
        expires_ms: r.try_get(2).map_err(pg_err)?,
        project: r.try_get(3).map_err(pg_err)?,
        session: r.try_get(4).map_err(pg_err)?,
        tool: r.try_get(5).map_err(pg_err)?,
        action: r.try_get(6).map_err(pg_err)?,
        scope: r.try_get(7).map_err(pg_err)?,
        decision: decision_of(&d),
        granted_by: r.try_get(9).map_err(pg_err)?,
        reason: r.try_get(10).map_err(pg_err)?,
    })
}

fn all<T>(rows: Vec<Row>, f: impl Fn(&Row) -> anyhow::Result<T>) -> anyhow::Result<Vec<T>> {
    rows.iter().map(f).collect()
}

fn text(r: &Row, i: usize) -> anyhow::Result<String> {
    r.try_get(i).map_err(pg_err)
}

impl State for PgState<'_> {
    fn snapshot(
        &mut self,
        keys: &crate::engine::snapshot::SnapshotKeys,
    ) -> anyhow::Result<crate::engine::snapshot::Snapshot> {
        snapshot::read(self, keys)
    }

    fn apply(&mut self, effects: &[crate::engine::snapshot::Effect]) -> anyhow::Result<()> {
        self.apply_batched(effects)
    }

    fn insert_artifact(&mut self, a: &ArtifactRow) -> anyhow::Result<()> {
        self.pg_insert_artifact(a)
    }
    fn artifact(&mut self, id: &str) -> anyhow::Result<Option<ArtifactRow>> {
        self.pg_artifact(id)
    }
    fn list_artifacts(&mut self, filter: &ArtifactFilter) -> anyhow::Result<Vec<ArtifactRow>> {
        self.pg_list_artifacts(filter)
    }
    fn set_artifact_status(&mut self, id: &str, status: &str, ts_ms: i64) -> anyhow::Result<bool> {
        self.pg_set_artifact_status(id, status, ts_ms)
    }
    fn cost_lines(&mut self, filter: &ArtifactFilter) -> anyhow::Result<Vec<CostLine>> {
        self.pg_cost_lines(filter)
    }

    fn count_checks_since(
        &mut self,
        session: &str,
        since_ms: i64,
        cap: u64,
    ) -> anyhow::Result<u64> {
        let cap = cap.min(i64::MAX as u64) as i64;
        self.count(
            "SELECT count(*) FROM (SELECT 1 FROM checks WHERE session = $1 AND ts_ms >= $2 \
             LIMIT $3) AS recent",
            &[&session, &since_ms, &cap],
        )
    }

    fn insert_check(&mut self, c: &CheckRow<'_>) -> anyhow::Result<()> {
        self.run(check_insert(c))
    }

    fn check_of_tool_use(
        &mut self,
        session: &str,
        tool_use_id: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<Decision>> {
        let r = self.row(
            "SELECT decision FROM checks WHERE session = $1 AND ts_ms >= $3 \
             AND tool_use_id = $2 ORDER BY ts_ms DESC LIMIT 1",
            &[&session, &tool_use_id, &since_ms],
        )?;
        r.map(|r| text(&r, 0).map(|d| decision_of(&d))).transpose()
    }

    fn session(&mut self, session: &str) -> anyhow::Result<Option<SessionRow>> {
        let r = self.row(
            "SELECT session, runtime, project, started_ms, last_ms, budget_used, budget_ms, \
             auto_allowed FROM sessions WHERE session = $1",
            &[&session],
        )?;
        r.map(|r| {
            Ok(SessionRow {
                session: text(&r, 0)?,
                runtime: text(&r, 1)?,
                project: text(&r, 2)?,
                started_ms: r.try_get(3).map_err(pg_err)?,
                last_ms: r.try_get(4).map_err(pg_err)?,
                budget_used: r.try_get(5).map_err(pg_err)?,
                budget_ms: r.try_get(6).map_err(pg_err)?,
                auto_allowed: r.try_get::<_, i64>(7).map_err(pg_err)?.max(0) as u64,
            })
        })
        .transpose()
    }

    fn put_session(&mut self, s: &SessionRow) -> anyhow::Result<()> {
        self.run(session_put(s))
    }

    fn memory(
        &mut self,
        session: &str,
        project: &str,
        tool: &str,
        action: &str,
        scope: &str,
        content_hash: &str,
    ) -> anyhow::Result<Option<(Decision, i64)>> {
        let r = self.row(
            "SELECT decision, ts_ms FROM session_memory WHERE session = $1 AND project = $2 \
             AND tool = $3 AND action = $4 AND scope = $5 AND content_hash = $6",
            &[&session, &project, &tool, &action, &scope, &content_hash],
        )?;
        r.map(|r| Ok((decision_of(&text(&r, 0)?), r.try_get(1).map_err(pg_err)?)))
            .transpose()
    }

    fn put_memory(
        &mut self,
        session: &str,
        project: &str,
        tool: &str,
        action: &str,
        scope: &str,
        content_hash: &str,
        decision: Decision,
        who: &str,
        ts_ms: i64,
    ) -> anyhow::Result<()> {
        self.exec(
            "INSERT INTO session_memory (session, project, tool, action, scope, content_hash, \
             decision, who, ts_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (session, project, tool, action, scope, content_hash) DO UPDATE SET \
             decision = excluded.decision, who = excluded.who, ts_ms = excluded.ts_ms",
            &[
                &session,
                &project,
                &tool,
                &action,
                &scope,
                &content_hash,
                &decision.as_str(),
                &who,
                &ts_ms,
            ],
        )?;
        Ok(())
    }

    fn latest_revocation(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<i64>> {
        let r = self.row(
            "SELECT max(ts_ms) FROM revocations WHERE tool = $1 AND action = $2 \
             AND kind = $3 AND key = $4",
            &[&tool, &action, &key.kind.as_str(), &key.key],
        )?;
        Ok(match r {
            Some(r) => r.try_get(0).map_err(pg_err)?,
            None => None,
        })
    }

    fn grants(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        now_ms: i64,
    ) -> anyhow::Result<Vec<Grant>> {
        let rows = self.rows(
            &format!(
                "SELECT {GRANT_COLS} FROM grants WHERE project = $1 AND tool = $2 \
                 AND action = $3 AND expires_ms > $4 AND revoked_ms IS NULL ORDER BY created_ms"
            ),
            &[&project, &tool, &action, &now_ms],
        )?;
        all(rows, grant_row)
    }

    fn all_grants(&mut self, now_ms: i64) -> anyhow::Result<Vec<Grant>> {
        let rows = self.rows(
            &format!(
                "SELECT {GRANT_COLS} FROM grants WHERE expires_ms > $1 AND revoked_ms IS NULL \
                 ORDER BY created_ms"
            ),
            &[&now_ms],
        )?;
        all(rows, grant_row)
    }

    fn insert_grant(&mut self, g: &Grant) -> anyhow::Result<()> {
        self.exec(
            "INSERT INTO grants (id, created_ms, expires_ms, project, session, tool, action, \
             scope, decision, granted_by, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &g.id,
                &g.created_ms,
                &g.expires_ms,
                &g.project,
                &g.session,
                &g.tool,
                &g.action,
                &g.scope,
                &g.decision.as_str(),
                &g.granted_by,
                &g.reason,
            ],
        )?;
        Ok(())
    }

    fn revoke_grant(&mut self, id: &str, ts_ms: i64) -> anyhow::Result<bool> {
        let n = self.exec(
            "UPDATE grants SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL \
             AND expires_ms > $2",
            &[&id, &ts_ms],
        )?;
        Ok(n > 0)
    }

    fn pattern(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<PatternStats>> {
        let r = self.row(
            &format!(
                "SELECT {PATTERN_COLS} FROM patterns WHERE project = $1 AND tool = $2 \
                 AND action = $3 AND kind = $4 AND key = $5"
            ),
            &[&project, &tool, &action, &key.kind.as_str(), &key.key],
        )?;
        r.as_ref().map(pattern_row).transpose()
    }

    fn pattern_everywhere(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Vec<PatternStats>> {
        let rows = self.rows(
            &format!(
                "SELECT {PATTERN_COLS} FROM patterns WHERE tool = $1 AND action = $2 \
                 AND kind = $3 AND key = $4 ORDER BY project COLLATE \"C\""
            ),
            &[&tool, &action, &key.kind.as_str(), &key.key],
        )?;
        all(rows, pattern_row)
    }

    fn patterns_of_tool(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        prefix: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<PatternStats>> {
        // `starts_with`, not a range: the database's collation need not order bytewise.
        let rows = self.rows(
            &format!(
                "SELECT {PATTERN_COLS} FROM patterns WHERE project IN ($1, 'global') \
                 AND tool = $2 AND action = $3 AND starts_with(key, $4) \
                 AND human_allow + human_deny > 0 LIMIT $5"
            ),
            &[&project, &tool, &action, &prefix, &i64::from(limit)],
        )?;
        all(rows, pattern_row)
    }

    fn claim_request(&mut self, id: &str, ts_ms: i64) -> anyhow::Result<bool> {
        let n = self.exec(
            "INSERT INTO applied_requests (request_id, ts_ms) VALUES ($1, $2) \
             ON CONFLICT (request_id) DO NOTHING",
            &[&id, &ts_ms],
        )?;
        if n == 1 && ts_ms % 64 == 0 {
            let cutoff = crate::request_id::cutoff(ts_ms);
            self.exec(
                "DELETE FROM applied_requests WHERE request_id < $1",
                &[&cutoff],
            )?;
        }
        Ok(n == 1)
    }

    fn pattern_projects(&mut self) -> anyhow::Result<Vec<String>> {
        let rows = self.rows(
            "SELECT DISTINCT project COLLATE \"C\" AS p FROM patterns ORDER BY p",
            &[],
        )?;
        all(rows, |r| text(r, 0))
    }

    fn project_known(&mut self, project: &str) -> anyhow::Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM patterns WHERE project = $1 \
                 AND human_allow + human_deny + inferred_deny > 0 LIMIT 1",
                &[&project],
            )?
            .is_some())
    }

    fn list_patterns(&mut self, project: &str) -> anyhow::Result<Vec<PatternStats>> {
        let rows = self.rows(
            &format!(
                "SELECT {PATTERN_COLS} FROM patterns WHERE project IN ($1, 'global') \
                 ORDER BY project, tool, action, key"
            ),
            &[&project],
        )?;
        all(rows, pattern_row)
    }

    fn insert_decision(&mut self, d: &DecisionRow) -> anyhow::Result<i64> {
        let rapid = i64::from(d.rapid);
        let r = self.row(
            "INSERT INTO decisions (ts_ms, project, session, runtime, tool, action, scope, \
             content_hash, decision, source, who, rapid, pending_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            &[
                &d.ts_ms,
                &d.project,
                &d.session,
                &d.runtime,
                &d.tool,
                &d.action,
                &d.scope,
                &d.content_hash,
                &d.decision.as_str(),
                &d.source.as_str(),
                &d.who,
                &rapid,
                &d.pending_id,
            ],
        )?;
        match r {
            Some(r) => r.try_get(0).map_err(pg_err),
            None => anyhow::bail!("inserting a decision returned no id"),
        }
    }

    fn count_key(
        &mut self,
        decision_id: i64,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
        counted: Counted,
        who: &str,
        ts_ms: i64,
    ) -> anyhow::Result<()> {
        let kind = key.kind.as_str();
        let inserted = self.exec(
            "INSERT INTO decision_keys (decision_id, project, tool, action, kind, key, counted) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &decision_id,
                &project,
                &tool,
                &action,
                &kind,
                &key.key,
                &counted.as_str(),
            ],
        )?;
        if inserted == 0 || counted == Counted::None {
            return Ok(()); // one decision counts once per key
        }
        let (a, d, i, r): (i64, i64, i64, i64) = match counted {
            Counted::Allow => (1, 0, 0, 0),
            Counted::Deny => (0, 1, 0, 0),
            Counted::InferredDeny => (0, 0, 1, 0),
            Counted::Rapid => (0, 0, 0, 1),
            Counted::None => (0, 0, 0, 0),
        };
        // Rubber-stamped approvals do not confirm a pattern: last_ms only moves on counted ones.
        let confirms = counted != Counted::Rapid;
        let last = if confirms { ts_ms } else { 0 };
        self.exec(
            "INSERT INTO patterns AS p (project, tool, action, kind, key, human_allow, \
             human_deny, inferred_deny, rapid_allow, humans, first_ms, last_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) \
             ON CONFLICT (project, tool, action, kind, key) DO UPDATE SET \
             human_allow = p.human_allow + $6, human_deny = p.human_deny + $7, \
             inferred_deny = p.inferred_deny + $8, rapid_allow = p.rapid_allow + $9, \
             last_ms = CASE WHEN $12 THEN GREATEST(p.last_ms, $10) ELSE p.last_ms END",
            &[
                &project, &tool, &action, &kind, &key.key, &a, &d, &i, &r, &ts_ms, &last, &confirms,
            ],
        )?;
        if confirms && counted != Counted::InferredDeny {
            let new_human = self.exec(
                "INSERT INTO pattern_humans (project, tool, action, kind, key, who) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&project, &tool, &action, &kind, &key.key, &who],
            )?;
            if new_human > 0 {
                self.exec(
                    "UPDATE patterns SET humans = humans + 1 WHERE project = $1 AND tool = $2 \
                     AND action = $3 AND kind = $4 AND key = $5",
                    &[&project, &tool, &action, &kind, &key.key],
                )?;
            }
        }
        Ok(())
    }

    fn recent_allows(
        &mut self,
        session: &str,
        tool: &str,
        action: &str,
        since_ms: i64,
    ) -> anyhow::Result<u64> {
        self.count(
            "SELECT count(*) FROM decisions WHERE session = $1 AND tool = $2 AND action = $3 \
             AND ts_ms >= $4 AND decision = 'allow' AND source != 'inferred'",
            &[&session, &tool, &action, &since_ms],
        )
    }

    fn revoke_key(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
        ts_ms: i64,
        by: &str,
        reason: &str,
    ) -> anyhow::Result<u64> {
        let kind = key.kind.as_str();
        let n = self.exec(
            "UPDATE decisions SET revoked_ms = $5, revoked_by = $6 WHERE revoked_ms IS NULL \
             AND id IN (SELECT decision_id FROM decision_keys WHERE tool = $1 AND action = $2 \
             AND kind = $3 AND key = $4)",
            &[&tool, &action, &kind, &key.key, &ts_ms, &by],
        )?;
        self.exec(
            "UPDATE patterns SET human_allow = 0, human_deny = 0, inferred_deny = 0, \
             rapid_allow = 0, humans = 0, revoked_ms = $5 WHERE tool = $1 AND action = $2 \
             AND kind = $3 AND key = $4",
            &[&tool, &action, &kind, &key.key, &ts_ms],
        )?;
        self.exec(
            "DELETE FROM pattern_humans WHERE tool = $1 AND action = $2 AND kind = $3 \
             AND key = $4",
            &[&tool, &action, &kind, &key.key],
        )?;
        let decisions = n.min(i64::MAX as u64) as i64;
        self.exec(
            "INSERT INTO revocations (ts_ms, project, tool, action, kind, key, revoked_by, \
             reason, decisions) VALUES ($1, '*', $2, $3, $4, $5, $6, $7, $8)",
            &[
                &ts_ms, &tool, &action, &kind, &key.key, &by, &reason, &decisions,
            ],
        )?;
        Ok(n)
    }

    fn decisions_with_scope(
        &mut self,
        tool: &str,
        action: &str,
        scope: &str,
    ) -> anyhow::Result<Vec<i64>> {
        let rows = self.rows(
            "SELECT id FROM decisions WHERE tool = $1 AND action = $2 AND scope = $3 \
             AND revoked_ms IS NULL",
            &[&tool, &action, &scope],
        )?;
        all(rows, |r| r.try_get(0).map_err(pg_err))
    }

    fn keys_of_decision(&mut self, decision_id: i64) -> anyhow::Result<Vec<LearnKey>> {
        let rows = self.rows(
            "SELECT kind, key FROM decision_keys WHERE decision_id = $1",
            &[&decision_id],
        )?;
        all(rows, |r| {
            Ok(LearnKey {
                kind: KeyKind::parse(&text(r, 0)?).unwrap_or(KeyKind::Exact),
                key: text(r, 1)?,
            })
        })
    }

    fn revoke_decisions(&mut self, ids: &[i64], ts_ms: i64, by: &str) -> anyhow::Result<()> {
        for id in ids {
            self.exec(
                "UPDATE decisions SET revoked_ms = $2, revoked_by = $3 WHERE id = $1 \
                 AND revoked_ms IS NULL",
                &[id, &ts_ms, &by],
            )?;
        }
        Ok(())
    }

    fn presets(&mut self, project: &str) -> anyhow::Result<Vec<String>> {
        let rows = self.rows(
            "SELECT name FROM presets WHERE project = $1 ORDER BY name COLLATE \"C\"",
            &[&project],
        )?;
        all(rows, |r| text(r, 0))
    }

    fn add_preset(
        &mut self,
        project: &str,
        name: &str,
        ts_ms: i64,
        who: &str,
    ) -> anyhow::Result<bool> {
        let n = self.exec(
            "INSERT INTO presets (project, name, ts_ms, who) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            &[&project, &name, &ts_ms, &who],
        )?;
        Ok(n > 0)
    }

    fn remove_preset(&mut self, project: &str, name: &str) -> anyhow::Result<bool> {
        let n = self.exec(
            "DELETE FROM presets WHERE project = $1 AND name = $2",
            &[&project, &name],
        )?;
        Ok(n > 0)
    }

    fn all_presets(&mut self) -> anyhow::Result<Vec<(String, String, i64, String)>> {
        let rows = self.rows(
            "SELECT project, name, ts_ms, who FROM presets ORDER BY project, name",
            &[],
        )?;
        all(rows, |r| {
            Ok((
                text(r, 0)?,
                text(r, 1)?,
                r.try_get(2).map_err(pg_err)?,
                text(r, 3)?,
            ))
        })
    }

    fn insert_pending(&mut self, p: &PendingAsk) -> anyhow::Result<()> {
        self.run(pending_insert(p))
    }

    fn pending(&mut self, id: &str) -> anyhow::Result<Option<PendingAsk>> {
        let r = self.row(
            &format!("SELECT {PENDING_COLS} FROM pending_asks WHERE id = $1"),
            &[&id],
        )?;
        r.as_ref().map(pending_row).transpose()
    }

    fn pending_in_session(&mut self, session: &str) -> anyhow::Result<Vec<PendingAsk>> {
        let rows = self.rows(
            &format!(
                "SELECT {PENDING_COLS} FROM pending_asks WHERE session = $1 \
                 AND state = 'pending' ORDER BY ts_ms"
            ),
            &[&session],
        )?;
        all(rows, pending_row)
    }

    fn pending_recent(&mut self, limit: u32) -> anyhow::Result<Vec<PendingAsk>> {
        let rows = self.rows(
            &format!(
                "SELECT {PENDING_COLS} FROM pending_asks WHERE state = 'pending' \
                 ORDER BY ts_ms DESC LIMIT $1"
            ),
            &[&i64::from(limit)],
        )?;
        all(rows, pending_row)
    }

    fn resolve_pending(&mut self, id: &str, state: &str, ts_ms: i64) -> anyhow::Result<()> {
        self.exec(
            "UPDATE pending_asks SET state = $2, resolved_ms = $3 WHERE id = $1",
            &[&id, &state, &ts_ms],
        )?;
        Ok(())
    }

    fn consume_nonce(
        &mut self,
        nonce: &str,
        ts_ms: i64,
        prune_before_ms: i64,
    ) -> anyhow::Result<bool> {
        self.exec(
            "DELETE FROM consumed_nonces WHERE ts_ms < $1",
            &[&prune_before_ms],
        )?;
        let n = self.exec(
            "INSERT INTO consumed_nonces (nonce, ts_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&nonce, &ts_ms],
        )?;
        Ok(n > 0)
    }

    fn end_session(&mut self, session: &str, ts_ms: i64) -> anyhow::Result<()> {
        self.exec(
            "UPDATE sessions SET ended_ms = $2 WHERE session = $1",
            &[&session, &ts_ms],
        )?;
        Ok(())
    }

    fn insert_execution(&mut self, e: &Execution) -> anyhow::Result<()> {
        let checked = i64::from(e.checked);
        self.exec(
            "INSERT INTO executions (ts_ms, runtime, session, tool_use_id, project, tool, \
             action, scope, checked, check_decision, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &e.ts_ms,
                &e.runtime,
                &e.session,
                &e.tool_use_id,
                &e.project,
                &e.tool,
                &e.action,
                &e.scope,
                &checked,
                &e.check_decision.map(|d| d.as_str()),
                &e.outcome,
            ],
        )?;
        Ok(())
    }

    fn written_file(&mut self, path: &str) -> anyhow::Result<Option<WrittenFile>> {
        let r = self.row(
            "SELECT path, sha256, tier, reason, in_project, project, ts_ms, session, runtime \
             FROM written_files WHERE path = $1",
            &[&path],
        )?;
        r.map(|r| {
            let tier: Option<String> = r.try_get(2).map_err(pg_err)?;
            Ok(WrittenFile {
                path: text(&r, 0)?,
                sha256: text(&r, 1)?,
                // A tier this binary does not know was written by a newer one: fail closed.
                tier: tier.map(|t| RiskTier::parse(&t).unwrap_or(RiskTier::High)),
                reason: text(&r, 3)?,
                in_project: r.try_get::<_, i64>(4).map_err(pg_err)? != 0,
                project: text(&r, 5)?,
                ts_ms: r.try_get(6).map_err(pg_err)?,
                session: text(&r, 7)?,
                runtime: text(&r, 8)?,
            })
        })
        .transpose()
    }

    fn put_written_file(&mut self, f: &WrittenFile) -> anyhow::Result<()> {
        self.run(written_put(f))
    }

    fn audit(&mut self, note: &AuditNote, ts_ms: i64) -> anyhow::Result<()> {
        self.audited += 1;
        let Some(key) = self.key else {
            return Ok(());
        };
        let ev = NewEvent {
            event_type: note.event_type.clone(),
            actor_type: actor_type(&note.actor_type),
            actor: note.actor_id.clone(),
            principal: note.principal.clone(),
            host: note.host.clone(),
            runtime: note.runtime.clone(),
            session_id: note.session.clone(),
            project: note.project.clone(),
            entity: note.entity.clone(),
            summary: note.summary.clone(),
            details: note.details.clone(),
        };
        // The write transaction holds the write lock: the head read and the insert are
        // serialized against every other appender, and the head this append leaves is the
        // one the transaction's next append continues from (not read again).
        let mut chain = super::chain::PgChain::with_head(self.conn, self.head.take())
            .carrying(self.deferred.take());
        crate::audit::append(&mut chain, key, &ev, ts_ms)?;
        self.head = chain.signed_head().map(Some);
        Ok(())
    }
}
