//! Shared set-up for the engine's end-to-end tests: a temporary home, store and git project;
//! a library [`Gate`] on a manual clock for recording human decisions (the CLI refuses them
//! without a terminal); and the built binary for checks, each in a new process, with the
//! clock pinned through `AIPERTURE_NOW_MS` (honoured by debug builds only).
#![allow(dead_code)]

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use assert_cmd::Command;
use std::path::PathBuf;
use std::sync::Arc;

/// 2026-03-01T12:00:00Z.
pub const T0: i64 = 1_772_366_400_000;
/// One minute.
pub const MIN: i64 = 60_000;

/// A temporary installation with a git project.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub db: PathBuf,
    pub project: PathBuf,
    pub extra_env: Vec<(String, String)>,
}

struct Shared(Arc<ManualClock>);

impl aiperture::clock::Clock for Shared {
    fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("proj");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(project.join(".git")).unwrap();
        std::fs::create_dir_all(project.join("src")).unwrap();
        let db = dir.path().join("aiperture.db");
        // The store matrix (`AIPERTURE_TEST_STORE=postgres`, .ci/run): the same tests on a
        // fresh PostgreSQL database, through the library gate and the binary alike.
        let extra_env = aiperture::store::postgres::testing::matrix_url("engine")
            .map(|url| vec![("AIPERTURE_DB_URL".to_string(), url)])
            .unwrap_or_default();
        Env {
            dir,
            home,
            db,
            project,
            extra_env,
        }
    }

    /// The team store's URL when the matrix runs on PostgreSQL.
    pub fn db_url(&self) -> Option<&str> {
        self.extra_env
            .iter()
            .find(|(k, _)| k == "AIPERTURE_DB_URL")
            .map(|(_, v)| v.as_str())
    }

    pub fn with_env(mut self, k: &str, v: &str) -> Env {
        self.extra_env.push((k.into(), v.into()));
        self
    }

    pub fn project_str(&self) -> String {
        self.project.display().to_string()
    }

    /// A library gate whose clock the test moves.
    pub fn gate(&self, clock: &Arc<ManualClock>) -> aiperture::store::AnyGate {
        let paths = Paths::at(&self.home, &self.db);
        let mut settings = Settings::default();
        for (k, v) in &self.extra_env {
            match k.as_str() {
                "AIPERTURE_SESSION_RISK_BUDGET" => {
                    settings.session_risk_budget = v.parse().unwrap()
                }
                "AIPERTURE_RATE_LIMIT_PER_MINUTE" => {
                    settings.rate_limit_per_minute = v.parse().unwrap()
                }
                "AIPERTURE_LEARNING_MIN_DECISIONS_LOW" => {
                    settings.learning_min_decisions_low = v.parse().unwrap()
                }
                "AIPERTURE_PERMISSION_LEARNING_MIN_DECISIONS" => {
                    settings.permission_learning_min_decisions = v.parse().unwrap()
                }
                "AIPERTURE_ALLOW_READ_ONLY_COMMANDS" => {
                    settings.allow_read_only_commands = v.parse().unwrap()
                }
                _ => {}
            }
        }
        let at = match self.db_url() {
            Some(url) => aiperture::store::Location::Postgres(url.into()),
            None => aiperture::store::Location::Sqlite(self.db.clone()),
        };
        let store = aiperture::store::AnyStore::open(&at).unwrap();
        Gate::new(store, paths, settings, clock.clone())
    }

    /// A single integer from the store under test (the SQLite file or the team store), or
    /// the error that stopped it.
    pub fn try_count(&self, sql: &str) -> Result<i64, String> {
        match self.db_url() {
            Some(url) => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                let row = c.query_one(sql, &[]).map_err(|e| format!("{e:?}"))?;
                row.try_get::<_, i64>(0).map_err(|e| e.to_string())
            }
            None => {
                let c = rusqlite::Connection::open(&self.db).map_err(|e| e.to_string())?;
                c.query_row(sql, [], |r| r.get(0))
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// A single integer from the store under test; panics on an error.
    pub fn count(&self, sql: &str) -> i64 {
        self.try_count(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// A shell request in the project.
    pub fn shell(&self, session: &str, command: &str) -> Request {
        Request {
            runtime: "claude-code".into(),
            event: "PreToolUse".into(),
            session_id: session.into(),
            cwd: self.project_str(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: command.into(),
            ..Request::default()
        }
    }

    /// `n` human approvals (or denials) of a command, two minutes apart in separate sessions
    /// (never rubber stamps). Returns the time after the last one.
    pub fn decide_n(&self, start: i64, n: i64, command: &str, d: Decision) -> i64 {
        let clock = Arc::new(ManualClock::new(start));
        let g = self.gate(&clock);
        for i in 0..n {
            clock.set(start + i * 2 * MIN);
            g.record_human(&self.shell(&format!("human-{i}"), command), d, "alice")
                .unwrap();
        }
        start + n * 2 * MIN
    }

    /// The binary, isolated in this installation, at time `now`.
    pub fn cmd(&self, now: i64) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", &self.db)
            .env("AIPERTURE_NOW_MS", now.to_string())
            .current_dir(&self.project);
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }

    /// `aiperture check --json` of a shell command in a new process: (exit code, verdict).
    pub fn check(&self, now: i64, session: &str, command: &str) -> (i32, serde_json::Value) {
        let out = self
            .cmd(now)
            .args(["check", "--json", "--session", session, "--scope", command])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "no JSON verdict: {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }
}
