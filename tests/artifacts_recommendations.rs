//! Recommendations where the human decides (issue 16): `aiperture patterns --suggest` proposes
//! policy rules from consistent history in the policy file's syntax, never for HIGH or
//! CRITICAL; the rules it prints load as a user policy file and decide; and an ask's reason
//! names similar patterns with their approval rates and how many humans approved.

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

const T0: i64 = 1_790_000_000_000;
const MIN: i64 = 60_000;

struct Env {
    dir: tempfile::TempDir,
    home: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Env {
            home,
            db: dir.path().join("aiperture.db"),
            dir,
        }
    }

    /// `n` human decisions on `command` by `who` (no directory: the `global` project).
    fn decide_n(&self, command: &str, n: i64, d: Decision, who: &str, start: i64) {
        let clock = Arc::new(ManualClock::new(T0));
        let g = Gate::open_with(
            Paths::at(&self.home, &self.db),
            Settings::default(),
            clock.clone(),
        )
        .unwrap();
        for i in 0..n {
            clock.set(T0 + (start + i) * 2 * MIN);
            let req = Request {
                runtime: "claude-code".into(),
                event: "PreToolUse".into(),
                session_id: format!("{who}-{start}-{i}"),
                tool: "shell".into(),
                action: "execute".into(),
                scope: command.into(),
                ..Request::default()
            };
            g.record_human(&req, d, who).unwrap();
        }
    }

    fn cmd(&self, db: &std::path::Path) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", db)
            .env("AIPERTURE_NOW_MS", (T0 + 600 * MIN).to_string())
            .current_dir(self.dir.path());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(&self.db).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[test]
fn suggest_proposes_rules_from_consistent_history_and_never_for_high() {
    let env = Env::new();
    env.decide_n("ls -la src", 3, Decision::Allow, "alice", 0);
    env.decide_n("du -sh target", 3, Decision::Deny, "alice", 10);
    env.decide_n("wc -l README.md", 3, Decision::Allow, "alice", 20);
    env.decide_n("wc -l README.md", 3, Decision::Deny, "bob", 30);
    env.decide_n(
        "git push --force origin main",
        12,
        Decision::Allow,
        "alice",
        40,
    );
    let rows: Vec<Value> =
        serde_json::from_str(&env.ok(&["patterns", "--project", "global", "--json"])).unwrap();
    let tier = |p: &str| {
        rows.iter()
            .find(|r| r["pattern"].as_str().unwrap_or("").starts_with(p))
            .map(|r| r["tier"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no pattern {p}: {rows:?}"))
    };
    assert_eq!(tier("ls"), "low");
    assert_eq!(tier("git push --force"), "high");

    let rules: Vec<Value> =
        serde_json::from_str(&env.ok(&["patterns", "--project", "global", "--suggest", "--json"]))
            .unwrap();
    let find = |p: &str| {
        rules
            .iter()
            .find(|r| r["scope"].as_str().unwrap().starts_with(p))
    };
    let ls = find("ls").expect("a consistent approval is suggested");
    assert_eq!(ls["decision"], "allow");
    assert!(
        ls["reason"].as_str().unwrap().contains("by 1 human"),
        "{ls}"
    );
    if tier("du") != "high" {
        assert_eq!(find("du").expect("a consistent denial")["decision"], "deny");
    }
    assert!(
        find("wc").is_none(),
        "a mixed history is not consistent: {rules:?}"
    );
    assert!(find("git push").is_none(), "never for HIGH: {rules:?}");
    for r in &rules {
        assert!(tier(r["scope"].as_str().unwrap().trim_end_matches(" *")) != "high");
    }

    // The TOML loads as the user policy file and decides, on a store with no learning.
    let toml = env.ok(&["patterns", "--project", "global", "--suggest"]);
    assert!(
        toml.contains("[[rule]]") && toml.contains("decision = \"allow\""),
        "{toml}"
    );
    std::fs::write(env.home.join("policy.toml"), &toml).unwrap();
    let fresh = env.dir.path().join("fresh.db");
    let out = env
        .cmd(&fresh)
        .args([
            "check",
            "--json",
            "--dry-run",
            "--tool",
            "shell",
            "--action",
            "execute",
        ])
        .args(["--scope", "ls -la src"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(json!({}));
    assert!(
        v.to_string().contains("rule:user"),
        "the suggested rule decides: {v} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_asks_reason_names_similar_patterns_with_their_history() {
    let env = Env::new();
    env.decide_n("git pull origin main", 3, Decision::Allow, "alice", 0);
    env.decide_n("git pull origin main", 1, Decision::Allow, "bob", 10);
    env.decide_n("git pull origin main", 1, Decision::Deny, "carol", 20);
    env.decide_n("npm install left-pad", 2, Decision::Allow, "alice", 30);
    let payload = json!({
        "session_id": "s1", "transcript_path": "/tmp/t.jsonl", "cwd": env.dir.path(),
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "git push origin main"}, "tool_use_id": "t1",
    });
    let out = env
        .cmd(&env.db)
        .args(["hook", "claude-code"])
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = &v["hookSpecificOutput"];
    assert_eq!(h["permissionDecision"], "ask", "{v}");
    let reason = h["permissionDecisionReason"].as_str().unwrap();
    let similar = reason
        .split(" Similar: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no similar patterns named: {reason}"));
    assert!(similar.starts_with("`git pull"), "{reason}");
    assert!(
        similar.contains("80% approved (4 of 5 decisions, 3 humans)"),
        "{reason}"
    );
    assert!(
        !similar.contains("npm"),
        "another program is not similar: {reason}"
    );
}
