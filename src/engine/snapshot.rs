//! What one check reads and writes, as data: the [`SnapshotKeys`] a check needs, the
//! [`Snapshot`] a store answers with, and the [`Effect`]s the pure decision asks it to apply.
//!
//! A check is two store calls inside one transaction: `State::snapshot` and `State::apply`
//! (the effects, audit event last). Between them, [`crate::engine::decide::decide`] is pure:
//! it reads only the snapshot, the request, its assessment, the policy, the settings and the
//! time. `State::snapshot` and `State::apply` run today's keyed statements one by one by
//! default; a networked store overrides them to answer each call in one round trip.

use super::rows::{
    AuditNote, CheckRow, Grant, LearnKey, PatternStats, PendingAsk, SessionRow, WrittenFile,
};
use crate::request::{Decision, RiskTier};

/// The keys one check reads by. Built from the request and its assessment before deciding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotKeys {
    /// Session key (`anon:<runtime>` without a session id).
    pub session: String,
    /// Project root (or `global`).
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Exact scope, for the session memory.
    pub scope: String,
    /// Content hash (empty without one), for the session memory.
    pub content_hash: String,
    /// The rate-limit window: count checks at or after `since_ms`, at most `cap`.
    pub rate_window: Option<(i64, u64)>,
    /// False when the risk floor decides before any learned state could (CRITICAL): only the
    /// rate-limit count is read then.
    pub decidable: bool,
    /// The learning keys of the request's segments, in order, without repeats.
    pub keys: Vec<LearnKey>,
    /// Whether learned aggregates are read (learning enabled).
    pub learning: bool,
    /// The keys whose evidence travels between projects (`learning::travels`): read in every
    /// project, and whether the human has decided in this one.
    pub travel: Vec<LearnKey>,
    /// Whether the session row is read (a risk budget is configured).
    pub budget: bool,
    /// Files the command runs that may have been written through a runtime's write tool.
    pub written_paths: Vec<String>,
    /// The check's time, for grant expiry.
    pub now_ms: i64,
}

/// The state one check decides from: everything [`crate::engine::decide::decide`] reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Checks of the session in the rate-limit window (before this one).
    pub recent_checks: u64,
    /// Session memory of the exact request: `(decision, when)`.
    pub memory: Option<(Decision, i64)>,
    /// The latest revocation of each key, read only when there is a session memory.
    pub revocations: Vec<(LearnKey, i64)>,
    /// Live grants of the project for the tool and action (any session).
    pub grants: Vec<Grant>,
    /// Presets enabled for the project.
    pub presets: Vec<String>,
    /// Learned aggregates of the keys, in the project and globally (and, for keys that
    /// travel, in every project).
    pub patterns: Vec<PatternStats>,
    /// Whether the human has decided in the project before (read only when a key that travels
    /// has evidence from another project).
    pub project_known: bool,
    /// The session's row (budget), when a budget is configured.
    pub session: Option<SessionRow>,
    /// What was written to the files the command runs.
    pub written: Vec<WrittenFile>,
}

impl Snapshot {
    /// The aggregate of `key` in `project`, if any.
    pub fn pattern(&self, project: &str, key: &LearnKey) -> Option<&PatternStats> {
        self.patterns
            .iter()
            .find(|p| p.project == project && &p.key == key)
    }

    /// The latest revocation of `key`, if any.
    pub fn revoked(&self, key: &LearnKey) -> Option<i64> {
        self.revocations
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, ts)| *ts)
            .max()
    }

    /// The record of a written file, if any.
    pub fn written_file(&self, path: &str) -> Option<&WrittenFile> {
        self.written.iter().find(|w| w.path == path)
    }
}

/// A logged check, owned (the effect form of [`CheckRow`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckLog {
    /// When.
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Event name.
    pub event: String,
    /// Runtime's tool call id.
    pub tool_use_id: Option<String>,
    /// Project.
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope.
    pub scope: String,
    /// Content hash.
    pub content_hash: Option<String>,
    /// The verdict.
    pub decision: Decision,
    /// Which stage decided.
    pub decided_by: String,
    /// Risk tier.
    pub risk_tier: RiskTier,
    /// Risk score.
    pub risk_score: f64,
}

impl CheckLog {
    /// The borrowed row the store writes.
    pub fn row(&self) -> CheckRow<'_> {
        CheckRow {
            ts_ms: self.ts_ms,
            session: &self.session,
            runtime: &self.runtime,
            event: &self.event,
            tool_use_id: self.tool_use_id.as_deref(),
            project: &self.project,
            tool: &self.tool,
            action: &self.action,
            scope: &self.scope,
            content_hash: self.content_hash.as_deref(),
            decision: self.decision,
            decided_by: &self.decided_by,
            risk_tier: self.risk_tier,
            risk_score: self.risk_score,
        }
    }
}

/// One write a decision asks for. Applied in order, in the snapshot's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Charge the session's risk budget: the row as it is after the charge. The snapshot's
    /// transaction must hold the row against concurrent charges (SQLite: `BEGIN IMMEDIATE`;
    /// a server store: a row lock taken by the snapshot), or two checks lose an update.
    PutSession(SessionRow),
    /// Log the check.
    LogCheck(CheckLog),
    /// Keep an ask awaiting its outcome.
    InsertPending(PendingAsk),
    /// Remember a file written through a write tool.
    PutWrittenFile(WrittenFile),
    /// Append to the audit chain (at `ts_ms`). Appends are serialized with the head read.
    Audit(AuditNote, i64),
}
