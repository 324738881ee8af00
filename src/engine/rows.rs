//! The records the engine reads and writes: learning keys and their aggregates, decisions,
//! sessions, pending asks, grants, executions, written files and audit notes. Plain data, used
//! by the [`super::state::State`] trait, the check's [`super::snapshot`] and the stores.

use crate::request::{Decision, RiskTier};

/// The project name of learning that belongs to no project (requests without a cwd).
pub const GLOBAL: &str = "global";

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
    /// The person on whose behalf (the request's [`crate::request::Principal::user`]).
    pub principal: String,
    /// The machine it came from (the request's [`crate::request::Principal::host`]).
    pub host: String,
    /// One line.
    pub summary: String,
    /// Structured details.
    pub details: serde_json::Value,
}

impl AuditNote {
    /// Who made `req`, from its call site (empty without one).
    pub fn principal_of(req: &crate::request::Request) -> String {
        req.callsite
            .as_ref()
            .map(|c| c.principal.user.clone())
            .unwrap_or_default()
    }

    /// Which machine `req` came from, from its call site (empty without one).
    pub fn host_of(req: &crate::request::Request) -> String {
        req.callsite
            .as_ref()
            .map(|c| c.principal.host.clone())
            .unwrap_or_default()
    }

    /// The note that appends `ev` (an event made outside the engine: a setting changed, a
    /// policy rule added) through a store's [`super::state::State::audit`].
    pub fn of_event(ev: &crate::audit::NewEvent) -> AuditNote {
        AuditNote {
            event_type: ev.event_type.clone(),
            actor_type: ev.actor_type.as_str().to_string(),
            runtime: ev.runtime.clone(),
            session: ev.session_id.clone(),
            project: ev.project.clone(),
            entity: ev.entity.clone(),
            actor_id: ev.actor.clone(),
            principal: ev.principal.clone(),
            host: ev.host.clone(),
            summary: ev.summary.clone(),
            details: ev.details.clone(),
        }
    }
}
