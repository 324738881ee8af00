//! A check's effects on the team store: its session, its row, its pending ask and a written
//! file, as statements that wait for the check's audit append and go with it in one round
//! trip ([`super::super::batch`]). The same statements run alone when called one by one.

use super::super::batch::{Stmt, owned};
use super::PgState;
use crate::engine::snapshot::Effect;
use crate::engine::state::{CheckRow, PendingAsk, SessionRow, State, WrittenFile};

impl PgState<'_> {
    /// Runs `s` now, alone.
    pub(super) fn run(&mut self, s: Stmt) -> anyhow::Result<()> {
        self.exec(&s.sql, &s.refs())?;
        Ok(())
    }

    /// Applies `effects` in order: the writes wait for the audit append that ends a check and
    /// go with it; whatever no append carried (no event, or no key in a read transaction) is
    /// sent at the end, in one statement.
    pub(super) fn apply_batched(&mut self, effects: &[Effect]) -> anyhow::Result<()> {
        for e in effects {
            match e {
                Effect::PutSession(r) => self.deferred.push(session_put(r)),
                Effect::LogCheck(c) => self.deferred.push(check_insert(&c.row())),
                Effect::InsertPending(p) => self.deferred.push(pending_insert(p)),
                Effect::PutWrittenFile(w) => self.deferred.push(written_put(w)),
                Effect::Audit(note, ts) => self.audit(note, *ts)?,
            }
        }
        let left = self.deferred.take();
        if let Some((sql, params)) = left.alone() {
            self.exec(&sql, &params)?;
        }
        Ok(())
    }
}

/// Creates or updates a session's row.
pub(super) fn session_put(s: &SessionRow) -> Stmt {
    let auto = s.auto_allowed.min(i64::MAX as u64) as i64;
    Stmt {
        sql: "INSERT INTO sessions (session, runtime, project, started_ms, last_ms, \
              budget_used, budget_ms, auto_allowed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
              ON CONFLICT (session) DO UPDATE SET last_ms = $5, budget_used = $6, \
              budget_ms = $7, auto_allowed = $8"
            .into(),
        params: vec![
            owned(s.session.clone()),
            owned(s.runtime.clone()),
            owned(s.project.clone()),
            owned(s.started_ms),
            owned(s.last_ms),
            owned(s.budget_used),
            owned(s.budget_ms),
            owned(auto),
        ],
    }
}

/// Logs a check.
pub(super) fn check_insert(c: &CheckRow<'_>) -> Stmt {
    Stmt {
        sql: "INSERT INTO checks (ts_ms, session, runtime, event, tool_use_id, project, tool, \
              action, scope, content_hash, decision, decided_by, risk_tier, risk_score) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            .into(),
        params: vec![
            owned(c.ts_ms),
            owned(c.session.to_string()),
            owned(c.runtime.to_string()),
            owned(c.event.to_string()),
            owned(c.tool_use_id.map(String::from)),
            owned(c.project.to_string()),
            owned(c.tool.to_string()),
            owned(c.action.to_string()),
            owned(c.scope.to_string()),
            owned(c.content_hash.map(String::from)),
            owned(c.decision.as_str()),
            owned(c.decided_by.to_string()),
            owned(c.risk_tier.as_str()),
            owned(c.risk_score),
        ],
    }
}

/// Stores a pending ask.
pub(super) fn pending_insert(p: &PendingAsk) -> Stmt {
    Stmt {
        sql: format!(
            "INSERT INTO pending_asks ({}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            super::PENDING_COLS
        ),
        params: vec![
            owned(p.id.clone()),
            owned(p.ts_ms),
            owned(p.session.clone()),
            owned(p.runtime.clone()),
            owned(p.tool_use_id.clone()),
            owned(p.project.clone()),
            owned(p.cwd.clone()),
            owned(p.tool.clone()),
            owned(p.action.clone()),
            owned(p.scope.clone()),
            owned(p.content_hash.clone()),
            owned(p.risk_tier.as_str()),
            owned(p.state.clone()),
        ],
    }
}

/// Records what was written to a file.
pub(super) fn written_put(f: &WrittenFile) -> Stmt {
    Stmt {
        sql: "INSERT INTO written_files \
              (path, sha256, tier, reason, in_project, project, ts_ms, session, runtime) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (path) DO UPDATE SET \
              sha256 = excluded.sha256, tier = excluded.tier, reason = excluded.reason, \
              in_project = excluded.in_project, project = excluded.project, \
              ts_ms = excluded.ts_ms, session = excluded.session, runtime = excluded.runtime"
            .into(),
        params: vec![
            owned(f.path.clone()),
            owned(f.sha256.clone()),
            owned(f.tier.map(|t| t.as_str())),
            owned(f.reason.clone()),
            owned(i64::from(f.in_project)),
            owned(f.project.clone()),
            owned(f.ts_ms),
            owned(f.session.clone()),
            owned(f.runtime.clone()),
        ],
    }
}
