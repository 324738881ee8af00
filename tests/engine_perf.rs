//! A rough cost figure for a learned-allow `Gate::check` on an empty store and on a store with
//! 1,000,000 logged checks and 100,000 human decisions (over 100,000 patterns). Not a timed
//! assertion: it prints the figures. Run with
//! `cargo test --release --test engine_perf -- --ignored --nocapture`.

#[path = "engine_support/mod.rs"]
mod support;

use aiperture::clock::ManualClock;
use aiperture::request::Decision;
use std::sync::Arc;
use std::time::Instant;
use support::{Env, T0};

fn fill(env: &Env, checks: i64, decisions: i64) {
    let mut c = rusqlite::Connection::open(&env.db).unwrap();
    let tx = c.transaction().unwrap();
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO checks (ts_ms, session, runtime, event, project, tool, action, scope, \
                 decision, decided_by, risk_tier, risk_score) VALUES (?1, ?2, 'claude-code', \
                 'PreToolUse', ?3, 'shell', 'execute', ?4, 'ask', 'default', 'medium', 0.3)",
            )
            .unwrap();
        for i in 0..checks {
            ins.execute(rusqlite::params![
                T0 - 1_000_000 + i,
                format!("old-{}", i % 5000),
                format!("/p{}", i % 50),
                format!("cmd {i}")
            ])
            .unwrap();
        }
        let mut dec = tx
            .prepare(
                "INSERT INTO decisions (ts_ms, project, session, runtime, tool, action, scope, \
                 decision, source, who) VALUES (?1, ?2, ?3, 'cli', 'shell', 'execute', ?4, 'allow', \
                 'terminal', 'bob')",
            )
            .unwrap();
        let mut key = tx
            .prepare(
                "INSERT INTO decision_keys (decision_id, project, tool, action, kind, key, counted) \
                 VALUES (?1, ?2, 'shell', 'execute', 'exact', ?3, 'allow')",
            )
            .unwrap();
        let mut agg = tx
            .prepare(
                "INSERT INTO patterns (project, tool, action, kind, key, human_allow, humans, \
                 first_ms, last_ms) VALUES (?1, 'shell', 'execute', 'exact', ?2, 1, 1, ?3, ?3)",
            )
            .unwrap();
        for i in 0..decisions {
            let project = format!("/p{}", i % 50);
            let scope = format!("tool-{i} --flag");
            dec.execute(rusqlite::params![
                T0 - 500_000 + i,
                project,
                format!("h{}", i % 1000),
                scope
            ])
            .unwrap();
            let id = tx.last_insert_rowid();
            key.execute(rusqlite::params![id, project, scope]).unwrap();
            agg.execute(rusqlite::params![project, scope, T0 - 500_000 + i])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
}

/// CPU time of this thread in ns (Linux), less sensitive to a loaded machine than wall time.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn measure(env: &Env, label: &str) {
    let clock = Arc::new(ManualClock::new(T0 + 3_600_000));
    let g = env.gate(&clock);
    let n = 2000;
    // Warm up (first open, statement cache).
    for i in 0..50 {
        let v = g
            .check(&env.shell(&format!("warm-{i}"), "npm test"))
            .unwrap();
        assert_eq!(v.decision, Decision::Allow, "{v:?}");
    }
    let start = Instant::now();
    let cpu0 = cpu_ns();
    for i in 0..n {
        clock.advance(10);
        let v = g
            .check(&env.shell(&format!("{label}-{}", i % 20), "npm test"))
            .unwrap();
        assert_eq!(v.decision, Decision::Allow);
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let cpu = match (cpu0, cpu_ns()) {
        (Some(a), Some(b)) => format!(
            "{:.0} µs CPU",
            b.saturating_sub(a) as f64 / 1e3 / f64::from(n)
        ),
        _ => "CPU n/a".into(),
    };
    println!(
        "{label}: {per:.0} µs wall, {cpu} per learned-allow Gate::check (incl. commit + audit)"
    );
}

#[test]
#[ignore = "benchmark; run with --release -- --ignored --nocapture"]
fn learned_allow_cost_is_flat_in_store_size() {
    let empty = Env::new();
    empty.decide_n(T0, 10, "npm test", Decision::Allow);
    measure(&empty, "empty store");
    measure(&empty, "empty store (again)");

    let full = Env::new();
    full.decide_n(T0, 10, "npm test", Decision::Allow);
    fill(&full, 1_000_000, 100_000);
    measure(&full, "1M checks + 100k decisions");
    measure(&full, "1M checks + 100k decisions (again)");
}
