//! Gemini CLI (`aiperture hook gemini`).
//!
//! BeforeTool → `{"decision":"allow"|"deny"|"ask"}` on exit 0 (deny carries `reason`, shown to
//! the model; ask carries `systemMessage`, shown to the human). Gemini's `allow` does not skip
//! its own policy engine: it only means "not blocked". Fail closed = `ask`. Gemini sends no
//! tool call id that would tie a run to an ask, so AfterTool is not handled and its prompts
//! never teach aiperture.

use super::mapping::{Target, edit_hash, first_str};
use super::payload::{
    Malformed, home_dir, malformed, opt_str, parse_object, pattern_root, req_obj, req_str,
    resolve_path, sha256_hex, str_or_empty,
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

/// The strings of a field that may hold one string or an array of them.
fn strings<'a>(input: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a str>, Malformed> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.as_str()),
                _ => malformed(format!("an entry of `{key}` is not a string")),
            })
            .collect(),
        Some(_) => malformed(format!("`{key}` is not a string or a list of strings")),
    }
}

/// Every URL in a `web_fetch` prompt (Gemini fetches each of them).
fn urls(prompt: &str) -> Vec<&str> {
    let lower = prompt.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = ["http://", "https://"]
        .iter()
        .filter_map(|m| lower.get(from..).and_then(|l| l.find(m)))
        .min()
    {
        let start = from + at;
        let len = prompt
            .get(start..)
            .and_then(|r| r.find(char::is_whitespace))
            .unwrap_or(prompt.len() - start);
        out.extend(prompt.get(start..start + len));
        from = start + len.max(1);
    }
    out
}

/// Maps a Gemini tool call to its targets (several for tools with several paths or URLs: the
/// call is decided as its strictest target) and the directory a shell command runs in.
fn map_tool(
    name: &str,
    input: &Map<String, Value>,
    mcp: Option<&Map<String, Value>>,
    cwd: &str,
) -> Result<(Vec<Target>, Option<String>), Malformed> {
    let home = home_dir();
    // The directory a listing or search tool looks in: `dir_path`, or the older `path`.
    let dirs = || -> Result<Vec<String>, Malformed> {
        let mut out = Vec::new();
        for key in ["dir_path", "path"] {
            if let Some(d) = opt_str(input, key)? {
                out.push(resolve_path(cwd, d, home.as_deref()));
            }
        }
        if out.is_empty() {
            out.push(cwd.to_string());
        }
        Ok(out)
    };
    let file = || -> Result<&str, Malformed> {
        match first_str(input, &["file_path", "absolute_path", "path"])? {
            Some(f) => Ok(f),
            None => malformed(format!("`{name}` input names no file")),
        }
    };
    let t = match name {
        "run_shell_command" => {
            let t = Target::shell(req_str(input, "command")?);
            let run_dir =
                opt_str(input, "dir_path")?.map(|d| resolve_path(cwd, d, home.as_deref()));
            return Ok((vec![t], run_dir));
        }
        "read_file" => Target::read(cwd, file()?),
        "write_file" => {
            let text = str_or_empty(input, "content")?;
            Target::write(cwd, file()?, sha256_hex(text.as_bytes())).with_content(text)
        }
        "replace" => {
            let new = str_or_empty(input, "new_string")?;
            Target::write(
                cwd,
                file()?,
                edit_hash(str_or_empty(input, "old_string")?, new),
            )
            .with_content(new)
        }
        "glob" => {
            let pattern = str_or_empty(input, "pattern")?;
            let targets = dirs()?
                .iter()
                .map(|d| Target::read(d, pattern_root(pattern)))
                .collect();
            return Ok((targets, None));
        }
        "grep_search" | "search_file_content" | "list_directory" => {
            let targets = dirs()?.iter().map(|d| Target::read(cwd, d)).collect();
            return Ok((targets, None));
        }
        "read_many_files" => {
            let mut targets = Vec::new();
            for key in ["paths", "include"] {
                for p in strings(input, key)? {
                    targets.push(Target::read(cwd, pattern_root(p)));
                }
            }
            if targets.is_empty() {
                targets.push(Target::read(cwd, ""));
            }
            return Ok((targets, None));
        }
        "web_fetch" => {
            let mut targets = Vec::new();
            for key in ["url", "prompt"] {
                if let Some(text) = opt_str(input, key)? {
                    let found = urls(text);
                    if found.is_empty() && key == "url" {
                        targets.push(Target::fetch(text));
                    }
                    targets.extend(found.into_iter().map(Target::fetch));
                }
            }
            if targets.is_empty() {
                // No URL to judge: judged as an unparsable URL (asks).
                targets.push(Target::fetch(
                    first_str(input, &["url", "prompt"])?.unwrap_or(""),
                ));
            }
            return Ok((targets, None));
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
    Ok((vec![t], None))
}

fn tool_request(event: &str, obj: &Map<String, Value>) -> Result<Event, Malformed> {
    let cwd = super::payload::cwd_or_process(str_or_empty(obj, "cwd")?);
    let name = req_str(obj, "tool_name")?;
    let input = req_obj(obj, "tool_input")?;
    let mcp = match obj.get("mcp_context") {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    };
    let (targets, run_dir) = map_tool(name, input, mcp, &cwd)?;
    let base = Request {
        runtime: "gemini".into(),
        event: event.into(),
        session_id: str_or_empty(obj, "session_id")?.to_string(),
        cwd: run_dir.unwrap_or(cwd),
        raw_tool_name: name.into(),
        ..Request::default()
    };
    let mut reqs: Vec<Request> = targets
        .into_iter()
        .map(|t| t.into_request(base.clone()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    reqs.retain(|r| seen.insert((r.action.clone(), r.scope.clone())));
    match reqs.len() {
        0 => malformed("the tool call names no target"),
        1 => Ok(Event::PreTool(reqs.remove(0))),
        _ => Ok(Event::PreToolEach(reqs)),
    }
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
            "BeforeTool" => (Form::BeforeTool, tool_request(event, &obj)?),
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

    fn targets(tool: &str, input: Value) -> Vec<(String, String)> {
        let payload = json!({"hook_event_name":"BeforeTool","cwd":"/p","session_id":"g",
            "tool_name":tool,"tool_input":input});
        match Gemini.parse(payload.to_string().as_bytes()).unwrap().event {
            Event::PreTool(r) => vec![(r.action, r.scope)],
            Event::PreToolEach(rs) => rs.into_iter().map(|r| (r.action, r.scope)).collect(),
            e => panic!("unexpected {e:?}"),
        }
    }

    fn scopes(tool: &str, input: Value) -> Vec<String> {
        targets(tool, input).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn every_item_of_a_call_is_judged() {
        let home = home_dir().unwrap_or_default();
        assert_eq!(
            scopes(
                "read_many_files",
                json!({"include":["src/**/*.py","~/.ssh/id_rsa"]})
            ),
            ["/p/src".to_string(), format!("{home}/.ssh/id_rsa")]
        );
        assert_eq!(
            scopes(
                "read_many_files",
                json!({"paths":["docs"],"include":["/etc/*"]})
            ),
            ["/p/docs", "/etc"]
        );
        assert_eq!(
            scopes(
                "web_fetch",
                json!({"prompt":"compare https://a.example/x and http://169.254.169.254/latest"})
            ),
            ["https://a.example/x", "http://169.254.169.254/latest"]
        );
        assert_eq!(
            scopes("grep_search", json!({"pattern":"k","path":"/etc"})),
            ["/etc"]
        );
        assert_eq!(
            scopes("list_directory", json!({"path":"~/.ssh"})),
            [format!("{home}/.ssh")]
        );
        assert_eq!(
            scopes("glob", json!({"pattern":"*","path":"/etc"})),
            ["/etc"]
        );
        assert_eq!(
            scopes("glob", json!({"pattern":"src/**/../../../etc/*"})),
            ["/"]
        );
        assert_eq!(scopes("list_directory", json!({})), ["/p"]);
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
