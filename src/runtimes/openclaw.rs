//! OpenClaw (`aiperture hook openclaw`), called by the TypeScript plugin in `hooks/openclaw/`.
//!
//! OpenClaw gates tools in-process (`before_tool_call`); the plugin sends the envelope
//! `{hook_event_name, event: {toolName, params, toolCallId?}, ctx: {sessionId?, sessionKey?},
//! cwd?}` and returns our stdout as the hook's result: `{}` (allow / no opinion),
//! `{block: true, blockReason}` (deny, for the model), `{requireApproval: {...}}` (ask, for the
//! human, denied if nobody answers within a minute). Fail closed = requireApproval.

use super::codex::patch_targets;
use super::mapping::{Target, first_str};
use super::payload::{
    Malformed, obj_or_json_string, parse_object, req_obj, req_str, sha256_hex, str_or_empty,
};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::request::{Decision, Request, RiskTier};
use serde_json::{Map, Value, json};

/// The OpenClaw adapter.
pub struct OpenClaw;

/// The answer forms of the plugin envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `before_tool_call`: a `BeforeToolCallResult`.
    BeforeToolCall,
    /// Anything else: `{}`.
    Quiet,
}

/// How long OpenClaw waits for the human before denying.
pub const APPROVAL_TIMEOUT_MS: u64 = 60_000;

fn targets(name: &str, params: &Map<String, Value>, cwd: &str) -> Result<Vec<Target>, Malformed> {
    let path = || -> Result<&str, Malformed> {
        match first_str(params, &["path", "file_path"])? {
            Some(p) => Ok(p),
            None => Err(Malformed(format!("`{name}` params name no file"))),
        }
    };
    let body = || sha256_hex(serde_json::to_string(params).unwrap_or_default().as_bytes());
    Ok(vec![match name {
        "exec" => Target::shell(req_str(params, "command")?),
        "read" => Target::read(cwd, path()?),
        "write" | "edit" => Target::write(cwd, path()?, body()).with_content(
            first_str(
                params,
                &["content", "newText", "new_string", "newString", "text"],
            )?
            .unwrap_or(""),
        ),
        "apply_patch" => {
            let patch = first_str(params, &["input", "patch", "command"])?.unwrap_or("");
            let targets = patch_targets(cwd, patch);
            if targets.is_empty() {
                return Err(Malformed("the patch names no file".into()));
            }
            return Ok(targets);
        }
        "web_fetch" => Target::fetch(req_str(params, "url")?),
        "web_search" => Target::search(req_str(params, "query")?),
        _ => Target::unknown(name, params),
    }])
}

impl Adapter for OpenClaw {
    type Form = Form;

    fn name(&self) -> &'static str {
        "openclaw"
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let event = req_str(&obj, "hook_event_name")?;
        if event != "before_tool_call" {
            return Ok(Parsed {
                form: Form::Quiet,
                event: Event::Other,
            });
        }
        let ev = req_obj(&obj, "event")?;
        let name = req_str(ev, "toolName")?;
        let params = obj_or_json_string(ev, "params")?;
        let ctx = match obj.get("ctx") {
            Some(Value::Object(c)) => c.clone(),
            _ => Map::new(),
        };
        let session = first_str(&ctx, &["sessionId", "sessionKey"])?.unwrap_or("");
        let mut cwd = super::payload::cwd_or_process(str_or_empty(&obj, "cwd")?);
        if name == "exec"
            && let Some(wd) = first_str(&params, &["workdir"])?
        {
            cwd = wd.to_string();
        }
        let base = Request {
            runtime: "openclaw".into(),
            event: event.into(),
            session_id: session.into(),
            cwd: cwd.clone(),
            raw_tool_name: name.into(),
            ..Request::default()
        };
        let mut reqs: Vec<Request> = targets(name, &params, &cwd)?
            .into_iter()
            .map(|t| t.into_request(base.clone()))
            .collect();
        let event = if reqs.len() == 1 {
            Event::PreTool(reqs.remove(0))
        } else {
            Event::PreToolEach(reqs)
        };
        Ok(Parsed {
            form: Form::BeforeToolCall,
            event,
        })
    }

    fn render(&self, form: Option<Form>, answer: &Answer) -> Output {
        let form = form.unwrap_or(Form::BeforeToolCall);
        match (form, answer) {
            (_, Answer::Warn(w)) => Output::json(json!({})).with_stderr(w.clone()),
            (Form::BeforeToolCall, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({})),
                Decision::Deny => Output::json(json!({"block": true, "blockReason": r.for_model})),
                Decision::Ask => approval(&r.for_human, r.tier),
            },
            (Form::BeforeToolCall, Answer::FailClosed(why)) => {
                let reason = fail_closed(why, true);
                approval(&reason, RiskTier::Medium).with_stderr(reason)
            }
            _ => Output::json(json!({})),
        }
    }
}

fn approval(description: &str, tier: RiskTier) -> Output {
    let severity = match tier {
        RiskTier::Low => "info",
        RiskTier::Medium | RiskTier::High => "warning",
        RiskTier::Critical => "critical",
    };
    Output::json(json!({"requireApproval": {
        "title": "aiperture: approval needed",
        "description": description,
        "severity": severity,
        "timeoutMs": APPROVAL_TIMEOUT_MS,
        "timeoutBehavior": "deny"}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_uses_its_workdir() {
        let p = OpenClaw
            .parse(br#"{"hook_event_name":"before_tool_call","event":{"toolName":"exec","params":{"command":"ls","workdir":"/w"}},"ctx":{"sessionId":"s"}}"#)
            .unwrap();
        let Event::PreTool(r) = p.event else { panic!() };
        assert_eq!(
            (r.scope.as_str(), r.cwd.as_str(), r.session_id.as_str()),
            ("ls", "/w", "s")
        );
    }

    #[test]
    fn missing_params_fail_closed() {
        assert!(
            OpenClaw
                .parse(br#"{"hook_event_name":"before_tool_call","event":{"toolName":"exec"}}"#)
                .is_err()
        );
        let out = OpenClaw.render(None, &Answer::FailClosed("x".into()));
        assert!(out.stdout.contains("requireApproval"));
    }
}
