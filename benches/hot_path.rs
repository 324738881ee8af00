//! In-process micro-benchmarks of the hook's hot path (a plain `harness = false` bench timed
//! with `std::time::Instant`: median of many samples, each a batch of calls sized to ~5 ms).
//!
//! `cargo bench --bench hot_path [-- --quick] [-- --json PATH]`
//!
//! - parsing a Claude Code payload (adapter + tool mapping);
//! - classifying a command (shell parse + risk tables), simple and compound;
//! - parse + classify together;
//! - the engine decision without I/O (the pipeline over the SQLite state in an in-memory
//!   database), read-only and recorded (check row + audit event in one transaction);
//! - with I/O but no process: opening the store, and a full `Gate` open + check on a file.

use aiperture::clock::SystemClock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::engine::config::EngineConfig;
use aiperture::engine::learning::{self, HumanDecision};
use aiperture::engine::pipeline::{self, Env};
use aiperture::engine::policy::Policy;
use aiperture::engine::state::Source;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use aiperture::risk::{self, Context};
use aiperture::runtimes::Adapter;
use aiperture::runtimes::claude_code::ClaudeCode;
use aiperture::store::state::SqliteState;
use aiperture::store::{Db, MIGRATIONS};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::hint::black_box;
use std::time::{Duration, Instant};

const PROJECT: &str = "/srv/bench/app";
const SIMPLE: &str = "git status";
const COMPOUND: &str = "cd /srv/bench/app && cargo test 2>&1 | tail -n 20 && git diff --stat";

struct Bench {
    quick: bool,
    results: Vec<(String, f64, f64, u64)>,
}

impl Bench {
    /// Times `f`: calibrates a batch to ~5 ms, then takes the median over samples.
    fn run(&mut self, name: &str, mut f: impl FnMut()) {
        let target = Duration::from_millis(if self.quick { 1 } else { 5 });
        let mut batch: u64 = 1;
        loop {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            if t.elapsed() >= target || batch >= 1 << 24 {
                break;
            }
            batch *= 2;
        }
        let samples = if self.quick { 5 } else { 41 };
        let mut per: Vec<f64> = (0..samples)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..batch {
                    f();
                }
                t.elapsed().as_nanos() as f64 / batch as f64
            })
            .collect();
        per.sort_by(f64::total_cmp);
        let median = per[per.len() / 2];
        let min = per[0];
        println!(
            "{name:<34} median {:>10.2} µs   min {:>10.2} µs   ({} × {batch})",
            median / 1000.0,
            min / 1000.0,
            samples
        );
        self.results
            .push((name.to_string(), median, min, samples * batch));
    }
}

fn payload(cmd: &str) -> Vec<u8> {
    serde_json::json!({
        "session_id": "s-micro", "transcript_path": "/tmp/t.jsonl", "cwd": PROJECT,
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": cmd, "description": "bench"}, "tool_use_id": "toolu_micro",
    })
    .to_string()
    .into_bytes()
}

fn ctx() -> Context {
    Context {
        cwd: PROJECT.into(),
        project: PROJECT.into(),
        home: "/home/bench".into(),
        protected_paths: vec![
            "/home/bench/.aiperture/aiperture.db".into(),
            "/home/bench/.aiperture/key".into(),
        ],
        resolver: None,
    }
}

fn request(cmd: &str) -> Request {
    Request {
        runtime: "claude-code".into(),
        event: "PreToolUse".into(),
        session_id: "s-micro".into(),
        cwd: PROJECT.into(),
        project: PROJECT.into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: cmd.into(),
        ..Request::default()
    }
}

/// An in-memory store with the schema and `git status` learned in the project.
fn memory_store(cfg: &EngineConfig, now: i64) -> Connection {
    let c = Connection::open_in_memory().expect("in-memory db");
    for m in MIGRATIONS {
        c.execute_batch(m).expect("migration");
    }
    let a = risk::assess("shell", "execute", SIMPLE, &ctx());
    let mut st = SqliteState::new(&c);
    for i in 0..12 {
        let session = format!("learn-{i}");
        learning::record(
            &mut st,
            cfg,
            now - 3_600_000 + i * 60_000,
            &HumanDecision {
                session: &session,
                runtime: "claude-code",
                project: PROJECT,
                tool: "shell",
                action: "execute",
                scope: SIMPLE,
                content_hash: None,
                decision: Decision::Allow,
                source: Source::Terminal,
                who: "alice",
                host: "",
                pending_id: None,
            },
            &a,
        )
        .expect("record");
    }
    c
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let json = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1).cloned());
    let mut b = Bench {
        quick,
        results: Vec::new(),
    };
    let c = ctx();
    let simple = payload(SIMPLE);
    let compound = payload(COMPOUND);

    b.run("parse: claude-code PreToolUse", || {
        black_box(ClaudeCode.parse(black_box(&simple)).is_ok());
    });
    b.run("classify: git status", || {
        black_box(risk::assess("shell", "execute", black_box(SIMPLE), &c));
    });
    b.run("classify: compound (4 commands)", || {
        black_box(risk::assess("shell", "execute", black_box(COMPOUND), &c));
    });
    // The same, judging real paths (symbolic links followed) in this checkout, with a fresh
    // resolver per call as the Gate makes one (its root check and memo included).
    let here = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/".to_string());
    let lexical = Context {
        cwd: here.clone(),
        project: here.clone(),
        ..ctx()
    };
    let real = || Context {
        resolver: Some(std::sync::Arc::new(
            aiperture::realpath::RealFs::with_roots([here.clone()]),
        )),
        ..lexical.clone()
    };
    b.run("classify: compound, text paths", || {
        black_box(risk::assess(
            "shell",
            "execute",
            black_box(COMPOUND),
            &lexical.clone(),
        ));
    });
    b.run("classify: compound, real paths", || {
        black_box(risk::assess(
            "shell",
            "execute",
            black_box(COMPOUND),
            &real(),
        ));
    });
    b.run("classify: Read src/lib.rs, text", || {
        black_box(risk::assess(
            "filesystem",
            "read",
            black_box("src/lib.rs"),
            &lexical.clone(),
        ));
    });
    b.run("classify: Read src/lib.rs, real", || {
        black_box(risk::assess(
            "filesystem",
            "read",
            black_box("src/lib.rs"),
            &real(),
        ));
    });
    b.run("parse + classify: compound", || {
        let p = ClaudeCode.parse(black_box(&compound));
        black_box(p.is_ok());
        black_box(risk::assess("shell", "execute", COMPOUND, &c));
    });

    let cfg = EngineConfig::default();
    let now = aiperture::clock::Clock::now_ms(&SystemClock);
    let conn = memory_store(&cfg, now);
    let policy = Policy::default();
    let env = Env {
        cfg: &cfg,
        policy: &policy,
        home: "/home/bench",
    };
    let req = request(SIMPLE);
    let a = risk::assess("shell", "execute", SIMPLE, &c);
    let (v, _) =
        pipeline::check(&mut SqliteState::new(&conn), env, now, &req, &a, false).expect("decide");
    println!(
        "  (learned request decides {} by {})",
        v.decision, v.decided_by
    );
    b.run("engine: decide (memory, no write)", || {
        let mut st = SqliteState::new(&conn);
        black_box(pipeline::check(&mut st, env, now, &req, &a, false).is_ok());
    });
    let key = [9u8; 32];
    let mut n = 0i64;
    b.run("engine: decide + record + audit (memory)", || {
        n += 1;
        let mut r = req.clone();
        r.session_id = format!("s-{}", n % 1000);
        let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate).expect("tx");
        {
            let mut st = SqliteState::with_audit(&tx, &key);
            black_box(pipeline::check(&mut st, env, now, &r, &a, true).is_ok());
        }
        tx.commit().expect("commit");
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("aiperture.db");
    drop(Db::open(&db_path).expect("create store"));
    b.run("store: open (file, current schema)", || {
        black_box(Db::open(&db_path).is_ok());
    });
    let paths = Paths::at(dir.path(), &db_path);
    let mut k = 0u64;
    b.run("gate: open + check (file, no process)", || {
        k += 1;
        let g = Gate::open_with(
            paths.clone(),
            Settings::default(),
            std::sync::Arc::new(SystemClock),
        )
        .expect("gate");
        let mut r = request(SIMPLE);
        r.session_id = format!("s-{}", k % 1000);
        black_box(g.check(&r).is_ok());
    });

    if let Some(p) = json {
        let rows: Vec<_> = b
            .results
            .iter()
            .map(|(name, med, min, iters)| {
                serde_json::json!({"name": name, "median_ns": med, "min_ns": min, "iterations": iters})
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).unwrap_or_default();
        if let Err(e) = std::fs::write(&p, text) {
            eprintln!("hot_path: {p}: {e}");
        }
    }
}
