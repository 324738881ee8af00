//! The decision engine: the pipeline of DESIGN.md §3 over a store trait and an injected clock.
//!
//! [`Gate`] is the facade the interfaces (runtime adapters, CLI, server) use: it opens the
//! store with the user's settings and runs one pipeline step per call, each in one write
//! transaction. Adapters reach state only through it.

pub mod baseline;
pub mod challenge;
pub mod claude_rules;
pub mod codex_rules;
pub mod config;
pub mod decide;
pub mod filecache;
pub mod gemini_rules;
pub mod learning;
pub mod matcher;
pub mod modes;
pub mod pipeline;
pub mod policy;
pub mod presets;
pub mod rows;
pub mod rule_files;
pub mod rules;
pub mod similar;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod written;

mod gate;

pub use gate::{AskContext, CheckOutcome, Gate, clock_from_env};

/// How a tool call that the runtime actually ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolOutcome {
    /// The tool ran and succeeded.
    Succeeded,
    /// The tool ran and failed.
    Failed,
}

/// What recording a ran tool call did.
#[derive(Debug, Clone, PartialEq)]
pub struct RanResult {
    /// A pending ask of this session for the same tool and input was resolved as a human
    /// approval.
    pub resolved_ask: bool,
    /// Learning progress for the request's pattern after this approval: (decisions, needed).
    pub progress: Option<(u32, u32)>,
}

/// How close an ask's pattern is to being learned ([`Gate::progress`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Human approvals of the pattern that count (not revoked since).
    pub approvals: u32,
    /// Approvals learning needs at the pattern's tier.
    pub needed: u32,
    /// The pattern (`npm test *`) or exact scope.
    pub pattern: String,
}

/// A one-line status for the start of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStatus {
    /// Patterns currently auto-approved in this project (and globally).
    pub auto_approved_patterns: u32,
    /// Patterns currently auto-denied.
    pub auto_denied_patterns: u32,
    /// Checks allowed by learning so far (prompts avoided).
    pub auto_allowed_checks: u64,
    /// The session's remaining risk budget.
    pub budget_left: f64,
    /// The configured budget.
    pub budget: f64,
}

#[cfg(test)]
mod tests;
