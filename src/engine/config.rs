//! The engine's tunables, decoupled from where they come from (`crate::config::Settings`).

use crate::config::Settings;
use crate::request::{Decision, RiskTier};

/// Every knob the pipeline reads. Defaults are the product defaults (issue 4).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Learn from human decisions at all.
    pub learning_enabled: bool,
    /// Decisions needed before a pattern auto-decides for a MEDIUM request (and before it
    /// auto-denies a HIGH or CRITICAL one; those are never auto-allowed).
    pub min_decisions: u32,
    /// Decisions needed for a LOW request (capped at `min_decisions`).
    pub min_decisions_low: u32,
    /// Distinct humans who must have decided a pattern before it auto-allows (a team
    /// quorum; 1 for a solo user). Denials need no quorum.
    pub min_humans: u32,
    /// Approval rate at or above which a pattern auto-allows.
    pub approve_threshold: f64,
    /// Approval rate at or below which a pattern auto-denies.
    pub deny_threshold: f64,
    /// What the pipeline answers when no stage decides (`ask` or `deny`).
    pub default_decision: Decision,
    /// What CRITICAL requests get (`deny` or `ask`).
    pub critical_decision: Decision,
    /// LOW-risk file reads inside the project are allowed without asking (stage 7).
    pub allow_project_reads: bool,
    /// In a runtime's auto mode, ask below HIGH instead of deferring to its classifier.
    pub auto_mode_prompts: bool,
    /// LOW-risk read-only shell commands inside the project are allowed without asking.
    pub allow_read_only_commands: bool,
    /// Decisions on commands of bare words count in the other projects the human works in.
    pub learning_across_projects: bool,
    /// A pattern stops auto-deciding this many days after its last human confirmation.
    pub pattern_max_age_days: f64,
    /// Rubber-stamp window, seconds.
    pub rapid_window_seconds: i64,
    /// Approvals within the window from which on they are rubber stamps.
    pub rapid_min_count: u32,
    /// Checks per session per minute (0 disables).
    pub rate_limit_per_minute: u32,
    /// Session risk budget (≤ 0 disables).
    pub session_risk_budget: f64,
    /// The budget resets after this many idle minutes (0: never).
    pub budget_idle_reset_minutes: i64,
    /// Challenge lifetime, seconds.
    pub challenge_ttl_seconds: i64,
    /// Weight of an inferred denial relative to an explicit one.
    pub inferred_deny_weight: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            learning_enabled: true,
            min_decisions: 10,
            min_decisions_low: 3,
            min_humans: 1,
            approve_threshold: 0.95,
            deny_threshold: 0.05,
            default_decision: Decision::Ask,
            critical_decision: Decision::Deny,
            allow_project_reads: true,
            auto_mode_prompts: false,
            allow_read_only_commands: true,
            learning_across_projects: true,
            pattern_max_age_days: 90.0,
            rapid_window_seconds: 60,
            rapid_min_count: 5,
            rate_limit_per_minute: 200,
            session_risk_budget: 50.0,
            budget_idle_reset_minutes: 60,
            challenge_ttl_seconds: 3600,
            inferred_deny_weight: 0.5,
        }
    }
}

impl From<&Settings> for EngineConfig {
    fn from(s: &Settings) -> Self {
        EngineConfig {
            learning_enabled: s.permission_learning_enabled,
            min_decisions: s.permission_learning_min_decisions.max(1),
            min_decisions_low: s.learning_min_decisions_low.max(1),
            min_humans: s.learning_min_humans.max(1),
            approve_threshold: s.auto_approve_threshold,
            deny_threshold: s.auto_deny_threshold,
            default_decision: s.default_decision,
            critical_decision: s.critical_decision,
            allow_project_reads: s.allow_project_reads,
            auto_mode_prompts: s.auto_mode_prompts,
            allow_read_only_commands: s.allow_read_only_commands,
            learning_across_projects: s.learning_across_projects,
            pattern_max_age_days: f64::from(s.pattern_max_age_days),
            rapid_window_seconds: i64::from(s.rapid_approval_window_seconds),
            rapid_min_count: s.rapid_approval_min_count,
            rate_limit_per_minute: s.rate_limit_per_minute,
            session_risk_budget: s.session_risk_budget,
            budget_idle_reset_minutes: i64::from(s.budget_idle_reset_minutes),
            challenge_ttl_seconds: i64::from(s.challenge_ttl_seconds),
            ..EngineConfig::default()
        }
    }
}

impl EngineConfig {
    /// Consistent human decisions a pattern needs before it decides a request of `tier`:
    /// LOW `min_decisions_low` (at most `min_decisions`), otherwise `min_decisions`. HIGH
    /// and CRITICAL are never auto-allowed whatever the count (the risk floor); the count
    /// only lets them be auto-denied.
    pub fn needed(&self, tier: RiskTier) -> u32 {
        match tier {
            RiskTier::Low => self.min_decisions_low.min(self.min_decisions).max(1),
            _ => self.min_decisions.max(1),
        }
    }
}
