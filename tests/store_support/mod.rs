//! What the `store migrate` and `store migrate --merge` tests share: a temporary home with
//! its SQLite file, the `aiperture` binary run on it, and hook calls.

#![allow(dead_code)]

#[path = "../admin_support/mod.rs"]
mod admin_support;

pub use admin_support::AdminCmd;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A temporary home and SQLite file, and the `aiperture` binary run on them.
pub struct Env {
    /// The temporary directory everything lives in (also HOME and the working directory).
    pub dir: tempfile::TempDir,
    /// `AIPERTURE_HOME`.
    pub home: PathBuf,
    /// The home's SQLite file.
    pub db: PathBuf,
}

impl Env {
    /// A fresh home.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Env {
            home,
            db: dir.path().join("a.db"),
            dir,
        }
    }

    /// `aiperture` on this home and the store `db`, with no other `AIPERTURE_*` setting.
    pub fn cmd(&self, db: &Path) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("AIPERTURE_") {
                c.env_remove(&k);
            }
        }
        c.env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", db)
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path());
        c
    }

    /// The Claude Code PreToolUse payload of `command` in `session`.
    fn payload(&self, session: &str, command: &str) -> String {
        serde_json::json!({
            "session_id": session,
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "cwd": self.dir.path(),
            "tool_use_id": format!("{session}-{command}"),
        })
        .to_string()
    }

    /// `store migrate ARGS` on the store `db`, with its admin challenge.
    pub fn migrate(&self, db: &Path, args: &[&str]) -> std::process::Output {
        let mut all = vec!["store", "migrate"];
        all.extend_from_slice(args);
        self.cmd(db).admin(&self.home, &all).output().unwrap()
    }

    /// `audit verify --json` on the store `db`, or on the team store at `url`.
    pub fn verify(&self, db: &Path, url: Option<&str>) -> serde_json::Value {
        let mut c = self.cmd(db);
        if let Some(u) = url {
            c.env("AIPERTURE_DB_URL", u);
        }
        let out = c.args(["audit", "verify", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// One Claude Code PreToolUse of `command` in `session`, on the store `db`.
    pub fn hook(&self, db: &Path, session: &str, command: &str) {
        self.cmd(db)
            .args(["hook", "claude-code"])
            .write_stdin(self.payload(session, command))
            .assert()
            .success();
    }
}

impl Env {
    /// One Claude Code PreToolUse of `command` in `session` on the team store at `url`: the
    /// answer printed.
    pub fn hook_on(&self, url: &str, session: &str, command: &str) -> String {
        let out = self
            .cmd(&self.db)
            .env("AIPERTURE_DB_URL", url)
            .args(["hook", "claude-code"])
            .write_stdin(self.payload(session, command))
            .output()
            .unwrap();
        ok(&out)
    }
}

/// The command's stdout, after asserting it succeeded (stdout and stderr shown if not).
pub fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout {}\nstderr {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Adds `n` allowed checks of session `bulk` straight to the SQLite store `db`. Checks are not
/// chained, so the store still verifies: a store larger than a copy's batch, cheaply.
pub fn add_bulk_checks(db: &Path, n: usize) {
    let c = rusqlite::Connection::open(db).unwrap();
    for i in 0..n {
        c.execute(
            "INSERT INTO checks (ts_ms, session, runtime, event, project, tool, action, scope, \
             decision, decided_by, risk_tier, risk_score) \
             VALUES (?1, 'bulk', 'cli', 'check', '/srv/bulk', 'shell', 'execute', ?2, 'allow', \
             'rule', 'low', 0.1)",
            rusqlite::params![i as i64, format!("echo {i}")],
        )
        .unwrap();
    }
}
