//! The one request shape and the one verdict shape every interface speaks.
//!
//! Runtime adapters turn their payloads into a [`Request`]; the engine answers with a
//! [`Verdict`]; adapters render it. The engine never sees a runtime's JSON.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What the gate answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Let the tool call proceed without asking.
    Allow,
    /// Refuse the tool call.
    Deny,
    /// Let the human decide.
    Ask,
}

impl Decision {
    /// The lowercase name (`allow`, `deny`, `ask`).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Ask => "ask",
        }
    }

    /// Parses `allow`, `deny` or `ask`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(Decision::Allow),
            "deny" => Some(Decision::Deny),
            "ask" => Some(Decision::Ask),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Risk tiers, ordered `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskTier {
    /// Read-only or trivially reversible.
    Low,
    /// Changes state in a recoverable way; learnable.
    Medium,
    /// Hard to undo or security relevant; never auto-allowed.
    High,
    /// Destructive, exfiltrating or self-tampering; denied by default.
    Critical,
}

impl RiskTier {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
            RiskTier::Critical => "critical",
        }
    }

    /// Parses a lowercase tier name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(RiskTier::Low),
            "medium" => Some(RiskTier::Medium),
            "high" => Some(RiskTier::High),
            "critical" => Some(RiskTier::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for RiskTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A risk assessment: tier, a score in `[0, 1]` that agrees with the tier, and the ordered
/// factors that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// The tier.
    pub tier: RiskTier,
    /// Score in `[0, 1]`; low < 0.25 ≤ medium < 0.5 ≤ high < 0.8 ≤ critical.
    pub score: f64,
    /// Machine-readable factor names, most important first, deterministic order.
    pub factors: Vec<String>,
}

impl Risk {
    /// A risk with no factors at the lowest score of `tier`.
    pub fn of_tier(tier: RiskTier) -> Self {
        let score = match tier {
            RiskTier::Low => 0.1,
            RiskTier::Medium => 0.3,
            RiskTier::High => 0.6,
            RiskTier::Critical => 0.9,
        };
        Risk {
            tier,
            score,
            factors: Vec::new(),
        }
    }
}

/// One normalized tool call, whatever runtime or interface it came from.
///
/// `tool`/`action`/`scope` follow DESIGN.md §2: `shell/execute/<command>`,
/// `filesystem/read|write/<absolute path>`, `web/fetch/<url>`, `web/search/<query>`,
/// `agent/spawn/<type:desc>`, `<mcp server>/<mcp tool>/<argument summary>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Which runtime or interface sent it: `claude-code`, `cursor`, `gemini`, `codex`,
    /// `copilot`, `openclaw`, `exec`, `cli`, `http`, `mcp`.
    pub runtime: String,
    /// The runtime's event name (`PreToolUse`, …) or `check` for direct checks.
    pub event: String,
    /// The runtime's session id; empty when the runtime has none.
    pub session_id: String,
    /// The runtime's id for this tool call, when it has one.
    pub tool_use_id: Option<String>,
    /// The working directory of the call (absolute).
    pub cwd: String,
    /// The project root (git root above `cwd`, else `cwd`); learned patterns are scoped to it.
    pub project: String,
    /// Normalized tool family: `shell`, `filesystem`, `web`, `agent`, or an MCP server name.
    pub tool: String,
    /// Normalized action: `execute`, `read`, `write`, `fetch`, `search`, `spawn`, or MCP tool.
    pub action: String,
    /// The target: command text, absolute path, URL, query, …
    pub scope: String,
    /// SHA-256 hex of the content being written, for writes and edits.
    pub content_hash: Option<String>,
    /// The text being written (a whole file) or inserted (an edit), when the runtime sends it.
    /// Read only to rate what a written script, `package.json` or `Makefile` would run; never
    /// stored, but it travels with a serialized request (a gate elsewhere must rate it too).
    /// At most the hook's payload cap (8 MiB), like the scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The whole canonical JSON of an MCP or unknown tool's arguments, when the runtime sent
    /// them; the scope may show them only in part (with their hash). Read only by the risk
    /// check, so every value is judged; never stored, but it travels with a serialized request
    /// like `content` (a gate elsewhere must judge every value too). The engine trusts it to be
    /// the whole the scope shows (it judges this and keys the scope, and leaves a scope with
    /// arguments unshortened), which holds only where the adapter set both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// What the tool returned, as the runtime reported it after the call (Claude Code's
    /// `PostToolUse` `tool_response`: its text, or its JSON). Read only to store it as an
    /// artifact when `artifacts_store_tool_outputs` is on; never judged, never serialized.
    #[serde(skip)]
    pub tool_output: Option<String>,
    /// The runtime's own tool name (`Bash`, `Edit`, `mcp__github__create_pr`, …).
    pub raw_tool_name: String,
    /// The runtime's permission mode at the time of the call, when it reports one, as the
    /// runtime spells it (for the audit; the engine reads [`Request::unasked`]).
    pub permission_mode: Option<String>,
    /// What the runtime already runs without asking anyone in that mode, mapped by the
    /// runtime's adapter.
    #[serde(default)]
    pub unasked: Unasked,
    /// The runtime has no human to put an ask to (Claude Code's `claude -p`): it refuses an
    /// ask at once. Set by the runtime's adapter from how the runtime launched the hook
    /// ([`crate::runtimes::launch`]); the gate then keeps no pending ask, so neither a call that
    /// runs nor one refused there counts as a human's decision.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub headless: bool,
    /// The id that makes this call's recording happen once ([`crate::request_id`]):
    /// set by a hook that handed the call to a running server, on both paths, so the server
    /// and an in-process fallback never both record it. `None`: recorded unconditionally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Where the request comes from (the client's home, cwd, project and user), computed on
    /// the client side; `None` from callers that do not say, which the gate then detects on
    /// its own machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsite: Option<CallSite>,
}

/// What the runtime lets run without a human's say in its current permission mode: the
/// runtime-neutral meaning of a mode, mapped by the runtime's adapter. The engine reads it
/// to know whether a call that ran was approved by a person (only then does it teach) and
/// whether a call it leaves unanswered goes to the runtime's own classifier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unasked {
    /// Nothing: what the hook does not allow, the runtime asks its human about (or the
    /// runtime names no mode).
    #[default]
    Nothing,
    /// File edits run without a prompt; everything else is asked.
    Edits,
    /// No call is put to a human: the runtime runs every call, or runs what its own rules
    /// allow and refuses the rest.
    Everything,
    /// A model-based classifier reviews each action in place of the human and allows by
    /// default; a hook that answers nothing leaves the action to it.
    Classifier,
}

impl Unasked {
    /// Whether a call of this tool family runs without a human's say in this mode, so its
    /// running is no human approval.
    pub fn runs_unasked(self, tool: &str) -> bool {
        match self {
            Unasked::Everything => true,
            Unasked::Edits => tool == "filesystem",
            Unasked::Nothing | Unasked::Classifier => false,
        }
    }
}

/// Who asks: the user on the client machine and the runtime they work in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The person: `AIPERTURE_ACTOR` when set, else the login name on the client (`USER`,
    /// else `LOGNAME`), cleaned by `crate::identity`; empty when none is set.
    pub user: String,
    /// The runtime or interface (`claude-code`, `exec`, `cli`, …), as in `Request::runtime`.
    pub runtime: String,
    /// The client's machine: `AIPERTURE_HOST` when set, else its host name; empty when
    /// unknown (callers that send no host).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}

/// The caller's context of one request, computed where the request is made (by
/// `crate::callsite`, on the client side).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSite {
    /// The client's home directory (empty when unknown): what `~` means to the caller.
    pub home: String,
    /// The working directory the project root was found from.
    pub cwd: String,
    /// The project root: the git root above `cwd`, else `cwd`; `global` without an absolute
    /// cwd. Learned patterns are keyed by it.
    pub root: String,
    /// A project id that names the same project on every machine: the explicit id when one
    /// is set, else the `origin` remote's URL (credentials removed), else [`CallSite::root`].
    pub project_id: String,
    /// Who asks.
    pub principal: Principal,
}

/// The decision and risk for one simple command of a shell request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The simple command's text as written.
    pub command: String,
    /// The resolved program name (`rm` for `/bin/rm`, `sudo rm`, …), empty if none.
    pub program: String,
    /// The segment's own risk.
    pub risk: Risk,
    /// The learnable pattern for this segment (`git log *`), if it may be generalized.
    pub pattern: Option<String>,
    /// The segment's decision, once the engine has decided it.
    pub decision: Option<Decision>,
    /// Which stage decided the segment.
    pub decided_by: Option<String>,
}

/// The gate's answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// allow, deny or ask.
    pub decision: Decision,
    /// The stage that decided, with the rule or pattern where one applies, e.g.
    /// `risk_floor`, `rule:user:3`, `learned:git log *`, `default`.
    pub decided_by: String,
    /// The request's overall risk (the highest segment's risk for shell).
    pub risk: Risk,
    /// One line for the agent or the human.
    pub reason: String,
    /// A longer human explanation.
    pub explanation: String,
    /// Per simple command, for shell requests.
    pub segments: Vec<Segment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_gate_elsewhere_must_judge_travels_with_the_request() {
        let req = Request {
            tool: "github".into(),
            action: "create_issue".into(),
            scope: "{\"title\":\"x\"} (sha256 …)".into(),
            content: Some("#!/bin/sh\nrm -rf ~\n".into()),
            arguments: Some("{\"title\":\"x\",\"body\":\"ghp_0123\"}".into()),
            tool_output: Some("the tool's output".into()),
            ..Request::default()
        };
        let json = serde_json::to_string(&req).unwrap_or_default();
        let back: Request = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back.content, req.content);
        assert_eq!(back.arguments, req.arguments);
        // Only stored as an artifact where it was reported: it does not travel.
        assert_eq!(back.tool_output, None);
        // Absent values are not written.
        let plain = serde_json::to_string(&Request::default()).unwrap_or_default();
        assert!(
            !plain.contains("\"arguments\"") && !plain.contains("\"content\""),
            "{plain}"
        );
    }
}
