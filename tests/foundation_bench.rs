//! Measurements, not assertions: run with
//! `cargo test --release --test foundation_bench -- --ignored --nocapture`
//! (`AIPERTURE_BENCH_EVENTS` sets the chain length, default 1,000,000).

use aiperture::audit::{ActorType, NewEvent};
use aiperture::config::Settings;
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::Db;
use aiperture::store::audit_sql;
use std::time::Instant;

fn event(i: i64) -> NewEvent {
    let mut ev = NewEvent::new("permission.check", ActorType::Hook);
    ev.actor = "claude-code-hook".into();
    ev.runtime = "claude-code".into();
    ev.session_id = format!("session-{}", i % 50);
    ev.project = "/home/u/project".into();
    ev.entity = format!("shell/execute/git status --short {i}");
    ev.summary = "allow: shell/execute git status --short".into();
    ev.details =
        serde_json::json!({"decided_by": "learned:git status *", "risk": "low", "score": 0.1});
    ev
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p) as usize]
}

#[test]
#[ignore]
fn measure_open_and_append() {
    let n: i64 = std::env::var("AIPERTURE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let t = tempfile::tempdir().unwrap();
    let paths = Paths::at(&t.path().join("home"), &t.path().join("data/a.db"));
    let k = key::load(&paths).unwrap();
    let db = Db::open(&paths.db).unwrap();
    let start = Instant::now();
    for chunk in 0..(n + 9_999) / 10_000 {
        db.write(|tx| {
            for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                audit_sql::append(tx, &k, &event(i), 1_780_000_000_000 + i)?;
            }
            Ok(())
        })
        .unwrap();
    }
    println!(
        "populate {n} events: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    drop(db);

    let iters: i64 = std::env::var("AIPERTURE_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let mut open = Vec::new();
    for _ in 0..iters {
        let s = Instant::now();
        let db = Db::open(&paths.db).unwrap();
        open.push(s.elapsed().as_secs_f64() * 1e6);
        drop(db);
    }
    let db = Db::open(&paths.db).unwrap();
    let mut append = Vec::new();
    for i in 0..iters {
        let s = Instant::now();
        db.write(|tx| audit_sql::append(tx, &k, &event(n + i), 1_790_000_000_000 + i))
            .unwrap();
        append.push(s.elapsed().as_secs_f64() * 1e6);
    }
    drop(db);
    // What a hook call does besides the decision: paths, settings, key, open, one append.
    let mut hook = Vec::new();
    let (mut h_open, mut h_write, mut h_close) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..iters {
        let s = Instant::now();
        let _settings = Settings::load(&paths).unwrap();
        let k = key::load(&paths).unwrap();
        let db = Db::open(&paths.db).unwrap();
        let s1 = Instant::now();
        db.write(|tx| audit_sql::append(tx, &k, &event(n + iters + i), 1_800_000_000_000 + i))
            .unwrap();
        let s2 = Instant::now();
        drop(db);
        let s3 = Instant::now();
        hook.push((s3 - s).as_secs_f64() * 1e6);
        h_open.push((s1 - s).as_secs_f64() * 1e6);
        h_write.push((s2 - s1).as_secs_f64() * 1e6);
        h_close.push((s3 - s2).as_secs_f64() * 1e6);
    }
    for (name, v) in [
        ("Db::open (existing, current schema)", &mut open),
        ("one audit append + commit", &mut append),
        ("settings + key + open + append + commit + close", &mut hook),
        ("  of which settings + key + open", &mut h_open),
        ("  of which append + commit", &mut h_write),
        ("  of which close", &mut h_close),
    ] {
        println!(
            "{name}: p50 {:.0} us, p90 {:.0} us, p99 {:.0} us",
            pct(v, 0.5),
            pct(v, 0.9),
            pct(v, 0.99)
        );
    }
    let db = Db::open(&paths.db).unwrap();
    let s = Instant::now();
    let r = audit_sql::verify(&db, Some(&k)).unwrap();
    println!(
        "verify {} events: {:.2} s (intact: {})",
        r.events,
        s.elapsed().as_secs_f64(),
        r.intact
    );
    assert!(r.intact);
}
