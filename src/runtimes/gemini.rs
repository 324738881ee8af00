//! Gemini CLI (`aiperture hook gemini`).
//!
//! BeforeTool → `{"decision":"allow"|"deny"|"ask"}` on exit 0 (deny carries `reason`, shown to
//! the model; ask carries `systemMessage`, shown to the human). Gemini's `allow` does not skip
//! its own policy engine: it only means "not blocked". Fail closed = `ask`. Gemini sends no
//! tool call id that would tie a run to an ask, so AfterTool is not handled and its prompts
//! never teach aiperture.

use super::mapping::{Target, edit_hash, first_str};
use super::payload::{
    Malformed, glob_root, home_dir, opt_str, parse_object, req_obj, req_str, resolve_path,
    sha256_hex, str_or_empty,
};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::request::{Decision, Request};
use serde_json::{Map, Value, json};

/// The Gemini CLI adapter.
pub struct Gemini;

/// The answer forms Gemini CLI understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `BeforeTool`: `decision` allow/deny/ask.
    BeforeTool,
    /// Every other event: print nothing.
    Quiet,
}

fn map_tool(
    name: &str,
    input: &Map<String, Value>,
    mcp: Option<&Map<String, Value>>,
    cwd: &str,
) -> Result<(Target, Option<String>), Malformed> {
    let dir = |key: &str| -> Result<String, Malformed> {
        Ok(resolve_path(
            cwd,
            str_or_empty(input, key)?,
            home_dir().as_deref(),
        ))
    };
    let t = match name {
        "run_shell_command" => {
            let t = Target::shell(req_str(input, "command")?);
            let run_dir = opt_str(input, "dir_path")?
                .map(|_| dir("dir_path"))
                .transpose()?;
            return Ok((t, run_dir));
        }
        "read_file" => Target::read(cwd, req_str(input, "file_path")?),
        "write_file" => {
            let text = str_or_empty(input, "content")?;
            Target::write(
                cwd,
                req_str(input, "file_path")?,
                sha256_hex(text.as_bytes()),
            )
            .with_content(text)
        }
        "replace" => {
            let new = str_or_empty(input, "new_string")?;
            Target::write(
                cwd,
                req_str(input, "file_path")?,
                edit_hash(str_or_empty(input, "old_string")?, new),
            )
            .with_content(new)
        }
        "glob" => Target::read(
            &dir("dir_path")?,
            glob_root(str_or_empty(input, "pattern")?),
        ),
        "grep_search" | "list_directory" => Target::read(cwd, &dir("dir_path")?),
        "read_many_files" => {
            let first = match input.get("include") {
                Some(Value::Array(a)) => a.iter().find_map(Value::as_str).unwrap_or(""),
                Some(Value::String(s)) => s.as_str(),
                _ => "",
            };
            Target::read(cwd, glob_root(first))
        }
        "web_fetch" => {
            let prompt = first_str(input, &["url", "prompt"])?.unwrap_or("");
            let url = prompt
                .split_whitespace()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                .unwrap_or(prompt);
            Target::fetch(url)
        }
        "google_web_search" => Target::search(req_str(input, "query")?),
        _ => match mcp {
            Some(ctx) => Target::mcp(
                req_str(ctx, "server_name")?,
                req_str(ctx, "tool_name")?,
                input,
            ),
            None => Target::unknown(name, input),
        },
    };
    Ok((t, None))
}

fn tool_request(event: &str, obj: &Map<String, Value>) -> Result<Request, Malformed> {
    let cwd = super::payload::cwd_or_process(str_or_empty(obj, "cwd")?);
    let name = req_str(obj, "tool_name")?;
    let input = req_obj(obj, "tool_input")?;
    let mcp = match obj.get("mcp_context") {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    };
    let (target, run_dir) = map_tool(name, input, mcp, &cwd)?;
    let base = Request {
        runtime: "gemini".into(),
        event: event.into(),
        session_id: str_or_empty(obj, "session_id")?.to_string(),
        cwd: run_dir.unwrap_or(cwd),
        raw_tool_name: name.into(),
        ..Request::default()
    };
    Ok(target.into_request(base))
}

impl Adapter for Gemini {
    type Form = Form;

    fn name(&self) -> &'static str {
        "gemini"
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let event = req_str(&obj, "hook_event_name")?;
        let (form, ev) = match event {
            "BeforeTool" => (Form::BeforeTool, Event::PreTool(tool_request(event, &obj)?)),
            _ => (Form::Quiet, Event::Other),
        };
        Ok(Parsed { form, event: ev })
    }

    fn render(&self, form: Option<Form>, answer: &Answer) -> Output {
        match (form.unwrap_or(Form::BeforeTool), answer) {
            (_, Answer::Warn(w)) => Output::empty().with_stderr(w.clone()),
            (Form::BeforeTool, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({"decision": "allow"})),
                Decision::Deny => Output::json(json!({"decision": "deny", "reason": r.for_model})),
                Decision::Ask => {
                    Output::json(json!({"decision": "ask", "systemMessage": r.for_human}))
                }
            },
            (Form::BeforeTool, Answer::FailClosed(why)) => {
                let reason = fail_closed(why, true);
                Output::json(json!({"decision": "ask", "systemMessage": reason}))
                    .with_stderr(reason)
            }
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

    fn pre(tool: &str, input: Value) -> Request {
        let payload = json!({"hook_event_name":"BeforeTool","cwd":"/p","session_id":"g",
            "tool_name":tool,"tool_input":input});
        match Gemini.parse(payload.to_string().as_bytes()).unwrap().event {
            Event::PreTool(r) => r,
            e => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn maps_tools() {
        let r = pre(
            "run_shell_command",
            json!({"command":"ls","dir_path":"sub"}),
        );
        assert_eq!(
            (r.tool.as_str(), r.scope.as_str(), r.cwd.as_str()),
            ("shell", "ls", "/p/sub")
        );
        assert_eq!(
            pre("read_file", json!({"file_path":".env"})).scope,
            "/p/.env"
        );
        assert!(
            pre(
                "replace",
                json!({"file_path":"a","old_string":"x","new_string":"y"})
            )
            .content_hash
            .is_some()
        );
        assert_eq!(
            pre(
                "web_fetch",
                json!({"prompt":"summarize https://x.y/z please"})
            )
            .scope,
            "https://x.y/z"
        );
        assert_eq!(
            pre("glob", json!({"pattern":"src/**/*.ts"})).scope,
            "/p/src"
        );
        assert_eq!(pre("write_todos", json!({"todos":[]})).action, "use");
    }

    #[test]
    fn mcp_context_names_the_server() {
        let payload = json!({"hook_event_name":"BeforeTool","cwd":"/p","tool_name":"mcp_github_x",
            "tool_input":{"a":1},"mcp_context":{"server_name":"github","tool_name":"x"}});
        let Event::PreTool(r) = Gemini.parse(payload.to_string().as_bytes()).unwrap().event else {
            panic!()
        };
        assert_eq!((r.tool.as_str(), r.action.as_str()), ("github", "x"));
    }

    #[test]
    fn fail_closed_is_ask() {
        let out = Gemini.render(None, &Answer::FailClosed("bad".into()));
        assert!(
            out.stdout.starts_with(r#"{"decision":"ask""#),
            "{}",
            out.stdout
        );
        assert_eq!(out.exit_code, 0);
    }
}
