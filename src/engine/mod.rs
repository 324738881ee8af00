//! The decision engine: the pipeline of DESIGN.md §3 over a store trait and an injected clock.
//!
//! [`Gate`] is the facade the interfaces (runtime adapters, CLI, server) use: it opens the
//! store with the user's settings and runs one pipeline step per call, each in one write
//! transaction. Adapters reach state only through it.

pub mod challenge;
pub mod config;
pub mod learning;
pub mod matcher;
pub mod pipeline;
pub mod policy;
pub mod presets;
pub mod project;
pub mod state;

use crate::request::{Decision, Request, Verdict};

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

/// The engine wired to the user's store, settings and the system clock.
pub struct Gate {
    _private: (),
}

impl Gate {
    /// Opens the store named by the environment (`AIPERTURE_DB_PATH`, `AIPERTURE_HOME`) with
    /// the user's settings.
    pub fn open() -> anyhow::Result<Gate> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// Runs the full pipeline on a request and records the check (and, for an ask with a
    /// `tool_use_id`, a pending ask awaiting its outcome). Fills `project` when empty.
    pub fn check(&mut self, _req: &Request) -> anyhow::Result<Verdict> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// Decides without recording anything.
    pub fn check_dry_run(&mut self, _req: &Request) -> anyhow::Result<Verdict> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// A PermissionRequest-style question: `Some(verdict)` only when learning or a rule
    /// decides; `None` means "no opinion, let the runtime ask".
    pub fn learned_decision(&mut self, _req: &Request) -> anyhow::Result<Option<Verdict>> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// The runtime ran a tool call: record the execution, and resolve the matching pending ask
    /// (same session, tool use id, tool and input) as a human approval.
    pub fn tool_ran(&mut self, _req: &Request, _outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// The session ended: its pending asks that never ran become inferred denials.
    /// Returns how many were resolved.
    pub fn end_session(&mut self, _runtime: &str, _session_id: &str) -> anyhow::Result<u32> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// Status line figures for a session start.
    pub fn session_status(&mut self, _req: &Request) -> anyhow::Result<SessionStatus> {
        anyhow::bail!("the decision engine is not yet implemented")
    }

    /// Records a decision a human made in a terminal (`aiperture exec`'s prompt,
    /// `aiperture approve|deny`).
    pub fn record_human(
        &mut self,
        _req: &Request,
        _decision: Decision,
        _who: &str,
    ) -> anyhow::Result<()> {
        anyhow::bail!("the decision engine is not yet implemented")
    }
}

#[cfg(test)]
mod tests;
