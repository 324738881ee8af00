//! A Claude Code session with no human to ask (`claude -p`, which launches its hooks with
//! `CLAUDE_CODE_ENTRYPOINT=sdk-cli`) refuses every ask at once. Those refusals are nobody's
//! decision: aiperture keeps no pending ask there, so the session's end records no inferred
//! human denial, and a call that runs after an ask (a `--permission-prompt-tool` allowed it)
//! teaches nothing. Checked in-process and through a running server (the warm path carries
//! the launch to the server). The real client's behaviour is in
//! `../shared/e2e/claude-code/` (see docs/runtimes/claude-code.md).

mod serve_support;

use serde_json::{Value, json};
use serve_support::Install;
use std::io::Write;
use std::process::Stdio;

const ENTRYPOINT: &str = "CLAUDE_CODE_ENTRYPOINT";

fn payload(cwd: &str, event: &str, id: &str, command: &str) -> Vec<u8> {
    json!({
        "session_id": "s-1", "cwd": cwd, "hook_event_name": event,
        "permission_mode": "default", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": id,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false}
    })
    .to_string()
    .into_bytes()
}

/// `aiperture hook claude-code` launched with `entrypoint` (none: the variable unset).
fn hook(inst: &Install, entrypoint: Option<&str>, body: &[u8], db: Option<&str>) -> String {
    let mut c = inst.cmd();
    c.args(["hook", "claude-code"]).env_remove(ENTRYPOINT);
    if let Some(e) = entrypoint {
        c.env(ENTRYPOINT, e);
    }
    if let Some(db) = db {
        c.env("AIPERTURE_DB_PATH", db);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

fn decision(stdout: &str) -> String {
    let v: Value = serde_json::from_str(stdout).unwrap();
    v["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The event types of the audit trail, oldest first.
fn events(inst: &Install) -> Vec<String> {
    let list = inst.cli(&["audit", "list", "--json", "--limit", "100"]);
    let mut types: Vec<(i64, String)> = list
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            (
                r["seq"].as_i64().unwrap_or(0),
                r["event_type"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    types.sort();
    types.into_iter().map(|(_, t)| t).collect()
}

/// One session: an unlearned MEDIUM command is asked (the runtime refuses it), a second one
/// is asked and then runs, the session ends. Returns the audit's event types.
fn session(inst: &Install, entrypoint: Option<&str>, db: Option<&str>) -> Vec<String> {
    let project = inst.dir.path().join("acme");
    std::fs::create_dir_all(&project).unwrap();
    let cwd = project.to_string_lossy().into_owned();
    let payload = |event: &str, id: &str, command: &str| payload(&cwd, event, id, command);
    let end = json!({"session_id": "s-1", "cwd": cwd, "hook_event_name": "SessionEnd"})
        .to_string()
        .into_bytes();
    let asked = hook(
        inst,
        entrypoint,
        &payload("PreToolUse", "t1", "touch x"),
        db,
    );
    assert_eq!(decision(&asked), "ask", "{asked}");
    let asked = hook(
        inst,
        entrypoint,
        &payload("PreToolUse", "t2", "npm run lint"),
        db,
    );
    assert_eq!(decision(&asked), "ask", "{asked}");
    hook(
        inst,
        entrypoint,
        &payload("PostToolUse", "t2", "npm run lint"),
        db,
    );
    hook(inst, entrypoint, &end, db);
    events(inst)
}

#[test]
fn an_interactive_session_infers_the_human_s_answers() {
    for entrypoint in [None, Some("cli"), Some("sdk-ts")] {
        let inst = Install::new();
        let types = session(&inst, entrypoint, None);
        let human = types.iter().filter(|t| *t == "decision.human").count();
        // The ask that ran was approved, the one that never ran was denied.
        assert_eq!(human, 2, "{entrypoint:?}: {types:?}");
    }
}

#[test]
fn claude_p_asks_are_nobody_s_decision() {
    let inst = Install::new();
    let types = session(&inst, Some("sdk-cli"), None);
    assert!(
        !types.iter().any(|t| t == "decision.human"),
        "a headless session recorded a human decision: {types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "permission.check").count(),
        2,
        "{types:?}"
    );
}

#[test]
fn the_warm_path_carries_the_launch_to_the_server() {
    let inst = Install::new();
    let _srv = inst.serve(&[]);
    // A store the hook cannot open: only the server can have decided these calls.
    let bad = inst.dir.path().join("not-a-db.sqlite");
    std::fs::write(&bad, vec![b'x'; 4096]).unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let types = session(&inst, Some("sdk-cli"), Some(&bad));
    assert!(
        !types.iter().any(|t| t == "decision.human"),
        "the server judged a headless session as interactive: {types:?}"
    );
    // And an interactive one through the same server still infers the human's answers.
    let other = Install::new();
    let _srv2 = other.serve(&[]);
    let types = session(&other, Some("cli"), Some(&bad));
    assert_eq!(
        types.iter().filter(|t| *t == "decision.human").count(),
        2,
        "{types:?}"
    );
}
