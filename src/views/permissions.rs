//! Views of the permission state: learned patterns, pending asks, grants, check verdicts and
//! the classifier's explanation of a request.

use crate::engine::CheckOutcome;
use crate::engine::Gate;
use crate::engine::learning::{self, Learned};
use crate::engine::state::{Grant, KeyKind, PatternStats, PendingAsk};
use crate::engine::store::Store;
use crate::request::{Request, Risk, RiskTier, Verdict};
use crate::risk::Assessment;
use serde::Serialize;

const DAY: f64 = 86_400_000.0;

/// One learned pattern as `patterns --json` prints it (fields in docs/cli.md).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatternView {
    /// Project root or `global`.
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// `pattern` or `exact`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// The pattern's text.
    pub pattern: String,
    /// `auto-approve`, `auto-deny`, `learning`, `expired`, `revoked` or `never (risk)`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// Weighted decisions counted.
    pub decisions: f64,
    /// Decisions needed before it decides alone.
    pub needed: u32,
    /// Risk tier of what the pattern stands for.
    #[schema(value_type = String)]
    pub tier: &'static str,
    /// Counted human approvals.
    pub approvals: u32,
    /// Counted human denials.
    pub denials: u32,
    /// Inferred denials.
    pub inferred_denials: u32,
    /// Rubber-stamped approvals (not counted).
    pub rubber_stamped: u32,
    /// Distinct humans who decided (the SPEC's `unique_humans`): each decision counts for
    /// the person its call site named (`AIPERTURE_ACTOR`, else the login name).
    pub humans: u32,
    /// Distinct humans needed before it may auto-approve (`learning_min_humans`; 1 solo).
    pub humans_needed: u32,
    /// Weighted approvals over weighted decisions (0 without decisions).
    pub approval_rate: f64,
    /// Days since the last counted decision, one decimal.
    pub age_days: f64,
    /// Days until it expires, one decimal (negative once expired).
    pub expires_in_days: f64,
}

/// The view of one learned pattern, evaluated against the gate's settings and clock.
pub fn pattern<S: Store>(gate: &Gate<S>, p: &PatternStats) -> PatternView {
    let cfg = gate.config();
    let now = gate.now_ms();
    let (a, n) = learning::weighted(p, cfg);
    let tier = tier_of(gate, p);
    let needed = cfg.needed(tier);
    let status = match learning::evaluate_for(p, cfg, now, tier) {
        Learned::Allow if tier >= RiskTier::High => "never (risk)",
        Learned::Allow => "auto-approve",
        Learned::Deny => "auto-deny",
        Learned::Undecided if n == 0.0 && p.revoked_ms.is_some() => "revoked",
        Learned::Undecided if n > 0.0 && learning::expired(p, cfg, now) => "expired",
        Learned::Undecided => "learning",
    };
    let age_days = (now - p.last_ms) as f64 / DAY;
    PatternView {
        project: p.project.clone(),
        tool: p.tool.clone(),
        action: p.action.clone(),
        kind: p.key.kind.as_str(),
        pattern: p.key.key.clone(),
        status,
        decisions: n,
        needed,
        tier: tier.as_str(),
        approvals: p.human_allow,
        denials: p.human_deny,
        inferred_denials: p.inferred_deny,
        rubber_stamped: p.rapid_allow,
        humans: p.humans,
        humans_needed: cfg.min_humans.max(1),
        approval_rate: if n > 0.0 { a / n } else { 0.0 },
        age_days: (age_days * 10.0).round() / 10.0,
        expires_in_days: ((cfg.pattern_max_age_days - age_days) * 10.0).round() / 10.0,
    }
}

/// The risk tier of what a pattern stands for (its text without the final ` *`), which sets
/// the decisions it needs (LOW `learning_min_decisions_low`, others
/// `permission_learning_min_decisions`); HIGH and CRITICAL never auto-approve.
fn tier_of<S: Store>(gate: &Gate<S>, p: &PatternStats) -> RiskTier {
    let scope = match p.key.kind {
        KeyKind::Pattern if p.tool == "shell" => p.key.key.trim_end_matches(" *").to_string(),
        _ => p.key.key.clone(),
    };
    let cwd = if p.project.starts_with('/') {
        p.project.clone()
    } else {
        String::new()
    };
    let req = Request {
        tool: p.tool.clone(),
        action: p.action.clone(),
        scope,
        cwd,
        project: p.project.clone(),
        ..Request::default()
    };
    gate.assess(&req).risk.tier
}

/// One pending ask as `approve --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PendingView {
    /// The ask's id (`aiperture approve <id>`).
    pub id: String,
    /// When it was asked, RFC 3339.
    pub asked: String,
    /// When it was asked, milliseconds since the epoch.
    pub asked_ms: i64,
    /// The runtime that asked.
    pub runtime: String,
    /// Session id.
    pub session: String,
    /// Project root.
    pub project: String,
    /// Working directory.
    pub cwd: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope.
    pub scope: String,
    /// Risk tier.
    #[schema(value_type = String)]
    pub risk: &'static str,
    /// The runtime's id of the tool call, when it gave one.
    pub tool_use_id: Option<String>,
    /// Content hash of a write, when there was one.
    pub content_hash: Option<String>,
}

/// The view of one pending ask.
pub fn pending(p: &PendingAsk) -> PendingView {
    PendingView {
        id: p.id.clone(),
        asked: crate::clock::format_rfc3339(p.ts_ms),
        asked_ms: p.ts_ms,
        runtime: p.runtime.clone(),
        session: p.session.clone(),
        project: p.project.clone(),
        cwd: p.cwd.clone(),
        tool: p.tool.clone(),
        action: p.action.clone(),
        scope: p.scope.clone(),
        risk: p.risk_tier.as_str(),
        tool_use_id: p.tool_use_id.clone(),
        content_hash: p.content_hash.clone(),
    }
}

/// One live grant as `grant --list --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    /// The grant's id (`grant --revoke ID`).
    pub id: String,
    /// `allow` or `deny`.
    #[schema(value_type = String)]
    pub decision: &'static str,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope pattern.
    pub scope: String,
    /// Project root.
    pub project: String,
    /// The session it is limited to, if any.
    pub session: Option<String>,
    /// When it was made, RFC 3339.
    pub created: String,
    /// When it expires, RFC 3339.
    pub expires: String,
    /// When it was made, milliseconds since the epoch.
    pub created_ms: i64,
    /// When it expires, milliseconds since the epoch.
    pub expires_ms: i64,
    /// Who granted it.
    pub granted_by: String,
    /// The task or reason given, if any.
    pub reason: Option<String>,
}

/// The view of one grant.
pub fn grant(g: &Grant) -> GrantView {
    let none_if_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    GrantView {
        id: g.id.clone(),
        decision: g.decision.as_str(),
        tool: g.tool.clone(),
        action: g.action.clone(),
        scope: g.scope.clone(),
        project: g.project.clone(),
        session: none_if_empty(&g.session),
        created: crate::clock::format_rfc3339(g.created_ms),
        expires: crate::clock::format_rfc3339(g.expires_ms),
        created_ms: g.created_ms,
        expires_ms: g.expires_ms,
        granted_by: g.granted_by.clone(),
        reason: none_if_empty(&g.reason),
    }
}

/// A check's verdict as `check --json` prints it: the verdict's fields, the request's
/// project and scope, the pending ask's id for an ask, and the challenge when one was made.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictView {
    /// The verdict (decision, decided_by, risk, reason, explanation, segments).
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The project the request was decided in.
    pub project: String,
    /// The request's scope.
    pub scope: String,
    /// The pending ask stored for an ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_id: Option<String>,
    /// The HMAC challenge a human decision on this request must carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// The view of a check's outcome, with the challenge when the caller made one.
pub fn verdict(out: &CheckOutcome, challenge: Option<String>) -> VerdictView {
    VerdictView {
        verdict: out.verdict.clone(),
        project: out.request.project.clone(),
        scope: out.request.scope.clone(),
        pending_id: out.pending_id.clone(),
        challenge,
    }
}

/// One simple command's rating in an [`ExplainView`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    /// The simple command's text.
    pub command: String,
    /// Resolved program name (shell), else empty.
    pub program: String,
    /// Its risk.
    #[schema(value_type = Object)]
    pub risk: Risk,
    /// The learnable pattern, `null` when it is never generalized.
    pub pattern: Option<String>,
    /// Why.
    pub reason: String,
}

/// The classifier's rating of a request, as `explain --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExplainView {
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// Scope.
    pub scope: String,
    /// Overall risk.
    #[schema(value_type = Object)]
    pub risk: Risk,
    /// One line.
    pub reason: String,
    /// A longer explanation.
    pub explanation: String,
    /// One entry per simple command.
    pub segments: Vec<SegmentView>,
}

/// The view of a classifier assessment of `tool`/`action`/`scope`.
pub fn explain(tool: &str, action: &str, scope: &str, a: &Assessment) -> ExplainView {
    ExplainView {
        tool: tool.to_string(),
        action: action.to_string(),
        scope: scope.to_string(),
        risk: a.risk.clone(),
        reason: a.reason.clone(),
        explanation: a.explanation.clone(),
        segments: a
            .segments
            .iter()
            .map(|s| SegmentView {
                command: s.command.clone(),
                program: s.program.clone(),
                risk: s.risk.clone(),
                pattern: s.pattern.clone(),
                reason: s.reason.clone(),
            })
            .collect(),
    }
}

/// What `explain --stdin` prints for a line that is not a request: an error rated high,
/// since what cannot be read cannot be vetted.
pub fn explain_unreadable() -> serde_json::Value {
    serde_json::json!({
        "error": "not a JSON object with tool, action and scope",
        "risk": {"tier": "high", "score": 0.6, "factors": ["invalid_input"]},
        "reason": "the request could not be read, so it cannot be vetted",
        "explanation": "",
        "segments": [],
    })
}
