//! Risk classification of a normalized request, pure (no I/O, no store).
//!
//! [`assess`] rates any tool call; shell commands are judged per simple command using
//! [`crate::shell`]. Tables are compiled into the binary. [`pattern_matches`] and
//! [`path_pattern_matches`] are the one place the learnable pattern syntax is interpreted
//! (see `docs/risk.md`).

mod code;
mod embedded;
mod judge;
pub mod paths;
mod pattern;
mod readonly;
mod rules_cloud;
mod rules_data;
mod rules_delete;
mod rules_fs;
mod rules_git;
mod rules_net;
mod rules_perm;
mod rules_pkg;
mod rules_sys;
mod scripts;
mod shell;
mod tools;

pub use judge::{score_for, tier_for_score};
pub use pattern::{matches, path_pattern_matches, pattern_matches, url_pattern_matches};

use crate::request::{Risk, RiskTier};

/// What the classifier needs to know about where the call happens.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Working directory of the call (absolute).
    pub cwd: String,
    /// Project root (absolute).
    pub project: String,
    /// The user's home directory (absolute).
    pub home: String,
    /// Paths aiperture protects about itself (DB, key, config, runtime hook settings).
    pub protected_paths: Vec<String>,
}

/// The risk of one simple command (or of the whole request for non-shell tools).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentAssessment {
    /// The simple command's text (or the scope for non-shell tools).
    pub command: String,
    /// Resolved program name for shell, empty otherwise.
    pub program: String,
    /// The segment's risk.
    pub risk: Risk,
    /// Learnable pattern derived from it; `None` when it must never be generalized.
    pub pattern: Option<String>,
    /// One line saying why.
    pub reason: String,
}

/// The classifier's answer for a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Overall risk (the highest segment's).
    pub risk: Risk,
    /// One line for the agent or the human.
    pub reason: String,
    /// A longer explanation.
    pub explanation: String,
    /// One entry per simple command for shell; exactly one entry for other tools.
    pub segments: Vec<SegmentAssessment>,
}

/// Rates a request. Pure, deterministic, bounded in time; never panics.
///
/// `tool`/`action`/`scope` follow DESIGN.md §2: `shell/execute/<command>`,
/// `filesystem/read|write|edit|delete/<path>`, `web/fetch/<url>`, `web/search/<query>`,
/// `agent/spawn/<desc>`, `<mcp server>/<mcp tool>/<arguments>`; anything else is unknown.
pub fn assess(tool: &str, action: &str, scope: &str, ctx: &Context) -> Assessment {
    let t = tool.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    match t.as_str() {
        "shell" | "bash" | "terminal" => shell::assess_command(scope, ctx),
        _ => tools::assess_tool(&t, &a, tool, action, scope, ctx),
    }
}

/// Rates what a file being written would run (a shell script, a `package.json`'s scripts, a
/// `Makefile`'s recipes) and raises `a` to HIGH when that reaches HIGH or CRITICAL: writing
/// such a file is not running it, so the human is asked rather than the write refused, and the
/// write is never generalized into a pattern. `text` is the whole file or an edit's new text.
pub fn rate_written_text(a: &mut Assessment, path: &str, text: &str, ctx: &Context) {
    let Some((tier, reason)) = scripts::written_text_risk(path, text, ctx) else {
        return;
    };
    let reason = format!("writes a file that would run a {tier} command: {reason}");
    let factor = "writes_dangerous_commands".to_string();
    let raised = RiskTier::High.max(a.risk.tier);
    let add = |risk: &mut Risk, reason_slot: &mut String| {
        if risk.tier < raised {
            risk.tier = raised;
            risk.score = score_for(raised, 1);
            *reason_slot = reason.clone();
        } else if !reason_slot.contains(&reason) {
            *reason_slot = format!("{reason_slot}; {reason}");
        }
        if !risk.factors.contains(&factor) {
            risk.factors.insert(0, factor.clone());
        }
    };
    for s in a.segments.iter_mut() {
        s.pattern = None;
        add(&mut s.risk, &mut s.reason);
    }
    add(&mut a.risk, &mut a.reason);
    a.explanation
        .push_str(&format!("\n  [{raised}] content — {reason}"));
}

/// A one-line description of what the request does (the explainer's base sentence).
pub fn describe(tool: &str, action: &str, scope: &str) -> String {
    let short: String = scope.chars().take(200).collect();
    let short = if short.len() < scope.len() {
        format!("{short}…")
    } else {
        short
    };
    match (
        tool.to_ascii_lowercase().as_str(),
        action.to_ascii_lowercase().as_str(),
    ) {
        ("shell" | "bash" | "terminal", _) => format!("Run shell command: {short}"),
        ("filesystem", "read") => format!("Read file: {short}"),
        ("filesystem", "write") => format!("Write to file: {short}"),
        ("filesystem", "edit") => format!("Edit file: {short}"),
        ("filesystem", "delete") => format!("Delete: {short}"),
        ("web", "fetch") => format!("Fetch URL: {short}"),
        ("web", "search") => format!("Search the web for: {short}"),
        ("agent", "spawn") => format!("Start a sub-agent: {short}"),
        _ => format!("Perform {action} using {tool} on: {short}"),
    }
}

#[cfg(test)]
mod tests;
