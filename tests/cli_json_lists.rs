//! Issue 23: `--json` on `grant --list` and on the pending-ask list (`approve`/`deny` without
//! an id), with the field names docs/cli.md promises; listing needs no terminal.

mod admin_support;

use admin_support::AdminCmd;
use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

struct Env {
    dir: tempfile::TempDir,
    project: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("proj");
        std::fs::create_dir_all(&project).unwrap();
        Env { dir, project }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("USER", "alice")
            .env("AIPERTURE_HOME", self.dir.path().join("aihome"))
            .env("AIPERTURE_DB_PATH", self.dir.path().join("db.sqlite"))
            .current_dir(&self.project);
        c
    }

    /// Runs a command that must succeed (stdin is not a terminal) and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let home = self.dir.path().join("aihome");
        let out = self.cmd().admin(&home, args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        let text = self.ok(args);
        assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
        match serde_json::from_str(&text).unwrap() {
            Value::Array(rows) => rows,
            other => panic!("not an array: {other}"),
        }
    }

    /// Checks a shell command in a session; returns the pending ask's id of an ask.
    fn ask(&self, scope: &str, session: &str) -> String {
        let out = self
            .cmd()
            .args(["check", "--json", "--tool", "shell", "--action", "execute"])
            .args(["--scope", scope, "--session", session])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{scope} is not an ask");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["pending_id"].as_str().unwrap().to_string()
    }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

#[test]
fn grant_list_json_has_the_documented_fields_of_every_live_grant() {
    let env = Env::new();
    assert!(env.json(&["grant", "--list", "--json"]).is_empty());
    assert!(env.ok(&["grant", "--list"]).contains("no live grants"));
    env.ok(&[
        "grant", "--scope", "npm test", "--ttl", "2h", "--task", "T-7",
    ]);
    env.ok(&[
        "grant",
        "--scope",
        "make lint",
        "--ttl",
        "90",
        "--deny",
        "--session",
        "s9",
    ]);
    let rows = env.json(&["grant", "--list", "--json"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let expected = [
        "action",
        "created",
        "created_ms",
        "decision",
        "expires",
        "expires_ms",
        "granted_by",
        "id",
        "project",
        "reason",
        "scope",
        "session",
        "tool",
    ];
    for r in &rows {
        assert_eq!(keys(r), expected);
        assert_eq!(r["tool"], "shell");
        assert_eq!(r["action"], "execute");
        assert_eq!(r["granted_by"], "alice");
        assert!(r["project"].as_str().unwrap().ends_with("proj"), "{r}");
        assert!(r["expires"].as_str().unwrap().ends_with('Z'));
    }
    let npm = rows.iter().find(|r| r["scope"] == "npm test").unwrap();
    assert_eq!(npm["decision"], "allow");
    assert_eq!(npm["reason"], "T-7");
    assert_eq!(npm["session"], Value::Null);
    let ttl = npm["expires_ms"].as_i64().unwrap() - npm["created_ms"].as_i64().unwrap();
    assert_eq!(ttl, 2 * 3600 * 1000);
    let lint = rows.iter().find(|r| r["scope"] == "make lint").unwrap();
    assert_eq!(lint["decision"], "deny");
    assert_eq!(lint["reason"], Value::Null);
    assert_eq!(lint["session"], "s9");
    // The text list shows the same ids.
    let text = env.ok(&["grant", "--list"]);
    for r in &rows {
        assert!(text.contains(r["id"].as_str().unwrap()), "{text}");
    }
    // A revoked grant is no longer listed.
    let id = npm["id"].as_str().unwrap();
    env.ok(&["grant", "--revoke", id]);
    let rows = env.json(&["grant", "--list", "--json"]);
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0]["id"], id);
}

#[test]
fn json_without_list_is_a_usage_error() {
    let env = Env::new();
    let out = env.cmd().args(["grant", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list"));
}

#[test]
fn pending_asks_list_as_json_without_a_terminal_newest_first() {
    let env = Env::new();
    for verb in ["approve", "deny"] {
        assert!(env.json(&[verb, "--json"]).is_empty());
        assert!(env.ok(&[verb]).contains("no pending asks"));
    }
    let first = env.ask("terraform apply", "s1");
    let second = env.ask("terraform destroy -target=x", "s2");
    for verb in ["approve", "deny"] {
        let rows = env.json(&[verb, "--json"]);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0]["id"], second.as_str(), "newest first");
        assert_eq!(rows[1]["id"], first.as_str());
        assert_eq!(
            keys(&rows[1]),
            [
                "action",
                "asked",
                "asked_ms",
                "content_hash",
                "cwd",
                "id",
                "project",
                "risk",
                "runtime",
                "scope",
                "session",
                "tool",
                "tool_use_id",
            ]
        );
        assert_eq!(rows[1]["scope"], "terraform apply");
        assert_eq!(rows[1]["tool"], "shell");
        assert_eq!(rows[1]["action"], "execute");
        assert_eq!(rows[1]["runtime"], "cli");
        assert_eq!(rows[1]["session"], "s1");
        assert!(rows[1]["cwd"].as_str().unwrap().ends_with("proj"));
        assert!(["low", "medium", "high", "critical"].contains(&rows[1]["risk"].as_str().unwrap()));
        assert!(rows[0]["asked_ms"].as_i64() >= rows[1]["asked_ms"].as_i64());
        assert_eq!(env.json(&[verb, "--json", "--limit", "1"]).len(), 1);
    }
    // The text list names the same asks.
    let text = env.ok(&["approve"]);
    assert!(text.contains(&first) && text.contains(&second), "{text}");
    // Listing recorded nothing: both asks are still pending.
    assert_eq!(env.json(&["approve", "--json"]).len(), 2);
}

#[test]
fn json_is_only_for_the_list_and_deciding_still_needs_a_terminal() {
    let env = Env::new();
    let id = env.ask("terraform apply", "s1");
    let out = env.cmd().args(["approve", &id, "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = env.cmd().args(["approve", &id]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("terminal"));
    let out = env
        .cmd()
        .args(["approve", "--json", "--limit", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(env.json(&["approve", "--json"]).len(), 1);
}
