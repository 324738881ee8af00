//! Builds a synthetic store for `bench/run` through the library ([`aiperture::store::seed`]).
//!
//! `bench_seed --db PATH --home DIR --checks N [--decisions N] [--end-ms MS]
//!             [--project ROOT]... [--learn ROOT:SCOPE]...`
//!
//! Creates the store and the install key (in `--home`), then logs N checks and the decisions,
//! and prints one JSON line: what was written and how long it took.

use aiperture::clock::Clock;
use aiperture::paths::Paths;
use aiperture::store::Db;
use aiperture::store::seed::{Learned, SeedSpec, seed};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_seed: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let mut db = None;
    let mut home = None;
    let mut spec = SeedSpec {
        projects: Vec::new(),
        end_ms: aiperture::clock::SystemClock.now_ms(),
        ..SeedSpec::default()
    };
    let mut decisions = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--db" => db = Some(PathBuf::from(val()?)),
            "--home" => home = Some(PathBuf::from(val()?)),
            "--checks" => spec.checks = val()?.parse()?,
            "--decisions" => decisions = Some(val()?.parse()?),
            "--end-ms" => spec.end_ms = val()?.parse()?,
            "--project" => spec.projects.push(val()?),
            "--learn" => {
                let v = val()?;
                let (root, scope) = v
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("--learn ROOT:SCOPE"))?;
                spec.learned.push(Learned {
                    project: root.to_string(),
                    tool: "shell".into(),
                    action: "execute".into(),
                    scope: scope.to_string(),
                    approvals: 12,
                });
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let (Some(db_path), Some(home)) = (db, home) else {
        anyhow::bail!("usage: bench_seed --db PATH --home DIR --checks N [--decisions N] ...");
    };
    spec.decisions = decisions.unwrap_or(spec.checks / 10);
    if spec.projects.is_empty() {
        spec.projects.push("/srv/seed/app".into());
    }
    let paths = Paths::at(&home, &db_path);
    std::fs::create_dir_all(&home)?;
    let key = aiperture::key::load(&paths)?;
    let db = Db::open(&db_path)?;
    let t0 = Instant::now();
    let mut last = Instant::now();
    let s = seed(&db, &key, &spec, |n| {
        if last.elapsed().as_secs() >= 5 {
            eprintln!("bench_seed: {n} checks");
            last = Instant::now();
        }
    })?;
    println!(
        "{}",
        serde_json::json!({
            "checks": s.checks, "decisions": s.decisions, "audit_events": s.audit_events,
            "seconds": t0.elapsed().as_secs_f64(),
            "bytes": std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0),
        })
    );
    Ok(())
}
