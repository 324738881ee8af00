//! Cursor (`aiperture hook cursor`).
//!
//! `beforeShellExecution` and `beforeMCPExecution` take `{"permission":"allow"|"deny"|"ask"}`
//! with `user_message` (the human) and `agent_message` (the model). `beforeReadFile` knows only
//! allow/deny, and `preToolUse` accepts `ask` without enforcing it: there an ask becomes a deny
//! that tells the model the call needs the user's approval (the nearest safe answer). Permission
//! hooks always print JSON (with `failClosed: true`, Cursor blocks on an empty answer). Fail
//! closed = ask where Cursor asks, deny elsewhere. Cursor sends no id that ties a later run to
//! an ask, so its prompts never teach aiperture.

use super::mapping::{Target, first_str};
use super::payload::{
    Malformed, obj_or_json_string, opt_str, parse_object, req_obj, req_str, sha256_hex,
    str_or_empty,
};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::request::{Decision, Request};
use serde_json::{Map, Value, json};

/// The Cursor adapter.
pub struct Cursor;

/// The answer forms Cursor understands, by event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `beforeShellExecution` / `beforeMCPExecution`: allow, deny, ask.
    Asks,
    /// `beforeReadFile`: allow or deny with `user_message` only.
    ReadFile,
    /// `preToolUse`: allow or deny (ask is not enforced).
    PreToolUse,
    /// Every other event: print nothing.
    Quiet,
}

fn map_pre_tool(name: &str, input: &Map<String, Value>, cwd: &str) -> Result<Target, Malformed> {
    let path = || -> Result<&str, Malformed> {
        match first_str(input, &["file_path", "path", "target_file"])? {
            Some(p) => Ok(p),
            None => Err(Malformed(format!("`{name}` input names no file"))),
        }
    };
    Ok(match name {
        "Shell" => Target::shell(req_str(input, "command")?),
        "Read" | "Grep" => {
            Target::read(cwd, first_str(input, &["file_path", "path"])?.unwrap_or(""))
        }
        "Write" => {
            let body = serde_json::to_string(input).unwrap_or_default();
            let text = first_str(input, &["content", "contents", "text"])?.unwrap_or("");
            Target::write(cwd, path()?, sha256_hex(body.as_bytes())).with_content(text)
        }
        // A delete is not a write: what was learned about edits never covers it.
        "Delete" => Target::delete(cwd, path()?),
        "Task" => Target::spawn(
            str_or_empty(input, "subagent_type")?,
            str_or_empty(input, "description")?,
        ),
        _ => match name.strip_prefix("MCP:") {
            Some(tool) => Target::mcp("mcp", tool, input),
            None => Target::unknown(name, input),
        },
    })
}

fn base(event: &str, obj: &Map<String, Value>) -> Result<Request, Malformed> {
    let mut cwd = str_or_empty(obj, "cwd")?.to_string();
    if cwd.is_empty()
        && let Some(Value::Array(roots)) = obj.get("workspace_roots")
    {
        cwd = roots
            .iter()
            .find_map(Value::as_str)
            .unwrap_or("")
            .to_string();
    }
    let cwd = super::payload::cwd_or_process(&cwd);
    Ok(Request {
        runtime: "cursor".into(),
        event: event.into(),
        session_id: str_or_empty(obj, "conversation_id")?.to_string(),
        cwd,
        ..Request::default()
    })
}

impl Adapter for Cursor {
    type Form = Form;

    fn name(&self) -> &'static str {
        "cursor"
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let event = req_str(&obj, "hook_event_name")?;
        let mut req = base(event, &obj)?;
        let (form, target) = match event {
            "beforeShellExecution" => {
                req.raw_tool_name = "Shell".into();
                (Form::Asks, Target::shell(req_str(&obj, "command")?))
            }
            "beforeMCPExecution" => {
                let tool = req_str(&obj, "tool_name")?;
                req.raw_tool_name = format!("MCP:{tool}");
                let input = obj_or_json_string(&obj, "tool_input")?;
                (Form::Asks, Target::mcp("mcp", tool, &input))
            }
            "beforeReadFile" => {
                req.raw_tool_name = "Read".into();
                (
                    Form::ReadFile,
                    Target::read(&req.cwd, req_str(&obj, "file_path")?),
                )
            }
            "preToolUse" => {
                let name = req_str(&obj, "tool_name")?;
                let input = req_obj(&obj, "tool_input")?;
                req.raw_tool_name = name.into();
                if name == "Shell"
                    && let Some(wd) = opt_str(input, "working_directory")?
                {
                    req.cwd = wd.to_string();
                }
                (Form::PreToolUse, map_pre_tool(name, input, &req.cwd)?)
            }
            _ => {
                return Ok(Parsed {
                    form: Form::Quiet,
                    event: Event::Other,
                });
            }
        };
        Ok(Parsed {
            form,
            event: Event::PreTool(target.into_request(req)),
        })
    }

    fn render(&self, form: Option<Form>, answer: &Answer) -> Output {
        // Unknown event: deny is the one answer every Cursor permission hook understands.
        let form = form.unwrap_or(Form::PreToolUse);
        if form == Form::Quiet {
            return match answer {
                Answer::Warn(w) | Answer::FailClosed(w) => Output::empty().with_stderr(w.clone()),
                _ => Output::empty(),
            };
        }
        match answer {
            Answer::Reply(r) => match (r.decision, form) {
                (Decision::Allow, _) => allow(),
                (Decision::Deny, Form::ReadFile) => {
                    Output::json(json!({"permission": "deny", "user_message": r.for_human}))
                }
                (Decision::Deny, _) => Output::json(json!({"permission": "deny",
                    "user_message": r.for_human, "agent_message": r.for_model})),
                (Decision::Ask, Form::Asks) => Output::json(json!({"permission": "ask",
                    "user_message": r.for_human, "agent_message": r.for_model})),
                (Decision::Ask, Form::ReadFile) => Output::json(json!({"permission": "deny",
                    "user_message": cannot_ask(r)})),
                (Decision::Ask, _) => Output::json(json!({"permission": "deny",
                    "user_message": cannot_ask(r),
                    "agent_message": "This call needs the user's approval, which Cursor cannot \
                        ask for here, so it was blocked. Tell the user what you want to do and \
                        why; do not retry it another way."})),
            },
            Answer::FailClosed(why) => {
                let asks = form == Form::Asks;
                let msg = fail_closed(why, asks);
                let out = match form {
                    Form::ReadFile => json!({"permission": "deny", "user_message": msg}),
                    Form::Asks => json!({"permission": "ask", "user_message": msg,
                        "agent_message": "aiperture could not check this call; the user decides."}),
                    _ => json!({"permission": "deny", "user_message": msg,
                        "agent_message": "aiperture could not check this call, so it was \
                            blocked. Tell the user; do not retry it another way."}),
                };
                Output::json(out).with_stderr(msg)
            }
            Answer::Warn(w) => allow().with_stderr(w.clone()),
            // No opinion on a permission hook is an explicit allow (empty output would count
            // as a failure and, with failClosed, block).
            _ => allow(),
        }
    }
}

/// The human's text when Cursor cannot ask: how to let the call through.
fn cannot_ask(r: &super::Reply) -> String {
    match &r.pending_id {
        Some(id) => format!(
            "{} Cursor cannot ask here, so it was blocked; to allow it, run \
             `aiperture approve {id}` in a terminal and let the agent retry.",
            r.for_human
        ),
        None => format!("{} Cursor cannot ask here, so it was blocked.", r.for_human),
    }
}

fn allow() -> Output {
    Output::json(json!({"permission": "allow"}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RiskTier;
    use crate::runtimes::Reply;

    fn ask() -> Answer {
        Answer::Reply(Reply {
            decision: Decision::Ask,
            for_model: "m".into(),
            for_human: "h".into(),
            tier: RiskTier::Medium,
            pending_id: None,
        })
    }

    #[test]
    fn delete_is_a_delete_not_a_write() {
        let payload = json!({"hook_event_name":"preToolUse","cwd":"/p","conversation_id":"c",
            "tool_name":"Delete","tool_input":{"path":"src/a.rs"}});
        let Event::PreTool(r) = Cursor.parse(payload.to_string().as_bytes()).unwrap().event else {
            panic!("expected one request")
        };
        assert_eq!(
            (r.tool.as_str(), r.action.as_str(), r.scope.as_str()),
            ("filesystem", "delete", "/p/src/a.rs")
        );
    }

    #[test]
    fn parses_each_event() {
        let p = Cursor
            .parse(br#"{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/w"],"tool_name":"t","tool_input":"{\"b\":1,\"a\":2}"}"#)
            .unwrap();
        let Event::PreTool(r) = p.event else { panic!() };
        assert_eq!(
            (r.tool.as_str(), r.action.as_str(), r.scope.as_str()),
            ("mcp", "t", r#"{"a":2,"b":1}"#)
        );
        assert_eq!((r.cwd.as_str(), r.session_id.as_str()), ("/w", "c"));
        let p = Cursor
            .parse(br#"{"hook_event_name":"preToolUse","cwd":"/w","tool_name":"Shell","tool_input":{"command":"ls","working_directory":"/w/sub"}}"#)
            .unwrap();
        let Event::PreTool(r) = p.event else { panic!() };
        assert_eq!((r.scope.as_str(), r.cwd.as_str()), ("ls", "/w/sub"));
        assert!(Cursor.parse(br#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":"nope"}"#).is_err());
    }

    #[test]
    fn a_blocked_ask_says_how_to_approve_it() {
        let Answer::Reply(mut r) = ask() else {
            panic!()
        };
        r.pending_id = Some("p42".into());
        let out = Cursor.render(Some(Form::ReadFile), &Answer::Reply(r));
        assert!(
            out.stdout.contains("aiperture approve p42"),
            "{}",
            out.stdout
        );
    }

    #[test]
    fn ask_maps_to_the_nearest_safe_answer() {
        assert!(
            Cursor
                .render(Some(Form::Asks), &ask())
                .stdout
                .contains(r#""permission":"ask""#)
        );
        assert!(
            Cursor
                .render(Some(Form::PreToolUse), &ask())
                .stdout
                .contains(r#""permission":"deny""#)
        );
        assert!(
            Cursor
                .render(Some(Form::ReadFile), &ask())
                .stdout
                .contains(r#""permission":"deny""#)
        );
        assert!(
            Cursor
                .render(None, &Answer::FailClosed("x".into()))
                .stdout
                .contains(r#""deny""#)
        );
        assert!(
            Cursor
                .render(Some(Form::Asks), &Answer::FailClosed("x".into()))
                .stdout
                .contains(r#""ask""#)
        );
        assert_eq!(
            Cursor.render(Some(Form::Asks), &Answer::NoOpinion).stdout,
            r#"{"permission":"allow"}"#
        );
    }
}
