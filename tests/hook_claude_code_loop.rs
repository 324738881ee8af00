//! The Claude Code learning loop end to end, across processes, on one temporary store:
//! ten (PreToolUse ask → PostToolUse) rounds make the eleventh PreToolUse an allow; an ask that
//! never ran (then Stop) is a denial, not an approval; a PostToolUse with no pending ask records
//! the execution but teaches nothing. Decisions that need the engine: `rm -rf /` is denied.
//!
//! These run the real engine. Until the engine is merged (the `Gate` stub answers "not yet
//! implemented"), each test says so on stderr and returns early.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::cell::Cell;
use tempfile::TempDir;

struct Env {
    home: TempDir,
    /// A clock passed to each process, advanced a few minutes per call, so approvals are never
    /// rapid-fire rubber stamps.
    now_ms: Cell<i64>,
}

impl Env {
    fn new() -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            now_ms: Cell::new(1_795_680_000_000),
        }
    }

    fn hook(&self, payload: Value) -> (String, String) {
        self.now_ms.set(self.now_ms.get() + 5 * 60 * 1000);
        let out = Command::cargo_bin("aiperture")
            .unwrap()
            .args(["hook", "claude-code"])
            .env("AIPERTURE_HOME", self.home.path())
            .env("AIPERTURE_DB_PATH", self.home.path().join("aiperture.db"))
            .env("AIPERTURE_NOW_MS", self.now_ms.get().to_string())
            .env("HOME", self.home.path())
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// The PreToolUse decision.
    fn pre(&self, session: &str, id: &str, command: &str) -> String {
        self.pre_with_reason(session, id, command).0
    }

    /// The PreToolUse decision and its reason.
    fn pre_with_reason(&self, session: &str, id: &str, command: &str) -> (String, String) {
        let (stdout, _) = self.hook(bash("PreToolUse", session, id, command));
        assert!(!stdout.contains("not yet implemented"), "{stdout}");
        let v: Value = serde_json::from_str(&stdout).unwrap();
        let out = &v["hookSpecificOutput"];
        (
            out["permissionDecision"].as_str().unwrap().to_string(),
            out["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// The PostToolUse answer (a learning note, or nothing).
    fn post(&self, session: &str, id: &str, command: &str) -> String {
        self.hook(bash("PostToolUse", session, id, command)).0
    }

    fn stop(&self, session: &str) {
        let (stdout, stderr) = self.hook(json!({
            "session_id": session, "cwd": "/tmp/acme", "hook_event_name": "Stop",
            "permission_mode": "default", "stop_hook_active": false}));
        assert_eq!(stdout, "", "{stderr}");
    }
}

fn bash(event: &str, session: &str, id: &str, command: &str) -> Value {
    json!({
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/acme",
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "run"},
        "tool_use_id": id,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false, "isImage": false},
    })
}

#[test]
fn ten_approvals_make_the_eleventh_an_allow() {
    let env = Env::new();
    for i in 0..10 {
        let session = format!("session-{i}");
        let id = format!("toolu_npm_{i}");
        let (decision, reason) = env.pre_with_reason(&session, &id, "npm test");
        assert_eq!(decision, "ask", "round {i}");
        // The human is told how close the pattern is to being learned.
        let left = 10 - i;
        assert!(
            reason.contains(&format!("Approved {i}/10 times — {left} more approval")),
            "round {i}: {reason}"
        );
        let note = env.post(&session, &id, "npm test");
        assert!(note.contains("approv"), "round {i}: {note}");
        env.stop(&session);
    }
    assert_eq!(env.pre("session-11", "toolu_npm_11", "npm test"), "allow");
    // Claude Code's own dialog is answered too, now that learning decides.
    let (stdout, _) = env.hook(bash("PermissionRequest", "session-12", "", "npm test"));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["decision"]["behavior"], "allow");
}

#[test]
fn permission_request_without_learning_lets_the_dialog_show() {
    let env = Env::new();
    let (stdout, stderr) = env.hook(bash("PermissionRequest", "s-pr", "", "npm run build"));
    assert_eq!(stdout, "", "{stderr}");
}

#[test]
fn an_ask_that_never_ran_is_a_denial() {
    let env = Env::new();
    let decision = env.pre("s-deny", "toolu_d", "npm run release");
    assert_eq!(decision, "ask");
    env.stop("s-deny");
    // The pending ask was resolved as a denial at Stop: a late run no longer counts as an
    // approval.
    assert_eq!(env.post("s-deny", "toolu_d", "npm run release"), "");
}

#[test]
fn a_run_without_a_pending_ask_teaches_nothing() {
    let env = Env::new();
    for i in 0..10 {
        // Claude Code ran it on its own (an allow rule, bypassPermissions): no human said yes.
        let note = env.post(&format!("s-{i}"), &format!("toolu_x_{i}"), "npm run lint");
        assert_eq!(note, "", "run {i}");
    }
    let decision = env.pre("s-last", "toolu_x_last", "npm run lint");
    assert_eq!(decision, "ask");
    // Another session's ask is not resolved by this session's run of the same command.
    assert_eq!(env.post("s-other", "toolu_x_last", "npm run lint"), "");
    // Nor by a run of another command under the same id.
    assert_eq!(env.post("s-last", "toolu_x_last", "npm run lint:fix"), "");
}

#[test]
fn destructive_commands_are_denied_with_a_reason_for_the_model() {
    let env = Env::new();
    let decision = env.pre("s-rm", "toolu_rm", "rm -rf /");
    let (stdout, _) = env.hook(bash("PreToolUse", "s-rm", "toolu_rm2", "rm -rf /"));
    assert_eq!(decision, "deny");
    assert!(stdout.contains("aiperture blocked `rm -rf /`"), "{stdout}");
}

#[test]
fn session_start_reports_a_status_line() {
    let env = Env::new();
    let (stdout, stderr) = env.hook(json!({
        "session_id": "s-start", "cwd": "/tmp/acme", "hook_event_name": "SessionStart",
        "source": "startup"}));
    assert!(!stderr.contains("not yet implemented"), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        v["systemMessage"]
            .as_str()
            .unwrap()
            .starts_with("aiperture active")
    );
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "SessionStart");
}
