//! Runtime adapters: one per agent runtime. Each parses that runtime's hook payload into an
//! [`Event`] carrying a [`crate::request::Request`], and renders an [`Answer`] (a verdict, no
//! opinion, or a fail-closed refusal) into that runtime's exact stdout, stderr and exit code.
//!
//! [`dispatch::handle`] is the one flow every runtime shares: parse, ask the engine only for
//! events that need it, render. Adapters stay small and table-like.

pub mod claude_code;
pub mod codex;
pub mod copilot;
pub mod cursor;
pub mod dispatch;
pub mod gemini;
pub mod mapping;
pub mod openclaw;
pub mod ordered;
pub mod payload;
pub mod reasons;
pub mod setup;

use crate::client_env::ClientEnv;
use crate::engine::ToolOutcome;
use crate::request::{Decision, Request, RiskTier};
pub use payload::Malformed;

/// What a hook payload asks of the gate.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A tool is about to run: decide it.
    PreTool(Request),
    /// A tool touching several targets is about to run (a multi-file patch): decide each, the
    /// strictest answer wins.
    PreToolEach(Vec<Request>),
    /// The tool ran (and succeeded or failed): record it, resolve a matching pending ask.
    PostTool(Request, ToolOutcome),
    /// The runtime is about to show its own permission dialog: answer only if learning decides.
    PermissionRequest(Request),
    /// The runtime's own classifier refused a tool call (Claude Code's auto mode), with its
    /// reason: recorded, never answered with a retry, and no human denial.
    ClassifierDenied(Request, String),
    /// A session starts: report a one-line status.
    SessionStart(Request),
    /// A session (or turn) ended: pending asks that never ran become inferred denials.
    SessionEnd(Request),
    /// Anything the gate has no opinion on (including aiperture's own MCP tools).
    Other,
}

/// A parsed payload: the event and the runtime-specific form its answer must take.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<F> {
    /// Which output form the runtime expects (its event, its payload dialect).
    pub form: F,
    /// What the gate is asked.
    pub event: Event,
}

/// A decision with its texts, each written for its reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// allow, deny or ask.
    pub decision: Decision,
    /// Text for the model (on deny: why, and what to do instead).
    pub for_model: String,
    /// Text for the human (on ask: why it asks, and how close the pattern is to being learned).
    pub for_human: String,
    /// The risk tier, for runtimes that show a severity.
    pub tier: RiskTier,
    /// For an ask: the pending ask's id, which `aiperture approve <id>` answers from a
    /// terminal (for runtimes that cannot ask the human themselves).
    pub pending_id: Option<String>,
}

/// What the gate answers to one event, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A decision.
    Reply(Reply),
    /// No opinion: the runtime's normal flow applies.
    NoOpinion,
    /// No opinion, with a one-line warning on stderr (an error where nothing can be blocked).
    Warn(String),
    /// Something went wrong where a decision was needed: the runtime's ask (or deny where it
    /// has no ask), with this reason.
    FailClosed(String),
    /// A status line for a session start.
    Status(String),
    /// A note for the human after a tool ran (learning progress).
    Note(String),
}

/// What the hook process prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// Bytes for stdout (empty = print nothing).
    pub stdout: String,
    /// One line for stderr, or empty.
    pub stderr: String,
    /// The process exit code. Never 1.
    pub exit_code: u8,
}

impl Output {
    /// Exit 0 with nothing on stdout.
    pub fn empty() -> Self {
        Output::default()
    }

    /// Exit 0 with one JSON document on stdout.
    pub fn json(v: serde_json::Value) -> Self {
        Output {
            stdout: v.to_string(),
            ..Output::default()
        }
    }

    /// The same output with a line on stderr.
    pub fn with_stderr(mut self, line: impl Into<String>) -> Self {
        self.stderr = line.into();
        self
    }
}

/// One agent runtime's hook protocol.
pub trait Adapter {
    /// The runtime-specific output form (its event, its payload dialect).
    type Form: Copy + std::fmt::Debug;

    /// The runtime's name as written in `aiperture hook <name>` and in `Request::runtime`.
    fn name(&self) -> &'static str;

    /// Turns payload bytes into an event. Any malformed payload is an error (fail closed).
    fn parse(&self, payload: &[u8]) -> Result<Parsed<Self::Form>, Malformed>;

    /// Renders an answer. `form` is `None` when the payload could not be parsed: the adapter
    /// then uses the form that is safest for an unknown event.
    fn render(&self, form: Option<Self::Form>, answer: &Answer) -> Output;

    /// Whether the runtime, in a hook process with environment `env`, has no human to put
    /// an ask to (it refuses an ask at once). Default: it has one, or it cannot tell.
    fn headless(&self, env: &ClientEnv) -> bool {
        let _ = env;
        false
    }
}

/// The runtimes `aiperture hook` accepts.
pub const RUNTIMES: &[&str] = &[
    "claude-code",
    "cursor",
    "gemini",
    "codex",
    "copilot",
    "openclaw",
];

/// Something done with the adapter a runtime's name selects (see [`with_adapter`]).
pub trait WithAdapter {
    /// What it gives.
    type Out;
    /// Does it with `adapter`.
    fn with<A: Adapter>(self, adapter: &A) -> Self::Out;
}

/// Does `job` with the adapter of the runtime `aiperture hook <name> [--event E]` names
/// (`claude-code` or `claude`, `cursor`, `gemini` or `gemini-cli`, `codex`, `copilot` or
/// `copilot-cli` — whose answer depends on `event`, default `preToolUse` — and `openclaw`);
/// `None` for a name no runtime has. The one table of names: the hook, its early fail-closed
/// answer and the server's `/hooks/{runtime}` all read it.
pub fn with_adapter<J: WithAdapter>(name: &str, event: Option<&str>, job: J) -> Option<J::Out> {
    Some(match name {
        "claude-code" | "claude" => job.with(&claude_code::ClaudeCode),
        "cursor" => job.with(&cursor::Cursor),
        "gemini" | "gemini-cli" => job.with(&gemini::Gemini),
        "codex" => job.with(&codex::Codex),
        "copilot" | "copilot-cli" => job.with(&copilot::Copilot {
            event: event.unwrap_or("preToolUse").to_string(),
        }),
        "openclaw" => job.with(&openclaw::OpenClaw),
        _ => return None,
    })
}

/// Whether `aiperture hook <name>` names a runtime (see [`with_adapter`]).
pub fn is_runtime(name: &str) -> bool {
    struct Known;
    impl WithAdapter for Known {
        type Out = ();
        fn with<A: Adapter>(self, _: &A) {}
    }
    with_adapter(name, None, Known).is_some()
}
