//! An ask's reason tells how close its pattern is to being learned, counted by keyed lookups
//! of that one pattern (project and global): approvals in the runtime's prompt of other
//! commands with the same pattern count, unrelated approvals do not.

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

fn hook(home: &TempDir, now_ms: i64, payload: Value) -> String {
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["hook", "claude-code"])
        .env("AIPERTURE_HOME", home.path())
        .env("AIPERTURE_DB_PATH", home.path().join("aiperture.db"))
        .env("AIPERTURE_NOW_MS", now_ms.to_string())
        .env("HOME", home.path())
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

fn bash(event: &str, session: &str, id: &str, command: &str) -> Value {
    json!({
        "session_id": session, "cwd": "/srv/progress/app", "hook_event_name": event,
        "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id,
        "tool_response": {"stdout": ""},
    })
}

fn reason(stdout: &str) -> String {
    let v: Value = serde_json::from_str(stdout).unwrap();
    v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_progress_counts_approvals_of_the_same_pattern_only() {
    let home = tempfile::tempdir().unwrap();
    let mut now = 1_795_680_000_000i64;
    // Three approvals of `npm install …` and one of something else, each in its own session
    // ten minutes apart (never rubber stamps).
    let runs = [
        "npm install left-pad",
        "npm install chalk",
        "make deploy-x",
        "npm install zod",
    ];
    for (i, cmd) in runs.iter().enumerate() {
        let (s, id) = (format!("s{i}"), format!("t{i}"));
        now += 600_000;
        let pre = hook(&home, now, bash("PreToolUse", &s, &id, cmd));
        assert!(pre.contains("\"ask\""), "{pre}");
        now += 1_000;
        hook(&home, now, bash("PostToolUse", &s, &id, cmd));
    }
    now += 600_000;
    let ask = hook(
        &home,
        now,
        bash("PreToolUse", "s9", "t9", "npm install lodash"),
    );
    let r = reason(&ask);
    assert!(r.contains("Approved 3/10"), "{r}");
    let other = hook(
        &home,
        now + 1,
        bash("PreToolUse", "s9", "t10", "make deploy-y"),
    );
    let r = reason(&other);
    assert!(!r.contains("Approved 3/10"), "{r}");
}
