//! The report's data model: plain serializable structs, the JSON format documented in
//! `docs/report.schema.json`. Renderers only read it; [`super::collect`] fills it.

use serde::Serialize;

/// Version tag of the JSON format (`schema` field).
pub const SCHEMA: &str = "aiperture.report/1";

/// The whole compliance report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the report was made (ms since the epoch).
    pub generated_at_ms: i64,
    /// The same, RFC 3339 UTC.
    pub generated_at: String,
    /// The time window and project filter.
    pub window: Window,
    /// The one-word verdict: `clean`, `attention` or `unverified` (see [`Status`]).
    pub status: Status,
    /// Why the status is not `clean`, one line each.
    pub findings: Vec<String>,
    /// The learning settings the pattern figures were judged with.
    pub settings: SettingsUsed,
    /// Check counts.
    pub totals: Totals,
    /// Checks per time bucket (decisions over time, prompts avoided over time).
    pub timeline: Timeline,
    /// The requests that asked most often, grouped by learnable pattern.
    pub top_asked: Vec<AskedPattern>,
    /// Learned patterns.
    pub patterns: Patterns,
    /// Compliance findings.
    pub compliance: Compliance,
    /// Activity by person (the actor every audit event records), most checks first.
    pub people: Vec<Person>,
    /// The audit chain's verification.
    pub integrity: Integrity,
}

/// The report's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The chain verifies and there is nothing to look at.
    Clean,
    /// The chain verifies, but there are gaps, CRITICAL denies, rate-limited or over-budget
    /// sessions, unresolved asks or rubber stamps.
    Attention,
    /// The audit chain does not verify (or could not be checked): nothing here can be trusted
    /// to be complete.
    Unverified,
}

impl Status {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Clean => "clean",
            Status::Attention => "attention",
            Status::Unverified => "unverified",
        }
    }
}

/// The window the figures cover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// Start (inclusive, ms), `null` for "since the beginning".
    pub since_ms: Option<i64>,
    /// End (exclusive, ms): the report's time.
    pub until_ms: i64,
    /// Only this project, `null` for all.
    pub project: Option<String>,
}

/// Learning settings in force when the report was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsUsed {
    /// Decisions needed before a pattern auto-decides.
    pub min_decisions: u32,
    /// Approval rate at or above which a pattern auto-allows.
    pub approve_threshold: f64,
    /// Approval rate at or below which a pattern auto-denies.
    pub deny_threshold: f64,
    /// Days after the last human confirmation a pattern stops deciding.
    pub pattern_max_age_days: f64,
    /// A deciding pattern expiring within this many days is "about to expire".
    pub expiring_within_days: f64,
}

/// allow / ask / deny counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByDecision {
    /// Allowed.
    pub allow: u64,
    /// Asked a human.
    pub ask: u64,
    /// Denied.
    pub deny: u64,
}

impl ByDecision {
    /// Adds `n` to the named decision (unknown names count as ask: fail closed).
    pub fn add(&mut self, decision: &str, n: u64) {
        match decision {
            "allow" => self.allow += n,
            "deny" => self.deny += n,
            _ => self.ask += n,
        }
    }

    /// allow + ask + deny.
    pub fn total(&self) -> u64 {
        self.allow + self.ask + self.deny
    }
}

/// Counts per risk tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByTier {
    /// LOW.
    pub low: u64,
    /// MEDIUM.
    pub medium: u64,
    /// HIGH.
    pub high: u64,
    /// CRITICAL.
    pub critical: u64,
}

impl ByTier {
    /// Adds `n` to the named tier (unknown names count as critical: fail closed).
    pub fn add(&mut self, tier: &str, n: u64) {
        match tier {
            "low" => self.low += n,
            "medium" => self.medium += n,
            "high" => self.high += n,
            _ => self.critical += n,
        }
    }
}

/// One labelled row of decision counts (a stage, a runtime).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The stage (`learned`, `preset`, `rule`, `risk_floor`, …) or runtime name.
    pub name: String,
    /// Checks in total.
    pub checks: u64,
    /// Per decision.
    pub decisions: ByDecision,
}

/// One session's checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionTotals {
    /// Session key.
    pub session: String,
    /// Runtime of its first check.
    pub runtime: String,
    /// Checks in total.
    pub checks: u64,
    /// Per decision.
    pub decisions: ByDecision,
    /// First check (ms).
    pub first_ms: i64,
    /// Last check (ms).
    pub last_ms: i64,
}

/// Prompts avoided and shown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prompts {
    /// Checks allowed by a learned pattern (a human would otherwise have been asked).
    pub avoided_by_learning: u64,
    /// Checks allowed by any automatic stage (learning, presets, rules, grants, memory).
    pub auto_allowed: u64,
    /// Checks that asked a human.
    pub shown: u64,
    /// Checks left to the runtime's own classifier (Claude Code's auto mode): neither asked
    /// nor decided by aiperture.
    pub left_to_runtime_classifier: u64,
    /// avoided_by_learning / (avoided_by_learning + shown), 0 when both are 0.
    pub avoided_ratio: f64,
}

/// Check counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Checks in the window.
    pub checks: u64,
    /// Per decision.
    pub by_decision: ByDecision,
    /// Per deciding stage (the `decided_by` prefix before the first `:`), most first.
    pub by_stage: Vec<Group>,
    /// Per risk tier.
    pub by_tier: ByTier,
    /// Per runtime, most first.
    pub by_runtime: Vec<Group>,
    /// Distinct sessions.
    pub sessions: u64,
    /// The sessions with the most checks (at most `ReportOptions::max_items`).
    pub top_sessions: Vec<SessionTotals>,
    /// Prompts avoided and shown.
    pub prompts: Prompts,
}

/// One time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// Start of the bucket (ms).
    pub start_ms: i64,
    /// Checks per decision.
    pub decisions: ByDecision,
    /// Allows decided by a learned pattern (prompts avoided).
    pub avoided_by_learning: u64,
}

/// Checks over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Bucket width: an hour, a day or a week (ms).
    pub bucket_ms: i64,
    /// Consecutive buckets, oldest first (empty buckets included).
    pub buckets: Vec<Bucket>,
}

/// A pattern (or exact request) that asked often.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskedPattern {
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The learnable pattern (`npm run *`), or the exact scope when it has none.
    pub pattern: String,
    /// Checks that asked.
    pub asks: u64,
}

/// A learned pattern with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternItem {
    /// Project root or `global`.
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// `pattern` (generalized) or `exact` (never generalized).
    pub kind: String,
    /// The pattern or exact text.
    pub key: String,
    /// `allow`, `deny` or `undecided`: what it decides now.
    pub decides: String,
    /// Weighted decisions (an inferred denial weighs less than an explicit one).
    pub n: f64,
    /// Approval rate over the weighted decisions.
    pub rate: f64,
    /// Human approvals.
    pub approvals: u64,
    /// Explicit human denials.
    pub denials: u64,
    /// Inferred denials (asks that never ran).
    pub inferred_denials: u64,
    /// Rubber-stamped approvals (not counted).
    pub rubber_stamps: u64,
    /// Distinct humans.
    pub humans: u64,
    /// First decision (ms).
    pub first_ms: i64,
    /// Last counted human decision (ms).
    pub last_ms: i64,
    /// Days since the last counted decision.
    pub age_days: f64,
    /// When it stops deciding without a new confirmation (ms).
    pub expires_ms: i64,
}

/// A counted list, capped at `ReportOptions::max_items` items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<T> {
    /// How many there are in all.
    pub count: u64,
    /// The first of them (see each list for its order).
    pub items: Vec<T>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            count: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Listing<T> {
    /// Whether items were left out.
    pub fn truncated(&self) -> bool {
        self.count > self.items.len() as u64
    }
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revoked {
    /// When (ms).
    pub ts_ms: i64,
    /// Project (`*` for every project).
    pub project: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The pattern or exact text.
    pub key: String,
    /// Who revoked it.
    pub revoked_by: String,
    /// Why.
    pub reason: String,
    /// Decisions it voided.
    pub decisions: u64,
}

/// Learned patterns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patterns {
    /// Patterns that auto-approve now (most evidence first).
    pub auto_approved: Listing<PatternItem>,
    /// Patterns that auto-deny now.
    pub auto_denied: Listing<PatternItem>,
    /// Deciding patterns that expire within `settings.expiring_within_days` (soonest first).
    pub expiring: Listing<PatternItem>,
    /// Undecided patterns with at least half the decisions needed and a rate past a
    /// threshold: candidates a human may confirm (closest first).
    pub candidates: Listing<PatternItem>,
    /// Revocations in the window (newest first).
    pub revoked: Listing<Revoked>,
}

/// Executions and gaps of one runtime or session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapGroup {
    /// Runtime name, or session key.
    pub name: String,
    /// The runtime (for sessions; equal to `name` for runtimes).
    pub runtime: String,
    /// Tool calls that ran.
    pub executions: u64,
    /// Of them, with no prior check.
    pub gaps: u64,
    /// gaps / executions.
    pub ratio: f64,
}

/// A tool call that ran with no prior check: one gap, named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncheckedExecution {
    /// When it ran (ms).
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The command or target, credentials redacted (`crate::risk::redact_secrets`);
    /// attacker-controlled text.
    pub scope: String,
    /// The runtime's tool call id, when it gave one.
    pub tool_use_id: Option<String>,
    /// `succeeded` or `failed`.
    pub outcome: String,
}

/// A check whose ask is still pending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenAsk {
    /// Pending ask id.
    pub id: String,
    /// When it asked (ms).
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The exact scope (attacker-controlled text).
    pub scope: String,
    /// Risk tier.
    pub risk_tier: String,
}

/// A rubber-stamped approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RubberStamp {
    /// When (ms).
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Who approved.
    pub who: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The exact scope.
    pub scope: String,
}

/// A session that hit the rate limit or exhausted its risk budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitedSession {
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Checks answered by the limit (rate-limit denies, or budget asks).
    pub hits: u64,
    /// First hit (ms).
    pub first_ms: i64,
}

/// A CRITICAL request that was denied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalDeny {
    /// When (ms).
    pub ts_ms: i64,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Tool.
    pub tool: String,
    /// Action.
    pub action: String,
    /// The command or target, exactly as requested (attacker-controlled text).
    pub scope: String,
    /// The stage that denied it.
    pub decided_by: String,
}

/// Compliance findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    /// Tool calls the runtimes reported as run (PostToolUse and equivalents).
    pub executions: u64,
    /// Of them, with no prior check: the layer was bypassed or not installed.
    pub gaps: u64,
    /// gaps / executions (0 when there were none).
    pub gap_ratio: f64,
    /// Per runtime, most gaps first.
    pub gaps_by_runtime: Vec<GapGroup>,
    /// Sessions with gaps, most gaps first.
    pub gaps_by_session: Listing<GapGroup>,
    /// The gaps themselves, newest first: what ran unchecked, where and when.
    pub unchecked: Listing<UncheckedExecution>,
    /// Asks never resolved (neither ran nor inferred denied), newest first.
    pub unresolved_asks: Listing<OpenAsk>,
    /// Asks whose session ended without the tool running (inferred denials).
    pub inferred_denials: u64,
    /// Tool calls the runtime's own classifier refused (Claude Code's auto mode).
    pub classifier_refusals: u64,
    /// Rubber-stamped approvals (too many too fast; never counted for learning), newest first.
    pub rubber_stamps: Listing<RubberStamp>,
    /// Sessions denied by the rate limit, most hits first.
    pub rate_limited_sessions: Listing<LimitedSession>,
    /// Sessions whose risk budget ran out, most hits first.
    pub budget_exhausted_sessions: Listing<LimitedSession>,
    /// Every CRITICAL deny with its command, newest first.
    pub critical_denies: Listing<CriticalDeny>,
}

/// The audit chain's verification, run as part of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integrity {
    /// True only when every event links and hashes correctly and the signed head matched
    /// (checked with the install key).
    pub verified: bool,
    /// Events read.
    pub events: u64,
    /// The first bad sequence number.
    pub first_bad_seq: Option<u64>,
    /// What is wrong, one line.
    pub problem: Option<String>,
    /// Whether the head's signature was checked (false without the key).
    pub mac_checked: bool,
    /// `tool.executed` events in the window: must equal `compliance.executions`, or rows of
    /// the executions table (which the gap figures come from) were removed or added outside
    /// aiperture, and the report is not verified.
    pub executions_in_chain: u64,
}

/// One person's activity in the window, from the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Who (`AIPERTURE_ACTOR` or the login name); empty for events recorded without one.
    pub actor: String,
    /// Checks made on their behalf.
    pub checks: u64,
    /// Checks among them that asked a human.
    pub asks: u64,
    /// Human approvals they gave.
    pub approvals: u64,
    /// Human denials they gave.
    pub denials: u64,
    /// Distinct machines the events came from.
    pub machines: u64,
}
