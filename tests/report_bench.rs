//! The report over a large store, timed (no timed assertion: the figure is printed).
//!
//! `REPORT_BENCH_CHECKS=1000000 cargo test --release --test report_bench -- --ignored --nocapture`
//! seeds the store once into `target/report-bench-<N>.db` (reused by later runs) and prints
//! how long `report::build` and each renderer take.

use aiperture::report::synthetic::{Synthetic, seed_checks};
use aiperture::report::{self, ReportOptions};
use aiperture::store::Db;
use std::time::Instant;

#[test]
#[ignore = "benchmark: run explicitly in a release build"]
fn report_over_a_large_store() {
    let n: u64 = std::env::var("REPORT_BENCH_CHECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let key = [42u8; 32];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(format!("report-bench-{n}.db"));
    let spec = Synthetic {
        checks: n,
        ..Synthetic::default()
    };
    let fresh = !path.exists();
    let db = Db::open(&path).unwrap();
    if fresh {
        let t = Instant::now();
        let s = seed_checks(&db, &key, &spec).unwrap();
        eprintln!("seeded {s:?} in {:.1} s", t.elapsed().as_secs_f64());
    }
    let opts = ReportOptions {
        key: Some(key),
        ..ReportOptions::default()
    };
    for round in 0..2 {
        let t = Instant::now();
        let r = report::build(&db, &opts, spec.end_ms + 1).unwrap();
        let built = t.elapsed();
        let t = Instant::now();
        let md = report::markdown::render(&r);
        let json = report::json(&r).unwrap();
        let html = report::html::render(&r);
        eprintln!(
            "round {round}: report over {} checks, {} audit events: build {:.3} s, render md+json+html {:.3} s ({} + {} + {} bytes), status {}",
            r.totals.checks,
            r.integrity.events,
            built.as_secs_f64(),
            t.elapsed().as_secs_f64(),
            md.len(),
            json.len(),
            html.len(),
            r.status.as_str()
        );
        assert_eq!(r.totals.checks, n);
        assert!(r.integrity.verified);
    }
    let since = ReportOptions {
        since_ms: Some(spec.end_ms - 7 * 86_400_000),
        ..opts
    };
    let t = Instant::now();
    let r = report::build(&db, &since, spec.end_ms + 1).unwrap();
    eprintln!(
        "--since 7d: {} checks, build {:.3} s",
        r.totals.checks,
        t.elapsed().as_secs_f64()
    );
}

#[test]
#[ignore = "benchmark: run explicitly in a release build"]
fn verify_alone() {
    let n: u64 = std::env::var("REPORT_BENCH_CHECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(format!("report-bench-{n}.db"));
    let db = Db::open(&path).unwrap();
    let t = Instant::now();
    let v = aiperture::store::audit_sql::verify(&db, Some(&[42u8; 32])).unwrap();
    eprintln!(
        "verify {} events: {:.3} s",
        v.events,
        t.elapsed().as_secs_f64()
    );
}
