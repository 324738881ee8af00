//! Risk classification of a normalized request, pure (no I/O, no store).
//!
//! [`assess`] rates any tool call; shell commands are judged per simple command using
//! [`crate::shell`]. Tables are compiled into the binary. [`pattern_matches`] and
//! [`path_pattern_matches`] are the one place the learnable pattern syntax is interpreted
//! (see `docs/risk.md`).

mod abuse;
mod args;
mod budget;
/// Rules kept as data with their examples, and the docs table generated from them.
#[cfg(test)]
mod catalog;
mod code;
mod elsewhere;
mod embedded;
mod grammar;
mod invocation;
mod judge;
mod mcp;
pub mod paths;
mod pattern;
mod rater;
mod readonly;
mod realpaths;
mod redact;
mod registry;
mod rules_cloud;
mod rules_data;
mod rules_delete;
mod rules_fs;
mod rules_git;
mod rules_net;
mod rules_perm;
mod rules_pkg;
mod rules_secrets;
mod rules_self;
mod rules_sys;
mod runs_later;
mod scripts;
mod secrets;
mod shell;
pub mod swaps;
mod tools;
mod urls;
mod writes;
mod written_text;

pub use budget::{
    FILE_WORK_BUDGET, MAX_NEST, TOO_COMPLEX, Tally, WORK_BUDGET, WORK_PER_BYTE, WORK_PER_PARSE,
    WORK_PER_SEGMENT, WORK_PER_WORD,
};
pub use judge::{score_for, tier_for_score};
pub use mcp::SHORTENED_MARKER;
pub use pattern::{matches, path_pattern_matches, pattern_matches, url_pattern_matches};
pub use redact::{REDACTED, redact_secrets};
pub use written_text::{rate_written_text, written_text_risk};

use crate::request::Risk;
use std::sync::Arc;

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
    /// Where paths really land (symbolic links followed), supplied by a caller that may
    /// touch the file system; `None` judges paths as text only (pure tests, reports).
    pub resolver: Option<Arc<dyn PathResolver>>,
}

/// Finds where a path really lands on disk. The classifier stays pure: the caller that
/// may do I/O (the Gate, `aiperture explain`) injects one, tests inject a map.
pub trait PathResolver: std::fmt::Debug + Send + Sync {
    /// The real location of `abs` (absolute and lexically canonical) when a component of it
    /// is a symbolic link; for a path that does not exist yet, of its longest existing
    /// parent joined with the rest. `None` when it lands where it says or cannot be read.
    fn real_path(&self, abs: &str) -> Option<String>;
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
        "shell" | "bash" | "terminal" if a == "execute" || !mcp::is_arguments(scope) => {
            shell::assess_command(scope, ctx)
        }
        _ => tools::assess_tool(&t, &a, tool, action, scope, ctx),
    }
}

/// Rates a request like [`assess`] with every program family's rules switched off, so that
/// only the generic rules and the word grammar judge a command: the project's estimate of how
/// it fares on families no one has written rules for (leave-one-family-out, issue 20). For
/// measurements only; the gate never calls it.
pub fn assess_grammar_only(tool: &str, action: &str, scope: &str, ctx: &Context) -> Assessment {
    grammar::with_family_rules_off(|| assess(tool, action, scope, ctx))
}

/// Rates an MCP or unknown tool call from the whole canonical JSON of its arguments, whatever
/// the server is named (a server may be called `filesystem`, `web` or `shell`).
pub fn assess_arguments(tool: &str, action: &str, arguments: &str, ctx: &Context) -> Assessment {
    let t = tool.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    if mcp::is_arguments(arguments) {
        tools::assess_tool(&t, &a, tool, action, arguments, ctx)
    } else {
        assess(tool, action, arguments, ctx)
    }
}

/// Rates a request like [`assess`] and says what the classifier spent on it (its work
/// budget, see `docs/security.md`): for tests and measurements. Non-shell tools spend
/// nothing on the shell budget and report an empty tally.
pub fn assess_tallied(tool: &str, action: &str, scope: &str, ctx: &Context) -> (Assessment, Tally) {
    match tool.to_ascii_lowercase().as_str() {
        "shell" | "bash" | "terminal" => shell::assess_tallied(scope, ctx),
        _ => (assess(tool, action, scope, ctx), Tally::default()),
    }
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
mod second_pass_tests;
#[cfg(test)]
mod tests;
