//! The Claude Code PostToolUse hook stores a tool's output as an artifact only when
//! `artifacts_store_tool_outputs` is on; PreToolUse never stores one.

use assert_cmd::Command;
use serde_json::{Value, json};

fn cmd(dir: &tempfile::TempDir, on: bool) -> Command {
    let mut c = Command::cargo_bin("aiperture").unwrap();
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AIPERTURE_HOME", dir.path().join("home"))
        .env("AIPERTURE_DB_PATH", dir.path().join("data/aiperture.db"))
        .env(
            "AIPERTURE_ARTIFACTS_STORE_TOOL_OUTPUTS",
            if on { "true" } else { "false" },
        )
        .current_dir(dir.path());
    c
}

fn hook(dir: &tempfile::TempDir, on: bool, event: &str, id: &str) -> String {
    let payload = json!({
        "session_id": "s1", "transcript_path": "/tmp/t.jsonl", "cwd": "/tmp/acme",
        "permission_mode": "default", "hook_event_name": event, "tool_name": "Bash",
        "tool_input": {"command": "ls -la"}, "tool_use_id": id,
        "tool_response": {"stdout": "total 0\nREADME.md\n", "stderr": "", "interrupted": false},
    });
    let out = cmd(dir, on)
        .args(["hook", "claude-code"])
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn listed(dir: &tempfile::TempDir) -> Vec<Value> {
    let out = cmd(dir, false)
        .args(["artifact", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn off_by_default_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    hook(&dir, false, "PreToolUse", "t1");
    hook(&dir, false, "PostToolUse", "t1");
    assert!(listed(&dir).is_empty());
}

#[test]
fn when_enabled_the_output_of_a_tool_that_ran_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let err = hook(&dir, true, "PreToolUse", "t1");
    assert!(
        listed(&dir).is_empty(),
        "PreToolUse stored something: {err}"
    );
    let err = hook(&dir, true, "PostToolUse", "t1");
    assert!(err.is_empty(), "{err}");
    let items = listed(&dir);
    assert_eq!(items.len(), 1);
    let a = &items[0];
    assert_eq!(a["kind"], "tool_output");
    assert_eq!(a["tool"], "Bash");
    assert_eq!(a["runtime"], "claude-code");
    assert_eq!(a["summary"], "Bash: ls -la");
    assert!(a["session"].as_str().unwrap().contains("s1"), "{a}");
    let id = a["id"].as_str().unwrap();
    let out = cmd(&dir, false)
        .args(["artifact", "show", id, "--content"])
        .output()
        .unwrap();
    let content: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(content["stdout"], "total 0\nREADME.md\n");
    let out = cmd(&dir, false)
        .args(["artifact", "verify", id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
