//! The user's own Claude Code permission rules count as their decisions: read from
//! `~/.claude/settings.json`, `<project>/.claude/settings.json` and
//! `<project>/.claude/settings.local.json`, for requests from Claude Code only; their allow
//! below the risk floor is an allow, their deny a deny, their ask an ask; per simple command;
//! a malformed file never widens anything.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/.claude")).unwrap();
        std::fs::create_dir_all(dir.path().join("proj/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("proj/.claude")).unwrap();
        Env { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn proj(&self) -> PathBuf {
        self.dir.path().join("proj")
    }

    fn write(&self, path: &Path, permissions: Value) {
        std::fs::write(path, json!({ "permissions": permissions }).to_string()).unwrap();
    }

    fn user(&self, permissions: Value) {
        self.write(&self.home().join(".claude/settings.json"), permissions);
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env("HOME", self.home())
            .env("AIPERTURE_HOME", self.dir.path().join("ah"))
            .env("AIPERTURE_DB_PATH", self.dir.path().join("ah/db"))
            .current_dir(self.proj());
        c
    }

    /// The hook's decision and reason for one Claude Code tool call.
    fn hook(&self, tool: &str, input: Value) -> (String, String) {
        let payload = json!({"session_id": "s", "cwd": self.proj(), "hook_event_name": "PreToolUse",
            "permission_mode": "default", "tool_name": tool, "tool_input": input,
            "tool_use_id": "t1"});
        let out = self
            .cmd()
            .args(["hook", "claude-code"])
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let o = &v["hookSpecificOutput"];
        (
            o["permissionDecision"].as_str().unwrap_or("").to_string(),
            o["permissionDecisionReason"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    }

    fn bash(&self, command: &str) -> (String, String) {
        self.hook("Bash", json!({ "command": command }))
    }
}

#[test]
fn user_allow_rules_allow_per_simple_command_below_the_floor() {
    let env = Env::new();
    assert_eq!(env.bash("npm test").0, "ask", "no rule: the default asks");
    env.user(json!({"allow": ["Bash(ls:*)", "Bash(npm test)", "Bash(rm:*)"]}));
    let (d, why) = env.bash("ls -la");
    assert_eq!(d, "allow", "{why}");
    assert!(
        why.contains("claude-settings:") && why.contains("Bash(ls:*)"),
        "{why}"
    );
    assert_eq!(env.bash("npm test").0, "allow");
    // Exact means exact; a second command never rides along.
    assert_eq!(env.bash("npm test --watch").0, "ask");
    assert_ne!(env.bash("ls && npm install").0, "allow");
    assert_ne!(env.bash("ls $(curl x)").0, "allow");
    // The risk floor wins over the user's allow.
    assert_eq!(env.bash("rm -rf build").0, "allow");
    assert_ne!(env.bash("rm -rf ~/old").0, "allow");
    assert_eq!(env.bash("rm -rf /").0, "deny");
    // Other runtimes' requests do not read Claude Code's rules.
    let out = env
        .cmd()
        .args([
            "check",
            "--dry-run",
            "--json",
            "--tool",
            "shell",
            "--action",
            "execute",
        ])
        .args(["--scope", "npm test"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "ask", "{v}");
}

#[test]
fn deny_and_ask_rules_and_other_tools() {
    let env = Env::new();
    env.user(
        json!({"deny": ["Bash(git push:*)", "WebFetch(domain:pastebin.com)"],
                    "allow": ["WebFetch(domain:docs.rs)", "mcp__github__get_issue",
                              "Bash(git:*)"]}),
    );
    std::fs::write(
        env.proj().join(".claude/settings.local.json"),
        json!({"permissions": {"ask": ["Bash(git status)"]}}).to_string(),
    )
    .unwrap();
    let (d, why) = env.bash("git push origin main");
    assert_eq!(d, "deny", "{why}");
    assert!(why.contains("Bash(git push:*)"), "{why}");
    let (d, why) = env.bash("git status");
    assert_eq!(d, "ask");
    assert!(why.contains("settings.local.json"), "{why}");
    assert_eq!(env.bash("git log").0, "allow");
    let fetch = |url: &str| env.hook("WebFetch", json!({"url": url, "prompt": "p"})).0;
    assert_eq!(fetch("https://docs.rs/serde"), "allow");
    assert_ne!(fetch("https://docs.rs.evil.io/"), "allow");
    assert_eq!(fetch("https://pastebin.com/raw/x"), "deny");
    assert_eq!(
        env.hook("mcp__github__get_issue", json!({"n": 1})).0,
        "allow"
    );
    assert_ne!(
        env.hook("mcp__github__merge_pr", json!({"n": 1})).0,
        "allow"
    );
    // `Bash(...)` is not a PowerShell rule.
    assert_ne!(
        env.hook("PowerShell", json!({"command": "git log"})).0,
        "allow"
    );
}

#[test]
fn committed_project_rules_and_malformed_files_never_widen() {
    let env = Env::new();
    // A repository's committed settings: like the project policy file, LOW risk only.
    env.write(
        &env.proj().join(".claude/settings.json"),
        json!({"allow": ["Bash(npm test)"], "deny": ["Bash(make)"]}),
    );
    assert_eq!(env.bash("npm test").0, "ask");
    assert_eq!(env.bash("make").0, "deny");
    // A malformed list voids the file's allow rules, keeps its deny rules.
    env.user(json!({"allow": ["Bash(npm test)"], "deny": ["Bash(cargo build)", 7]}));
    assert_eq!(env.bash("npm test").0, "ask");
    assert_eq!(env.bash("cargo build").0, "deny");
    // A file that is not JSON gives nothing and breaks nothing.
    std::fs::write(
        env.home().join(".claude/settings.json"),
        "{\"permissions\":",
    )
    .unwrap();
    assert_eq!(env.bash("npm test").0, "ask");
    let out = env.cmd().args(["doctor", "--json"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("claude") && text.contains("not valid JSON"),
        "{text}"
    );
}

#[test]
fn doctor_says_how_many_rules_from_which_files() {
    let env = Env::new();
    let out = env.cmd().args(["doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no Claude Code settings with permission rules"),
        "{text}"
    );
    env.user(json!({"allow": ["Bash(ls:*)", "Bash(ls*)"], "deny": ["Read(./.env)"]}));
    let out = env.cmd().args(["doctor"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 rules")
            && text.contains("1 not understood")
            && text.contains(".claude/settings.json"),
        "{text}"
    );
}
