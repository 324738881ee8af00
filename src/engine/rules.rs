//! The rules every source compiles to — aiperture's policy files and the runtimes' own
//! permission settings (Claude Code, Codex, Gemini CLI) — with where each came from and which
//! of a runtime's tool names it covers. Plain data and matching; the sources parse into it.

use super::matcher::ScopeMatcher;
use crate::request::Decision;

/// Which file a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSource {
    /// `$AIPERTURE_HOME/policy.toml`.
    User,
    /// `<project>/.aiperture/policy.toml`.
    Project,
    /// `~/.claude/settings.json` (Claude Code's user settings; requests from Claude Code only).
    ClaudeUser,
    /// `<project>/.claude/settings.json` (committed, so an agent or a cloned repository can
    /// write it: its allow rules are trusted like the project policy file's).
    ClaudeProject,
    /// `<project>/.claude/settings.local.json` (where Claude Code keeps the user's own
    /// "don't ask again" answers).
    ClaudeLocal,
    /// `~/.codex/rules/*.rules` (Codex's user execpolicy; requests from Codex only).
    CodexUser,
    /// `<project>/.codex/rules/*.rules` (a repository or an agent can write it: LOW risk only).
    CodexProject,
    /// `~/.gemini/policies/*.toml` (Gemini CLI's user policies; requests from Gemini only).
    GeminiUser,
    /// `<project>/.gemini/policies/*.toml` other than `auto-saved.toml` (a repository or an
    /// agent can write it: LOW risk only).
    GeminiWorkspace,
    /// `<project>/.gemini/policies/auto-saved.toml` (where Gemini CLI keeps the user's "allow
    /// for all future sessions" answers; trusted like `ClaudeLocal`).
    GeminiAutoSaved,
}

impl RuleSource {
    /// `user`, `project`, `claude-user`, … (shown by `aiperture doctor`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSource::User => "user",
            RuleSource::Project => "project",
            RuleSource::ClaudeUser => "claude-user",
            RuleSource::ClaudeProject => "claude-project",
            RuleSource::ClaudeLocal => "claude-local",
            RuleSource::CodexUser => "codex-user",
            RuleSource::CodexProject => "codex-project",
            RuleSource::GeminiUser => "gemini-user",
            RuleSource::GeminiWorkspace => "gemini-workspace",
            RuleSource::GeminiAutoSaved => "gemini-auto-saved",
        }
    }

    /// Whether this file's allow rules apply beyond LOW risk (below the risk floor) without
    /// `trust_project_allow`: the user's own files are; files a repository carries are not.
    pub fn trusted_allow(self) -> bool {
        matches!(
            self,
            RuleSource::User
                | RuleSource::ClaudeUser
                | RuleSource::ClaudeLocal
                | RuleSource::CodexUser
                | RuleSource::GeminiUser
                | RuleSource::GeminiAutoSaved
        )
    }
}

/// Which of the runtime's own tool names a rule read from a runtime's settings applies to.
#[derive(Debug, Clone)]
pub enum RawTools {
    /// Any (aiperture's own policy files).
    Any,
    /// Exactly these names (`Bash` never covers `PowerShell`).
    Names(&'static [&'static str]),
    /// `mcp__server__tool` exactly, or (with `true`) any name starting with the prefix.
    Prefix(String, bool),
}

impl RawTools {
    /// Whether a runtime tool name is covered.
    pub fn covers(&self, raw: &str) -> bool {
        match self {
            RawTools::Any => true,
            RawTools::Names(n) => n.contains(&raw),
            RawTools::Prefix(p, true) => raw.starts_with(p.as_str()),
            RawTools::Prefix(p, false) => raw == p,
        }
    }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which file.
    pub source: RuleSource,
    /// 1-based position in its file (`rule:user:3`).
    pub index: usize,
    /// Line in its file.
    pub line: usize,
    /// Tool (`*` for any).
    pub tool: String,
    /// Action (`*` for any).
    pub action: String,
    /// Scope pattern as written.
    pub scope: String,
    /// What it decides.
    pub decision: Decision,
    /// Why, shown to the agent and the human.
    pub reason: Option<String>,
    /// The runtime tool names it covers.
    pub raw_tools: RawTools,
    /// The label of a rule read from a runtime's settings (`claude-settings:<file>:<rule>`).
    pub origin: Option<String>,
    pub(super) matcher: ScopeMatcher,
}

impl Rule {
    /// `rule:<file>:<index>`, or `claude-settings:<file>:<rule>`.
    pub fn label(&self) -> String {
        match &self.origin {
            Some(o) => o.clone(),
            None => format!("rule:{}:{}", self.source.as_str(), self.index),
        }
    }

    /// A rule read from Claude Code's settings.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn claude(
        source: RuleSource,
        index: usize,
        tool: String,
        action: String,
        scope: String,
        decision: Decision,
        matcher: ScopeMatcher,
        raw_tools: RawTools,
        label: String,
    ) -> Rule {
        Rule {
            source,
            index,
            line: 0,
            tool,
            action,
            scope,
            decision,
            reason: Some(format!("{label} (your Claude Code settings)")),
            raw_tools,
            origin: Some(label),
            matcher,
        }
    }

    /// A rule read from another runtime's rule files (Codex, Gemini CLI), with its own reason
    /// (the rule's justification or deny message, else its label).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn runtime(
        source: RuleSource,
        index: usize,
        line: usize,
        tool: String,
        action: String,
        scope: String,
        decision: Decision,
        matcher: ScopeMatcher,
        raw_tools: RawTools,
        label: String,
        reason: String,
    ) -> Rule {
        Rule {
            source,
            index,
            line,
            tool,
            action,
            scope,
            decision,
            reason: Some(reason),
            raw_tools,
            origin: Some(label),
            matcher,
        }
    }

    /// Whether the rule is about this tool and action.
    pub(super) fn applies(&self, tool: &str, action: &str) -> bool {
        (self.tool == "*" || self.tool == tool) && (self.action == "*" || self.action == action)
    }

    /// How specific the rule is: the most specific rule of a kind wins.
    pub(super) fn rank(&self) -> (usize, u8) {
        let exact = u8::from(self.tool != "*") + u8::from(self.action != "*");
        (ScopeMatcher::specificity(&self.scope), exact)
    }
}
