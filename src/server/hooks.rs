//! `POST /hooks/{runtime}`: the payload `aiperture hook <runtime>` reads on stdin, answered
//! with exactly the bytes that command prints on stdout (its answer and a newline, or
//! nothing), through the same adapters and the same `dispatch::handle`, on the server's
//! shared gate. The command's exit code travels in the `x-aiperture-exit-code` header.

use crate::engine::{RanResult, SessionStatus, ToolOutcome, learning};
use crate::request::{Decision, Request, Verdict};
use crate::runtimes::dispatch::{self, HookEngine};
use crate::runtimes::{
    Adapter, Answer, Output, claude_code::ClaudeCode, codex::Codex, copilot::Copilot,
    cursor::Cursor, gemini::Gemini, openclaw::OpenClaw,
};
use crate::store::LocalGate;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The runtimes `aiperture hook` knows, under the names it takes.
pub const RUNTIMES: &[&str] = &[
    "claude-code",
    "claude",
    "cursor",
    "gemini",
    "gemini-cli",
    "codex",
    "copilot",
    "copilot-cli",
    "openclaw",
];

/// Answers one hook payload for `runtime` as `aiperture hook <runtime> [--event E]` would;
/// `None` for a runtime it does not know.
pub fn answer(
    gate: &LocalGate,
    runtime: &str,
    event: Option<&str>,
    payload: &[u8],
) -> Option<Output> {
    Some(match runtime {
        "claude-code" | "claude" => guarded(&ClaudeCode, gate, payload),
        "cursor" => guarded(&Cursor, gate, payload),
        "gemini" | "gemini-cli" => guarded(&Gemini, gate, payload),
        "codex" => guarded(&Codex, gate, payload),
        "copilot" | "copilot-cli" => guarded(
            &Copilot {
                event: event.unwrap_or("preToolUse").to_string(),
            },
            gate,
            payload,
        ),
        "openclaw" => guarded(&OpenClaw, gate, payload),
        _ => return None,
    })
}

/// The bytes `aiperture hook` writes on stdout for `out`: the answer and a newline, or
/// nothing (as `cli::crash_guard::output_bytes` writes them).
pub fn stdout_bytes(out: &Output) -> Vec<u8> {
    if out.stdout.is_empty() {
        return Vec::new();
    }
    let mut b = Vec::with_capacity(out.stdout.len() + 1);
    b.extend_from_slice(out.stdout.as_bytes());
    b.push(b'\n');
    b
}

/// Answers a payload; a panic anywhere becomes the runtime's fail-closed answer, as in the
/// one-shot hook.
fn guarded<A: Adapter>(adapter: &A, gate: &LocalGate, payload: &[u8]) -> Output {
    let answered = catch_unwind(AssertUnwindSafe(|| {
        dispatch::handle(adapter, payload, || Ok(Shared(gate)))
    }));
    answered.unwrap_or_else(|_| {
        adapter.render(
            None,
            &Answer::FailClosed("aiperture hit an internal error".into()),
        )
    })
}

/// The shared gate as a hook engine. `dispatch` implements [`HookEngine`] for an owned
/// `Gate` (`&mut self`, what a one-shot process has); a server shares one gate behind an
/// `Arc`, so this borrows it. Every method is the same call as there.
// TODO(merge): when src/runtimes/dispatch.rs may change, implement `HookEngine` for
// `&Gate<S>` there and drop this copy of `ask_progress`.
struct Shared<'a>(&'a LocalGate);

impl HookEngine for Shared<'_> {
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
        let out = self.0.check_full(req, false)?;
        Ok((out.verdict, out.pending_id))
    }
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>> {
        Ok(self.0.learned_decision(req)?)
    }
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        Ok(self.0.tool_ran(req, outcome)?)
    }
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32> {
        Ok(self.0.end_session(runtime, session_id)?)
    }
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus> {
        Ok(self.0.session_status(req)?)
    }
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
        Ok(self.0.classifier_denied(req, reason)?)
    }
    fn ask_progress(&mut self, req: &Request, v: &Verdict) -> Option<(u32, u32, String)> {
        // Exactly `dispatch`'s `impl HookEngine for Gate`: the first segment still asking.
        let gate = self.0;
        let seg = v
            .segments
            .iter()
            .find(|s| s.decision != Some(Decision::Allow))
            .or(v.segments.first())?;
        let key = learning::key_of(seg.pattern.as_deref(), &seg.command);
        let project = gate.resolve(req).project;
        let needed = gate.config().needed(seg.risk.tier);
        let stats = gate
            .pattern_stats(&project, &req.tool, &req.action, &key)
            .ok()?;
        let n = stats
            .iter()
            .filter(|p| p.revoked_ms.is_none_or(|r| r < p.last_ms))
            .map(|p| p.human_allow)
            .max()
            .unwrap_or(0);
        Some((n, needed, key.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_is_the_answer_and_a_newline_or_nothing() {
        assert!(stdout_bytes(&Output::empty()).is_empty());
        let out = Output::json(serde_json::json!({"a": 1}));
        assert_eq!(stdout_bytes(&out), b"{\"a\":1}\n");
    }
}
