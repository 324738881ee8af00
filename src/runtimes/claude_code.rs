//! Claude Code (`aiperture hook claude-code`).
//!
//! PreToolUse → decide and print `hookSpecificOutput.permissionDecision` (the ask is recorded
//! as pending under its `tool_use_id`; in auto mode an unlearned action below HIGH gets no
//! answer, so the runtime's classifier decides: `engine::modes`); PostToolUse/PostToolUseFailure
//! → the tool ran, resolve the pending ask as the human's approval; PermissionRequest →
//! allow/deny only when learning decides, else print nothing so the dialog shows;
//! PermissionDenied → the classifier's refusal is recorded (never a retry, never a human
//! denial); SessionStart → one status line; Stop and
//! SessionEnd → pending asks that never ran become inferred denials. Fail closed = a JSON
//! `ask` on exit 0 (exit 1, empty output or invalid JSON would let the call through).

use super::mapping::claude_tool;
use super::payload::{
    Malformed, cwd_or_process, opt_str, parse_object, req_obj, req_str, str_or_empty,
};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::client_env::ClientEnv;
use crate::engine::ToolOutcome;
use crate::request::{Decision, Request, Unasked};
use serde_json::{Map, Value, json};

/// The Claude Code adapter.
pub struct ClaudeCode;

/// The answer forms Claude Code understands, by event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `PreToolUse`: `permissionDecision` allow/deny/ask.
    PreToolUse,
    /// `PermissionRequest`: `decision.behavior` allow/deny, or nothing (the dialog shows).
    PermissionRequest,
    /// `PostToolUse`/`PostToolUseFailure`: an optional `systemMessage`.
    PostToolUse,
    /// `SessionStart`: `systemMessage` + `additionalContext`.
    SessionStart,
    /// Every other event: print nothing.
    Quiet,
}

/// What runs without a human's say in a Claude Code permission mode: `bypassPermissions`
/// runs everything and `dontAsk` asks nobody (it refuses what is not allowed); `acceptEdits`
/// runs file edits; `auto` puts each action to a model-based classifier; `default` (`manual`),
/// `plan` and any mode not known here ask the human.
pub fn unasked(mode: Option<&str>) -> Unasked {
    match mode {
        Some("bypassPermissions" | "dontAsk") => Unasked::Everything,
        Some("acceptEdits") => Unasked::Edits,
        Some("auto") => Unasked::Classifier,
        _ => Unasked::Nothing,
    }
}

/// Fills the fields every Claude-shaped payload shares (Claude Code and Codex); `modes` maps
/// the runtime's `permission_mode` to what runs unasked.
pub(crate) fn base_request(
    runtime: &str,
    event: &str,
    obj: &Map<String, Value>,
    modes: fn(Option<&str>) -> Unasked,
) -> Result<Request, Malformed> {
    let cwd = cwd_or_process(str_or_empty(obj, "cwd")?);
    let mode = opt_str(obj, "permission_mode")?;
    Ok(Request {
        runtime: runtime.to_string(),
        event: event.to_string(),
        session_id: str_or_empty(obj, "session_id")?.to_string(),
        cwd,
        permission_mode: mode.map(str::to_string),
        unasked: modes(mode),
        ..Request::default()
    })
}

/// Maps a Claude-shaped tool event (`tool_name` + `tool_input`) to a request. aiperture's own
/// tools (`mcp__aiperture__*`) are gated like any MCP tool: a repository can name any server
/// `aiperture`.
pub(crate) fn tool_request(
    runtime: &str,
    event: &str,
    obj: &Map<String, Value>,
    with_tool_use_id: bool,
    modes: fn(Option<&str>) -> Unasked,
) -> Result<Request, Malformed> {
    let mut base = base_request(runtime, event, obj, modes)?;
    let name = req_str(obj, "tool_name")?;
    let input = req_obj(obj, "tool_input")?;
    base.raw_tool_name = name.to_string();
    if with_tool_use_id {
        base.tool_use_id = opt_str(obj, "tool_use_id")?.map(str::to_string);
    }
    Ok(claude_tool(name, input, &base.cwd)?.into_request(base))
}

impl Adapter for ClaudeCode {
    type Form = Form;

    fn name(&self) -> &'static str {
        "claude-code"
    }

    /// `claude -p` (entrypoint `sdk-cli`) has no one to show a permission dialog to: it
    /// refuses every ask at once (unless a `--permission-prompt-tool` answers, which is a
    /// program, not a person). An interactive session (`cli`) and the Agent SDK (`sdk-ts`,
    /// `sdk-py`, whose host may put the question to a person) have one.
    fn headless(&self, env: &ClientEnv) -> bool {
        env.get("CLAUDE_CODE_ENTRYPOINT") == Some("sdk-cli")
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let event = req_str(&obj, "hook_event_name")?;
        let rt = self.name();
        let tool = |with_id| tool_request(rt, event, &obj, with_id, unasked);
        let (form, ev) = match event {
            "PreToolUse" => (Form::PreToolUse, Some(Event::PreTool(tool(true)?))),
            "PermissionRequest" => (
                Form::PermissionRequest,
                Some(Event::PermissionRequest(tool(false)?)),
            ),
            "PostToolUse" => {
                let mut req = tool(true)?;
                req.tool_output = tool_output(&obj);
                (
                    Form::PostToolUse,
                    Some(Event::PostTool(req, ToolOutcome::Succeeded)),
                )
            }
            "PostToolUseFailure" => (
                Form::PostToolUse,
                Some(Event::PostTool(tool(true)?, ToolOutcome::Failed)),
            ),
            "PermissionDenied" => {
                let reason = opt_str(&obj, "reason")?.unwrap_or("").to_string();
                (
                    Form::Quiet,
                    Some(Event::ClassifierDenied(tool(true)?, reason)),
                )
            }
            "SessionStart" => (
                Form::SessionStart,
                Some(Event::SessionStart(base_request(rt, event, &obj, unasked)?)),
            ),
            "Stop" | "SessionEnd" => (
                Form::Quiet,
                Some(Event::SessionEnd(base_request(rt, event, &obj, unasked)?)),
            ),
            _ => (Form::Quiet, None),
        };
        Ok(Parsed {
            form,
            event: ev.unwrap_or(Event::Other),
        })
    }

    fn render(&self, form: Option<Form>, answer: &Answer) -> Output {
        let form = form.unwrap_or(Form::PreToolUse);
        match (form, answer) {
            (_, Answer::Warn(w)) => Output::empty().with_stderr(w.clone()),
            (Form::PreToolUse, Answer::Reply(r)) => {
                let reason = match r.decision {
                    Decision::Deny => &r.for_model,
                    _ => &r.for_human,
                };
                pre_tool_use(r.decision, reason)
            }
            (Form::PreToolUse, Answer::FailClosed(why)) => {
                let reason = fail_closed(why, true);
                pre_tool_use(Decision::Ask, &reason).with_stderr(reason.clone())
            }
            (Form::PermissionRequest, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({"hookSpecificOutput": {
                    "hookEventName": "PermissionRequest",
                    "decision": {"behavior": "allow"}}})),
                Decision::Deny => Output::json(json!({"hookSpecificOutput": {
                    "hookEventName": "PermissionRequest",
                    "decision": {"behavior": "deny", "message": r.for_model, "interrupt": false}}})),
                // No "ask" here: printing nothing lets Claude Code show its dialog.
                Decision::Ask => Output::empty(),
            },
            (Form::PostToolUse, Answer::Note(n)) => Output::json(json!({"systemMessage": n})),
            (Form::SessionStart, Answer::Status(s)) => Output::json(json!({
                "systemMessage": s,
                "hookSpecificOutput": {
                    "hookEventName": "SessionStart",
                    "additionalContext": format!("{s} {SESSION_CONTEXT}")}})),
            // Where nothing can be blocked (the tool already ran, the dialog will show), a
            // failure is a warning, never a decision.
            (_, Answer::FailClosed(why)) => {
                Output::empty().with_stderr(format!("aiperture: {why}"))
            }
            _ => Output::empty(),
        }
    }
}

/// A `PostToolUse` payload's `tool_response`: its text when it is a string, else its JSON
/// (Bash's `{stdout, stderr, …}`); `None` when absent. Stored as an artifact only when
/// `artifacts_store_tool_outputs` is on (`runtimes::dispatch`).
fn tool_output(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("tool_response")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// What the model is told at session start.
const SESSION_CONTEXT: &str = "aiperture checks every tool call in this session. A denied call \
    comes back with the reason and what to do instead: follow it, do not work around it. Calls \
    that need the user's approval pause until they answer.";

fn pre_tool_use(decision: Decision, reason: &str) -> Output {
    Output::json(json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": decision.as_str(),
        "permissionDecisionReason": reason}}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RiskTier;
    use crate::runtimes::Reply;

    fn reply(d: Decision, model: &str, human: &str) -> Answer {
        Answer::Reply(Reply {
            decision: d,
            for_model: model.into(),
            for_human: human.into(),
            tier: RiskTier::Medium,
            pending_id: None,
        })
    }

    fn parse(json: &str) -> Parsed<Form> {
        ClaudeCode.parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn pre_tool_use_request() {
        let p = parse(
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","permission_mode":"plan",
               "tool_name":"Read","tool_input":{"file_path":"src/x.rs"},"tool_use_id":"toolu_1"}"#,
        );
        assert_eq!(p.form, Form::PreToolUse);
        let Event::PreTool(r) = p.event else {
            panic!("not a pre tool event")
        };
        assert_eq!(r.scope, "/p/src/x.rs");
        assert_eq!(r.runtime, "claude-code");
        assert_eq!(r.tool_use_id.as_deref(), Some("toolu_1"));
        assert_eq!(r.permission_mode.as_deref(), Some("plan"));
        assert_eq!(r.unasked, Unasked::Nothing);
        assert_eq!(r.raw_tool_name, "Read");
        assert!(r.project.is_empty());
    }

    #[test]
    fn only_claude_p_has_no_human_to_ask() {
        for (entrypoint, headless) in [
            (None, false),
            (Some("cli"), false),
            (Some("sdk-cli"), true),
            (Some("sdk-ts"), false),
            (Some("sdk-py"), false),
        ] {
            let env = ClientEnv::from_pairs(entrypoint.map(|e| ("CLAUDE_CODE_ENTRYPOINT", e)));
            assert_eq!(ClaudeCode.headless(&env), headless, "{entrypoint:?}");
        }
    }

    #[test]
    fn each_permission_mode_maps_to_what_runs_unasked() {
        for (mode, want) in [
            (None, Unasked::Nothing),
            (Some("default"), Unasked::Nothing),
            (Some("manual"), Unasked::Nothing),
            (Some("plan"), Unasked::Nothing),
            (Some("acceptEdits"), Unasked::Edits),
            (Some("auto"), Unasked::Classifier),
            (Some("dontAsk"), Unasked::Everything),
            (Some("bypassPermissions"), Unasked::Everything),
            (Some("someFutureMode"), Unasked::Nothing),
            (Some("AUTO"), Unasked::Nothing),
        ] {
            assert_eq!(unasked(mode), want, "{mode:?}");
            let mode_field = mode
                .map(|m| format!(r#""permission_mode":"{m}","#))
                .unwrap_or_default();
            let p = parse(&format!(
                r#"{{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse",{mode_field}
                   "tool_name":"Bash","tool_input":{{"command":"ls"}}}}"#
            ));
            let Event::PreTool(r) = p.event else {
                panic!("not a pre tool event")
            };
            assert_eq!(r.unasked, want, "{mode:?}");
            assert_eq!(r.permission_mode.as_deref(), mode, "kept raw for the audit");
        }
    }

    #[test]
    fn malformed_payloads_are_refused() {
        for bad in [
            "null",
            "[]",
            r#"{"hook_event_name":"PreToolUse","tool_name":"Bash"}"#,
            r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":"rm"}"#,
            r#"{"hook_event_name":"PreToolUse","tool_name":1,"tool_input":{}}"#,
            r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#,
        ] {
            assert!(ClaudeCode.parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn events() {
        let own = parse(
            r#"{"hook_event_name":"PreToolUse","tool_name":"mcp__aiperture__approve","tool_input":{}}"#,
        );
        assert!(
            matches!(own.event, Event::PreTool(ref r) if r.tool == "aiperture" && r.action == "approve"),
            "aiperture's own MCP tools are gated like any other"
        );
        let fail = parse(
            r#"{"hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"x"},"tool_use_id":"t"}"#,
        );
        assert!(matches!(
            fail.event,
            Event::PostTool(_, ToolOutcome::Failed)
        ));
        let stop = parse(r#"{"hook_event_name":"Stop","session_id":"s"}"#);
        assert!(matches!(stop.event, Event::SessionEnd(ref r) if r.session_id == "s"));
        let other = parse(r#"{"hook_event_name":"Notification","message":"x"}"#);
        assert_eq!((other.form, other.event), (Form::Quiet, Event::Other));
    }

    #[test]
    fn renders_decisions() {
        let out = ClaudeCode.render(Some(Form::PreToolUse), &reply(Decision::Deny, "m", "h"));
        assert_eq!(
            out.stdout,
            r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"m"}}"#
        );
        let out = ClaudeCode.render(Some(Form::PreToolUse), &reply(Decision::Ask, "m", "h"));
        assert!(out.stdout.contains(r#""permissionDecisionReason":"h""#));
        let out = ClaudeCode.render(
            Some(Form::PermissionRequest),
            &reply(Decision::Ask, "m", "h"),
        );
        assert_eq!(out, Output::empty());
        let out = ClaudeCode.render(None, &Answer::FailClosed("bad".into()));
        assert!(out.stdout.contains(r#""permissionDecision":"ask""#));
        assert_eq!(out.exit_code, 0);
        let out = ClaudeCode.render(Some(Form::PostToolUse), &Answer::FailClosed("bad".into()));
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("", "aiperture: bad")
        );
    }
}
