//! Issue 23: `aiperture patterns --all` lists every project's learned patterns (and the
//! global ones), each with its project; without it, only the current project's and global.

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
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

    /// A git project directory named `name`.
    fn project(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.join(".git")).unwrap();
        p
    }

    /// `n` human approvals of `command` made in `cwd` (`""`: no directory, so the `global`
    /// project), two minutes apart in separate sessions.
    fn approve_n(&self, cwd: &str, command: &str, n: i64) {
        let clock = Arc::new(ManualClock::new(T0));
        let g = Gate::open_with(
            Paths::at(&self.home, &self.db),
            Settings::default(),
            clock.clone(),
        )
        .unwrap();
        for i in 0..n {
            clock.set(T0 + i * 2 * MIN);
            let req = Request {
                runtime: "claude-code".into(),
                event: "PreToolUse".into(),
                session_id: format!("human-{i}"),
                cwd: cwd.to_string(),
                tool: "shell".into(),
                action: "execute".into(),
                scope: command.into(),
                ..Request::default()
            };
            g.record_human(&req, Decision::Allow, "alice").unwrap();
        }
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("aiperture")
            .unwrap()
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", &self.db)
            .env("AIPERTURE_NOW_MS", (T0 + 60 * MIN).to_string())
            .current_dir(cwd)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, cwd: &Path, args: &[&str]) -> Vec<Value> {
        serde_json::from_str::<Vec<Value>>(&self.ok(cwd, args)).unwrap()
    }
}

/// The (project, pattern) pairs of `patterns --json` rows.
fn pairs(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["project"].as_str().unwrap().to_string(),
                r["pattern"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn all_lists_every_project_with_its_project_and_global_once() {
    let env = Env::new();
    let (a, b, elsewhere) = (
        env.project("alpha"),
        env.project("beta"),
        env.project("gamma"),
    );
    let (a_s, b_s) = (a.display().to_string(), b.display().to_string());
    env.approve_n(&a_s, "npm test", 4);
    env.approve_n(&b_s, "cargo test", 4);
    // A request without a directory is learned in the `global` project, which every
    // project's listing includes and --all lists once.
    env.approve_n("", "make lint", 4);

    // Without --all: this project's (and global) only.
    let here = pairs(&env.json(&a, &["patterns", "--json"]));
    assert!(here.iter().any(|(p, _)| *p == a_s), "{here:?}");
    assert!(here.iter().any(|(p, _)| p == "global"), "{here:?}");
    assert!(!here.iter().any(|(p, _)| *p == b_s), "{here:?}");

    // --all from a directory with no patterns of its own: both projects.
    let all = pairs(&env.json(&elsewhere, &["patterns", "--all", "--json"]));
    assert!(
        all.iter()
            .any(|(p, k)| *p == a_s && k.starts_with("npm test")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(p, k)| *p == b_s && k.starts_with("cargo test")),
        "{all:?}"
    );
    // Every row of a project's own listing is in --all, and no row twice.
    for pair in here
        .iter()
        .chain(pairs(&env.json(&b, &["patterns", "--json"])).iter())
    {
        assert_eq!(
            all.iter().filter(|x| *x == pair).count(),
            1,
            "{pair:?} in {all:?}"
        );
    }
    assert!(all.iter().any(|(p, _)| p == "global"), "{all:?}");
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "duplicates in {all:?}");

    // The text form heads each project's patterns with the project.
    let text = env.ok(&elsewhere, &["patterns", "--all"]);
    let a_line = text.lines().position(|l| l == a_s).expect(&text);
    let b_line = text.lines().position(|l| l == b_s).expect(&text);
    let npm = text.lines().position(|l| l.contains("npm test")).unwrap();
    let cargo = text.lines().position(|l| l.contains("cargo test")).unwrap();
    assert!(a_line < npm && (b_line > npm || b_line < a_line), "{text}");
    assert!(
        b_line < cargo && (a_line > cargo || a_line < b_line),
        "{text}"
    );
}

#[test]
fn all_on_an_empty_store_says_so_and_conflicts_with_project() {
    let env = Env::new();
    let p = env.project("alpha");
    assert_eq!(
        env.json(&p, &["patterns", "--all", "--json"]),
        Vec::<Value>::new()
    );
    assert!(
        env.ok(&p, &["patterns", "--all"])
            .contains("no learned patterns")
    );
    let out = env.run(&p, &["patterns", "--all", "--project", "x"]);
    assert_eq!(out.status.code(), Some(64));
}
