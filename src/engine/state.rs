//! The engine's view of persistent state: a trait of keyed reads and writes, so the pipeline
//! stays pure and testable. The SQLite implementation is `crate::store::state::SqliteState`;
//! every method is one indexed statement (or a few), never a scan of decisions or checks.

use super::snapshot::{Effect, Snapshot, SnapshotKeys};
use crate::request::{Decision, RiskTier};

/// What a learning key generalizes: a derived pattern or an exact segment text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// A generalized pattern such as `git log *`, derived by the risk module.
    Pattern,
    /// A segment that must never be generalized; matches only equal text.
    Exact,
}

impl KeyKind {
    /// The stored name (`pattern`, `exact`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Pattern => "pattern",
            KeyKind::Exact => "exact",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pattern" => Some(KeyKind::Pattern),
            "exact" => Some(KeyKind::Exact),
            _ => None,
        }
    }
}

/// One learning key: the unit decisions are counted for and looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LearnKey {
    /// Pattern or exact text.
    pub kind: KeyKind,
    /// The pattern (`git log *`) or the exact segment text.
    pub key: String,
}

/// How a decision counted for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// A human approval.
    Allow,
    /// A human denial.
    Deny,
    /// A denial inferred from an ask that never ran (weaker evidence).
    InferredDeny,
    /// A rubber-stamped approval (kept for display, never counted).
    Rapid,
    /// Not counted (an innocent segment of a denied compound command).
    None,
}

impl Counted {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Counted::Allow => "allow",
            Counted::Deny => "deny",
            Counted::InferredDeny => "inferred_deny",
            Counted::Rapid => "rapid",
            Counted::None => "none",
        }
    }
}

/// The materialized aggregate of one (project, tool, action, key).
#[derive(Debug, Clone, PartialEq)]
pub struct PatternStats {
    /// Project root or `global`.
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The key.
    pub key: LearnKey,
    /// Counted human approvals.
    pub human_allow: u32,
    /// Counted human denials.
    pub human_deny: u32,
    /// Inferred denials (weaker).
    pub inferred_deny: u32,
    /// Rubber-stamped approvals (not counted).
    pub rapid_allow: u32,
    /// Distinct humans who decided.
    pub humans: u32,
    /// First decision.
    pub first_ms: i64,
    /// Last counted human decision (expiry runs from it).
    pub last_ms: i64,
    /// Last revocation, if any.
    pub revoked_ms: Option<i64>,
}

/// Where a human decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `aiperture approve|deny` or the `exec` prompt, in a terminal.
    Terminal,
    /// A record carrying a valid HMAC challenge.
    Challenge,
    /// The runtime's own prompt: an ask followed by the tool running.
    Runtime,
    /// An ask never followed by a run.
    Inferred,
}

impl Source {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Terminal => "terminal",
            Source::Challenge => "challenge",
            Source::Runtime => "runtime",
            Source::Inferred => "inferred",
        }
    }
}

/// One row of the checks log.
#[derive(Debug, Clone)]
pub struct CheckRow<'a> {
    /// When.
    pub ts_ms: i64,
    /// Session key.
    pub session: &'a str,
    /// Runtime.
    pub runtime: &'a str,
    /// Event name.
    pub event: &'a str,
    /// Runtime's tool call id.
    pub tool_use_id: Option<&'a str>,
    /// Project.
    pub project: &'a str,
    /// Tool.
    pub tool: &'a str,
    /// Action.
    pub action: &'a str,
    /// Scope.
    pub scope: &'a str,
    /// Content hash.
    pub content_hash: Option<&'a str>,
    /// The verdict.
    pub decision: Decision,
    /// Which stage decided.
    pub decided_by: &'a str,
    /// Risk tier.
    pub risk_tier: RiskTier,
    /// Risk score.
    pub risk_score: f64,
}

/// A human decision as made.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    /// When.
    pub ts_ms: i64,
    /// Project.
    pub project: String,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Exact scope.
    pub scope: String,
    /// Content hash.
    pub content_hash: Option<String>,
    /// allow or deny.
    pub decision: Decision,
    /// Where it came from.
    pub source: Source,
    /// Who decided.
    pub who: String,
    /// Rubber-stamped.
    pub rapid: bool,
    /// The pending ask it resolved.
    pub pending_id: Option<String>,
}

/// Per-session state.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Project at the session's first charge.
    pub project: String,
    /// First seen.
    pub started_ms: i64,
    /// Last seen.
    pub last_ms: i64,
    /// Risk budget used.
    pub budget_used: f64,
    /// Last budget charge (idle reset runs from it).
    pub budget_ms: i64,
    /// Checks allowed automatically.
    pub auto_allowed: u64,
}

/// An ask awaiting its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAsk {
    /// Short id shown to humans.
    pub id: String,
    /// When asked.
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Runtime's tool call id.
    pub tool_use_id: Option<String>,
    /// Project.
    pub project: String,
    /// Working directory.
    pub cwd: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope.
    pub scope: String,
    /// Content hash.
    pub content_hash: Option<String>,
    /// Risk tier at ask time.
    pub risk_tier: RiskTier,
    /// `pending`, `approved`, `denied`, `inferred_deny`.
    pub state: String,
}

/// A task grant.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// Created.
    pub created_ms: i64,
    /// Expires.
    pub expires_ms: i64,
    /// Project.
    pub project: String,
    /// Session key, empty for any session.
    pub session: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope pattern.
    pub scope: String,
    /// allow or deny.
    pub decision: Decision,
    /// Who granted.
    pub granted_by: String,
    /// Why.
    pub reason: String,
}

/// A tool call that ran.
#[derive(Debug, Clone)]
pub struct Execution {
    /// When.
    pub ts_ms: i64,
    /// Runtime.
    pub runtime: String,
    /// Session key.
    pub session: String,
    /// Tool call id.
    pub tool_use_id: Option<String>,
    /// Project.
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope.
    pub scope: String,
    /// Whether a check was found for it.
    pub checked: bool,
    /// That check's decision.
    pub check_decision: Option<Decision>,
    /// `succeeded` or `failed`.
    pub outcome: String,
}

/// A file written through a runtime's write tool, as remembered (see `docs/engine.md`,
/// "Files written, then run").
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    /// Absolute, canonical path.
    pub path: String,
    /// Hex SHA-256 of the content as written.
    pub sha256: String,
    /// The rating of its text when that reaches HIGH or CRITICAL; `None` below, or when the
    /// file is of a kind whose text is not rated.
    pub tier: Option<RiskTier>,
    /// Why, for that rating (empty without one).
    pub reason: String,
    /// True when the path lies inside the project root.
    pub in_project: bool,
    /// Project of the write.
    pub project: String,
    /// When it was written.
    pub ts_ms: i64,
    /// Session key of the write.
    pub session: String,
    /// Runtime that wrote it.
    pub runtime: String,
}

/// An audit event the engine wants written in the same transaction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditNote {
    /// Event type, e.g. `permission.check`, `decision.human`, `pattern.revoked`.
    pub event_type: String,
    /// `human`, `hook`, `runtime`, `system`.
    pub actor_type: String,
    /// Runtime involved.
    pub runtime: String,
    /// Session key.
    pub session: String,
    /// Project.
    pub project: String,
    /// What it is about (`shell/execute/git status`).
    pub entity: String,
    /// Who.
    pub actor_id: String,
    /// One line.
    pub summary: String,
    /// Structured details.
    pub details: serde_json::Value,
}

/// Keyed access to the engine's persistent state, inside one transaction.
pub trait State {
    /// How many checks the session made at or after `since_ms`, counting at most `cap`
    /// (a runaway session costs no more than a busy one).
    fn count_checks_since(&mut self, session: &str, since_ms: i64, cap: u64)
    -> anyhow::Result<u64>;
    /// Logs a check.
    fn insert_check(&mut self, row: &CheckRow<'_>) -> anyhow::Result<()>;
    /// The decision of the check of this tool call, if one was logged at or after `since_ms`.
    fn check_of_tool_use(
        &mut self,
        session: &str,
        tool_use_id: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<Decision>>;
    /// A session's state.
    fn session(&mut self, session: &str) -> anyhow::Result<Option<SessionRow>>;
    /// Writes a session's state.
    fn put_session(&mut self, row: &SessionRow) -> anyhow::Result<()>;
    /// Session memory for the exact request; `(decision, when)`.
    #[allow(clippy::too_many_arguments)]
    fn memory(
        &mut self,
        session: &str,
        project: &str,
        tool: &str,
        action: &str,
        scope: &str,
        content_hash: &str,
    ) -> anyhow::Result<Option<(Decision, i64)>>;
    /// Remembers a human decision for the exact request in the session.
    #[allow(clippy::too_many_arguments)]
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
    ) -> anyhow::Result<()>;
    /// The latest revocation of a key (in any project).
    fn latest_revocation(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<i64>>;
    /// Grants of a project for a tool and action not expired at `now_ms` and not revoked.
    fn grants(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        now_ms: i64,
    ) -> anyhow::Result<Vec<Grant>>;
    /// All live grants.
    fn all_grants(&mut self, now_ms: i64) -> anyhow::Result<Vec<Grant>>;
    /// Stores a grant.
    fn insert_grant(&mut self, grant: &Grant) -> anyhow::Result<()>;
    /// Revokes a grant; false if there was none live.
    fn revoke_grant(&mut self, id: &str, ts_ms: i64) -> anyhow::Result<bool>;
    /// The aggregate of one key in one project.
    fn pattern(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<PatternStats>>;
    /// The aggregates of one key in every project (and `global`): the evidence a key that
    /// travels between projects is decided by.
    fn pattern_everywhere(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Vec<PatternStats>>;
    /// Whether a human has counted a decision in `project` (of any key).
    fn project_known(&mut self, project: &str) -> anyhow::Result<bool>;
    /// All aggregates of a project (and `global`), for display.
    fn list_patterns(&mut self, project: &str) -> anyhow::Result<Vec<PatternStats>>;
    /// Stores a human decision; returns its id.
    fn insert_decision(&mut self, row: &DecisionRow) -> anyhow::Result<i64>;
    /// Counts a decision for one key: links it and updates the aggregate and distinct humans.
    #[allow(clippy::too_many_arguments)]
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
    ) -> anyhow::Result<()>;
    /// Approvals recorded in the session for a tool and action at or after `since_ms`.
    fn recent_allows(
        &mut self,
        session: &str,
        tool: &str,
        action: &str,
        since_ms: i64,
    ) -> anyhow::Result<u64>;
    /// Revokes a key in every project: marks its decisions revoked, zeroes the aggregates,
    /// records the revocation. Returns how many decisions it revoked.
    fn revoke_key(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
        ts_ms: i64,
        by: &str,
        reason: &str,
    ) -> anyhow::Result<u64>;
    /// Ids of the non-revoked decisions with this exact scope.
    fn decisions_with_scope(
        &mut self,
        tool: &str,
        action: &str,
        scope: &str,
    ) -> anyhow::Result<Vec<i64>>;
    /// The keys a decision was counted for.
    fn keys_of_decision(&mut self, decision_id: i64) -> anyhow::Result<Vec<LearnKey>>;
    /// Marks decisions revoked.
    fn revoke_decisions(&mut self, ids: &[i64], ts_ms: i64, by: &str) -> anyhow::Result<()>;
    /// Presets enabled for a project.
    fn presets(&mut self, project: &str) -> anyhow::Result<Vec<String>>;
    /// Enables a preset; false if it already was.
    fn add_preset(
        &mut self,
        project: &str,
        name: &str,
        ts_ms: i64,
        who: &str,
    ) -> anyhow::Result<bool>;
    /// Disables a preset; false if it was not enabled.
    fn remove_preset(&mut self, project: &str, name: &str) -> anyhow::Result<bool>;
    /// Every enabled preset: project, name, when (ms) and by whom, by project then name.
    fn all_presets(&mut self) -> anyhow::Result<Vec<(String, String, i64, String)>>;
    /// Stores a pending ask.
    fn insert_pending(&mut self, ask: &PendingAsk) -> anyhow::Result<()>;
    /// A pending ask by id.
    fn pending(&mut self, id: &str) -> anyhow::Result<Option<PendingAsk>>;
    /// The still-pending asks of a session.
    fn pending_in_session(&mut self, session: &str) -> anyhow::Result<Vec<PendingAsk>>;
    /// The newest still-pending asks of any session (for `approve` without an id).
    fn pending_recent(&mut self, limit: u32) -> anyhow::Result<Vec<PendingAsk>>;
    /// Resolves a pending ask.
    fn resolve_pending(&mut self, id: &str, state: &str, ts_ms: i64) -> anyhow::Result<()>;
    /// Consumes a nonce; false if it was already consumed. Forgets nonces consumed before
    /// `prune_before_ms` (their tokens have expired anyway).
    fn consume_nonce(
        &mut self,
        nonce: &str,
        ts_ms: i64,
        prune_before_ms: i64,
    ) -> anyhow::Result<bool>;
    /// Marks a session ended.
    fn end_session(&mut self, session: &str, ts_ms: i64) -> anyhow::Result<()>;
    /// Logs a tool call that ran.
    fn insert_execution(&mut self, e: &Execution) -> anyhow::Result<()>;
    /// The remembered write of a file, by its canonical path (one primary-key lookup).
    fn written_file(&mut self, path: &str) -> anyhow::Result<Option<WrittenFile>>;
    /// Remembers a write of a file (replacing an earlier one of the same path).
    fn put_written_file(&mut self, file: &WrittenFile) -> anyhow::Result<()>;
    /// Appends an audit event in the same transaction.
    fn audit(&mut self, note: &AuditNote, ts_ms: i64) -> anyhow::Result<()>;

    /// Everything one check decides from, read by `keys` (see [`super::snapshot`]). The
    /// default runs the keyed statements above one by one.
    fn snapshot(&mut self, keys: &SnapshotKeys) -> anyhow::Result<Snapshot> {
        super::snapshot::fetch(self, keys)
    }

    /// Applies a decision's effects in order, in this transaction.
    fn apply(&mut self, effects: &[Effect]) -> anyhow::Result<()> {
        super::snapshot::apply(self, effects)
    }
}
