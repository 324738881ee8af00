//! GitHub Copilot CLI (`aiperture hook copilot [--event permissionRequest]`).
//!
//! Two payload dialects: camelCase (`toolName`, `toolArgs` as an object or a JSON-encoded
//! string, no event name: the hook command says which event with `--event`, default
//! `preToolUse`) and PascalCase (`hook_event_name`, `tool_name`, `tool_input`). preToolUse
//! takes `{"permissionDecision":"allow"|"deny"|"ask"}`; permissionRequest takes
//! `{"behavior":"allow"|"deny"}` or `{}` (normal flow). Fail closed = ask. The Copilot coding
//! agent processes only deny. No tool call id ties a run to an ask: no learning from prompts.

use super::mapping::{Target, edit_hash, first_str};
use super::payload::{
    Malformed, obj_or_json_string, parse_object, pattern_root, req_str, sha256_hex, str_or_empty,
};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::request::{Decision, Request};
use serde_json::{Map, Value, json};

/// The Copilot CLI adapter; `event` is the camelCase event named on the command line.
pub struct Copilot {
    /// The event for camelCase payloads (which carry no event name).
    pub event: String,
}

impl Default for Copilot {
    fn default() -> Self {
        Copilot {
            event: "preToolUse".into(),
        }
    }
}

/// The answer forms Copilot CLI understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// preToolUse: `permissionDecision`.
    PreToolUse,
    /// permissionRequest: `behavior`.
    PermissionRequest,
    /// Every other event: print nothing.
    Quiet,
}

fn map_tool(name: &str, args: &Map<String, Value>, cwd: &str) -> Result<Target, Malformed> {
    let path = || -> Result<&str, Malformed> {
        Ok(first_str(args, &["path", "file_path"])?.unwrap_or(""))
    };
    Ok(match name {
        "bash" | "powershell" | "shell" => Target::shell(req_str(args, "command")?),
        "view" | "read" => Target::read(cwd, path()?),
        "create" | "write" => {
            let text = first_str(args, &["file_text", "content"])?.unwrap_or("");
            Target::write(cwd, path()?, sha256_hex(text.as_bytes())).with_content(text)
        }
        "edit" => {
            let new = str_or_empty(args, "new_str")?;
            Target::write(cwd, path()?, edit_hash(str_or_empty(args, "old_str")?, new))
                .with_content(new)
        }
        "glob" => Target::read(
            &super::payload::resolve_path(cwd, path()?, super::payload::home_dir().as_deref()),
            pattern_root(str_or_empty(args, "pattern")?),
        ),
        "grep" => Target::read(cwd, path()?),
        "web_fetch" => Target::fetch(req_str(args, "url")?),
        "task" => Target::spawn(
            first_str(args, &["agent_type", "subagent_type"])?.unwrap_or(""),
            str_or_empty(args, "description")?,
        ),
        _ => Target::unknown(name, args),
    })
}

fn tool_request(event: &str, obj: &Map<String, Value>, pascal: bool) -> Result<Request, Malformed> {
    let (session, name, input) = if pascal {
        (
            str_or_empty(obj, "session_id")?,
            req_str(obj, "tool_name")?,
            obj_or_json_string(obj, "tool_input")?,
        )
    } else {
        (
            str_or_empty(obj, "sessionId")?,
            req_str(obj, "toolName")?,
            obj_or_json_string(obj, "toolArgs")?,
        )
    };
    let cwd = super::payload::cwd_or_process(str_or_empty(obj, "cwd")?);
    let cwd = cwd.as_str();
    let base = Request {
        runtime: "copilot".into(),
        event: event.into(),
        session_id: session.into(),
        cwd: cwd.into(),
        raw_tool_name: name.into(),
        ..Request::default()
    };
    Ok(map_tool(name, &input, cwd)?.into_request(base))
}

impl Adapter for Copilot {
    type Form = Form;

    fn name(&self) -> &'static str {
        "copilot"
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let pascal = obj.contains_key("hook_event_name");
        let event = if pascal {
            req_str(&obj, "hook_event_name")?
        } else {
            self.event.as_str()
        };
        let (form, ev) = match event {
            "preToolUse" | "PreToolUse" => (
                Form::PreToolUse,
                Event::PreTool(tool_request(event, &obj, pascal)?),
            ),
            "permissionRequest" | "PermissionRequest" => (
                Form::PermissionRequest,
                Event::PermissionRequest(tool_request(event, &obj, pascal)?),
            ),
            _ => (Form::Quiet, Event::Other),
        };
        Ok(Parsed { form, event: ev })
    }

    fn render(&self, form: Option<Form>, answer: &Answer) -> Output {
        match (form.unwrap_or(Form::PreToolUse), answer) {
            (_, Answer::Warn(w)) => Output::empty().with_stderr(w.clone()),
            (Form::PreToolUse, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({"permissionDecision": "allow"})),
                Decision::Deny => Output::json(json!({"permissionDecision": "deny",
                    "permissionDecisionReason": r.for_model})),
                Decision::Ask => Output::json(json!({"permissionDecision": "ask",
                    "permissionDecisionReason": r.for_human})),
            },
            (Form::PreToolUse, Answer::FailClosed(why)) => {
                let reason = fail_closed(why, true);
                Output::json(json!({"permissionDecision": "ask",
                    "permissionDecisionReason": reason}))
                .with_stderr(reason)
            }
            (Form::PermissionRequest, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({"behavior": "allow"})),
                Decision::Deny => Output::json(json!({"behavior": "deny", "message": r.for_model})),
                Decision::Ask => Output::json(json!({})),
            },
            // `{}`: Copilot's normal permission flow (its prompt) decides.
            (Form::PermissionRequest, Answer::FailClosed(why)) => {
                Output::json(json!({})).with_stderr(fail_closed(why, true))
            }
            (Form::PermissionRequest, _) => Output::json(json!({})),
            (_, Answer::FailClosed(why)) => {
                Output::empty().with_stderr(format!("aiperture: {why}"))
            }
            _ => Output::empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pre(json: &str) -> Request {
        match Copilot::default().parse(json.as_bytes()).unwrap().event {
            Event::PreTool(r) => r,
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn both_dialects_and_both_arg_encodings() {
        let a = pre(
            r#"{"sessionId":"s","cwd":"/p","toolName":"bash","toolArgs":"{\"command\":\"rm -rf dist\"}"}"#,
        );
        let b = pre(
            r#"{"sessionId":"s","cwd":"/p","toolName":"bash","toolArgs":{"command":"rm -rf dist"}}"#,
        );
        let c = pre(
            r#"{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/p","tool_name":"bash","tool_input":{"command":"rm -rf dist"}}"#,
        );
        assert_eq!(a.scope, "rm -rf dist");
        assert_eq!(a.scope, b.scope);
        assert_eq!(b.scope, c.scope);
        let e = pre(
            r#"{"cwd":"/p","toolName":"edit","toolArgs":{"path":"x.yml","old_str":"a","new_str":"b"}}"#,
        );
        assert_eq!((e.action.as_str(), e.scope.as_str()), ("write", "/p/x.yml"));
        assert!(
            Copilot::default()
                .parse(br#"{"toolName":"bash","toolArgs":"rm"}"#)
                .is_err()
        );
    }

    #[test]
    fn permission_request_event_from_the_command_line() {
        let c = Copilot {
            event: "permissionRequest".into(),
        };
        let p = c
            .parse(br#"{"cwd":"/p","toolName":"bash","toolArgs":{"command":"git push"}}"#)
            .unwrap();
        assert_eq!(p.form, Form::PermissionRequest);
        assert_eq!(c.render(Some(p.form), &Answer::NoOpinion).stdout, "{}");
    }
}
