//! OpenAI Codex CLI (`aiperture hook codex`).
//!
//! Codex's PreToolUse supports only a deny (a JSON `allow` without `updatedInput`, or an `ask`,
//! marks the hook failed and the call proceeds): allow and ask print nothing and Codex's own
//! approval policy decides; deny prints `permissionDecision: deny` with a non-empty reason.
//! Fail closed is therefore a deny. PermissionRequest answers allow/deny when learning decides,
//! else nothing (Codex shows its prompt). `apply_patch` is judged per file it touches.
//!
//! Codex's ask is not a prompt aiperture controls (Codex's own approval policy may run the call
//! without asking anyone), so Codex runs never count as approvals: PostToolUse is not handled,
//! and an ask can be answered from a terminal with `aiperture approve`.

use super::claude_code::{base_request, tool_request};
use super::mapping::Target;
use super::payload::{Malformed, malformed, parse_object, req_obj, req_str, sha256_hex};
use super::reasons::fail_closed;
use super::{Adapter, Answer, Event, Output, Parsed};
use crate::request::{Decision, Unasked};
use serde_json::json;

/// The Codex adapter.
pub struct Codex;

/// What runs without a human's say in a Codex `permission_mode`: `bypassPermissions` and
/// `dontAsk` put nothing to a human, `acceptEdits` runs file edits; `default`, `plan` and
/// any other mode ask. Codex has no classifier mode.
pub fn unasked(mode: Option<&str>) -> Unasked {
    match mode {
        Some("bypassPermissions" | "dontAsk") => Unasked::Everything,
        Some("acceptEdits") => Unasked::Edits,
        _ => Unasked::Nothing,
    }
}

/// The answer forms Codex understands, by event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `PreToolUse`: deny only.
    PreToolUse,
    /// `PermissionRequest`: `decision.behavior` allow/deny, or nothing.
    PermissionRequest,
    /// Every other event: print nothing.
    Quiet,
}

/// The files a Codex patch touches (`*** Add|Update|Delete File:` and `*** Move to:`).
pub fn patch_files(patch: &str) -> Vec<&str> {
    const MARKERS: [&str; 4] = [
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    let mut files: Vec<&str> = Vec::new();
    for line in patch.lines() {
        for m in MARKERS {
            if let Some(f) = line.strip_prefix(m) {
                let f = f.trim();
                if !f.is_empty() && !files.contains(&f) {
                    files.push(f);
                }
            }
        }
    }
    files
}

/// What a patch does to each file it names: `Add File` and `Update File` write it (carrying the
/// lines added to it), `Delete File` deletes it, and `Update File` followed by `Move to` deletes
/// the source and writes the destination. Every target carries the hash of the whole patch.
pub fn patch_targets(cwd: &str, patch: &str) -> Vec<Target> {
    let hash = sha256_hex(patch.as_bytes());
    let lines: Vec<&str> = patch.lines().collect();
    let write = |f: &str, from: &str| {
        Target::write(cwd, f, hash.clone()).with_content(patch_added_text(patch, from))
    };
    let mut out: Vec<Target> = Vec::new();
    let mut source: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        let field = |m: &str| {
            line.strip_prefix(m)
                .map(str::trim)
                .filter(|f| !f.is_empty())
        };
        if let Some(f) = field("*** Add File: ") {
            out.push(write(f, f));
        } else if let Some(f) = field("*** Update File: ") {
            source = Some(f);
            let moved = lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("*** Move to: "));
            out.push(if moved {
                Target::delete(cwd, f)
            } else {
                write(f, f)
            });
        } else if let Some(f) = field("*** Move to: ") {
            out.push(write(f, source.unwrap_or(f)));
        } else if let Some(f) = field("*** Delete File: ") {
            out.push(Target::delete(cwd, f));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert((t.action.clone(), t.scope.clone())));
    out
}

/// The lines a patch adds to `file` (`+` lines of its `Add File` or `Update File` sections),
/// for rating what a written script or manifest would run.
pub fn patch_added_text(patch: &str, file: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in patch.lines() {
        // `*** Move to:` continues the section of the file being moved.
        if line.starts_with("*** ") && !line.starts_with("*** Move to: ") {
            inside = ["*** Add File: ", "*** Update File: "]
                .iter()
                .any(|m| line.strip_prefix(m).is_some_and(|f| f.trim() == file));
            continue;
        }
        if inside && let Some(added) = line.strip_prefix('+') {
            out.push_str(added);
            out.push('\n');
        }
    }
    out
}

impl Adapter for Codex {
    type Form = Form;

    fn name(&self) -> &'static str {
        "codex"
    }

    fn parse(&self, payload: &[u8]) -> Result<Parsed<Form>, Malformed> {
        let obj = parse_object(payload)?;
        let event = req_str(&obj, "hook_event_name")?;
        let rt = self.name();
        let (form, ev) = match event {
            "PreToolUse" | "PermissionRequest" => {
                let form = if event == "PreToolUse" {
                    Form::PreToolUse
                } else {
                    Form::PermissionRequest
                };
                let ev = if req_str(&obj, "tool_name")? == "apply_patch" {
                    let base = base_request(rt, event, &obj, unasked)?;
                    let patch = req_str(req_obj(&obj, "tool_input")?, "command")?;
                    let reqs: Vec<_> = patch_targets(&base.cwd, patch)
                        .into_iter()
                        .map(|t| {
                            let mut r = t.into_request(base.clone());
                            r.raw_tool_name = "apply_patch".into();
                            r
                        })
                        .collect();
                    match (form, reqs.len()) {
                        (_, 0) => return malformed("the patch names no file"),
                        (Form::PreToolUse, 1) => reqs.into_iter().next().map(Event::PreTool),
                        (Form::PreToolUse, _) => Some(Event::PreToolEach(reqs)),
                        // A permission dialog is answered only for a single target.
                        (_, 1) => reqs.into_iter().next().map(Event::PermissionRequest),
                        _ => None,
                    }
                } else {
                    let r = tool_request(rt, event, &obj, false, unasked)?;
                    if form == Form::PreToolUse {
                        Some(Event::PreTool(r))
                    } else {
                        Some(Event::PermissionRequest(r))
                    }
                };
                (form, ev)
            }
            // Not recorded: the engine would take a run after an ask for the human's
            // approval, but a Codex ask is Codex's own policy, which may run it unasked.
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
            (Form::PreToolUse, Answer::Reply(r)) if r.decision == Decision::Deny => {
                deny(&r.for_model)
            }
            // Codex has no ask in PreToolUse: fail closed is a deny.
            (Form::PreToolUse, Answer::FailClosed(why)) => {
                let reason = fail_closed(why, false);
                deny(&reason).with_stderr(reason.clone())
            }
            (Form::PermissionRequest, Answer::Reply(r)) => match r.decision {
                Decision::Allow => Output::json(json!({"hookSpecificOutput": {
                    "hookEventName": "PermissionRequest",
                    "decision": {"behavior": "allow"}}})),
                Decision::Deny => Output::json(json!({"hookSpecificOutput": {
                    "hookEventName": "PermissionRequest",
                    "decision": {"behavior": "deny", "message": r.for_model}}})),
                Decision::Ask => Output::empty(),
            },
            (_, Answer::FailClosed(why)) => {
                Output::empty().with_stderr(format!("aiperture: {why}"))
            }
            _ => Output::empty(),
        }
    }
}

fn deny(reason: &str) -> Output {
    let reason = if reason.trim().is_empty() {
        "aiperture blocked this tool call"
    } else {
        reason
    };
    Output::json(json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": reason}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_files_are_listed() {
        let p = "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n*** Add File: b.md\n+hi\n*** Update File: src/a.ts\n*** End Patch\n";
        assert_eq!(patch_files(p), vec!["src/a.ts", "b.md"]);
        assert_eq!(patch_added_text(p, "src/a.ts"), "y\n");
        assert_eq!(patch_added_text(p, "b.md"), "hi\n");
        assert_eq!(patch_added_text(p, "c.md"), "");
    }

    #[test]
    fn codex_modes_map_to_what_runs_unasked() {
        for (mode, want) in [
            (None, Unasked::Nothing),
            (Some("default"), Unasked::Nothing),
            (Some("plan"), Unasked::Nothing),
            (Some("acceptEdits"), Unasked::Edits),
            (Some("dontAsk"), Unasked::Everything),
            (Some("bypassPermissions"), Unasked::Everything),
            // Codex has no classifier: its requests are never left to one.
            (Some("auto"), Unasked::Nothing),
        ] {
            assert_eq!(unasked(mode), want, "{mode:?}");
            let mut payload = json!({"hook_event_name":"PreToolUse","cwd":"/p","session_id":"s",
                "tool_name":"Bash","tool_use_id":"call_1","tool_input":{"command":"ls"}});
            if let Some(m) = mode {
                payload["permission_mode"] = json!(m);
            }
            let p = Codex.parse(payload.to_string().as_bytes()).unwrap();
            let Event::PreTool(r) = p.event else {
                panic!("not a pre tool event")
            };
            assert_eq!(r.unasked, want, "{mode:?}");
        }
    }

    #[test]
    fn multi_file_patch_is_judged_per_file() {
        let payload = json!({"hook_event_name":"PreToolUse","cwd":"/p","session_id":"s",
            "tool_name":"apply_patch","tool_use_id":"call_1",
            "tool_input":{"command":"*** Update File: a.ts\n*** Update File: /home/u/.bashrc\n"}});
        let p = Codex.parse(payload.to_string().as_bytes()).unwrap();
        let Event::PreToolEach(reqs) = p.event else {
            panic!("expected several requests")
        };
        assert_eq!(reqs[0].scope, "/p/a.ts");
        assert_eq!(reqs[1].scope, "/home/u/.bashrc");
        assert!(
            reqs.iter()
                .all(|r| r.tool_use_id.is_none() && r.content_hash.is_some())
        );
    }

    #[test]
    fn each_file_carries_the_lines_the_patch_adds_to_it() {
        let payload = json!({"hook_event_name":"PreToolUse","cwd":"/p","session_id":"s",
            "tool_name":"apply_patch","tool_use_id":"call_1",
            "tool_input":{"command":"*** Begin Patch\n*** Add File: deploy.sh\n+#!/bin/sh\n+rm -rf ~\n*** Update File: README.md\n@@\n-old\n+new\n*** End Patch\n"}});
        let p = Codex.parse(payload.to_string().as_bytes()).unwrap();
        let Event::PreToolEach(reqs) = p.event else {
            panic!("expected several requests")
        };
        assert_eq!(reqs[0].content.as_deref(), Some("#!/bin/sh\nrm -rf ~\n"));
        assert_eq!(reqs[1].content.as_deref(), Some("new\n"));
    }

    #[test]
    fn deletes_are_deletes_and_a_move_is_a_delete_and_a_write() {
        let payload = json!({"hook_event_name":"PreToolUse","cwd":"/p","session_id":"s",
            "tool_name":"apply_patch",
            "tool_input":{"command":"*** Begin Patch\n*** Delete File: src/a.rs\n*** Update File: b.rs\n*** Move to: c.rs\n@@\n-x\n+y\n*** End Patch\n"}});
        let p = Codex.parse(payload.to_string().as_bytes()).unwrap();
        let Event::PreToolEach(reqs) = p.event else {
            panic!("expected several requests")
        };
        let got: Vec<(&str, &str)> = reqs
            .iter()
            .map(|r| (r.action.as_str(), r.scope.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("delete", "/p/src/a.rs"),
                ("delete", "/p/b.rs"),
                ("write", "/p/c.rs")
            ]
        );
        assert_eq!(reqs[2].content.as_deref(), Some("y\n"));
        let single = json!({"hook_event_name":"PreToolUse","cwd":"/p","tool_name":"apply_patch",
            "tool_input":{"command":"*** Delete File: src/a.rs\n"}});
        let p = Codex.parse(single.to_string().as_bytes()).unwrap();
        assert!(matches!(p.event, Event::PreTool(ref r) if r.action == "delete"));
    }

    #[test]
    fn runs_never_count_as_approvals() {
        let payload = json!({"hook_event_name":"PostToolUse","cwd":"/p","session_id":"s",
            "tool_name":"Bash","tool_use_id":"call_1","tool_input":{"command":"npm test"}});
        let p = Codex.parse(payload.to_string().as_bytes()).unwrap();
        assert_eq!(p.event, Event::Other);
    }

    #[test]
    fn empty_patch_fails_closed() {
        let payload = json!({"hook_event_name":"PreToolUse","tool_name":"apply_patch",
            "tool_input":{"command":"nothing"}});
        assert!(Codex.parse(payload.to_string().as_bytes()).is_err());
        let out = Codex.render(None, &Answer::FailClosed("x".into()));
        assert!(out.stdout.contains(r#""permissionDecision":"deny""#));
    }
}
