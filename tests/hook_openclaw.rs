//! OpenClaw end to end: its agents work in `~/.openclaw/workspace`, which is an ordinary
//! workspace; its config next to it is protected like every runtime's hook settings.

use assert_cmd::Command;
use serde_json::{Value, json};

fn hook(home: &std::path::Path, command: &str) -> Value {
    let payload = json!({"hook_event_name": "before_tool_call",
        "event": {"toolName": "exec", "params": {"command": command,
            "workdir": home.join(".openclaw/workspace")}, "toolCallId": "c1"},
        "ctx": {"sessionId": "s1"}});
    let state = home.join("state");
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["hook", "openclaw"])
        .env("HOME", home)
        .env("AIPERTURE_HOME", &state)
        .env("AIPERTURE_DB_PATH", state.join("db.sqlite"))
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_default_workspace_is_not_self_tampering() {
    let home = tempfile::tempdir().unwrap();
    let v = hook(home.path(), "npm test");
    assert_ne!(v["block"], true, "{v}");
    let v = hook(home.path(), "cat ../openclaw.json");
    assert_eq!(v["block"], true, "{v}");
}
