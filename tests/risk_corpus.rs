//! Measures the classifier on the labelled development corpora and asserts the quality bar
//! (issue 3). Reads `../shared/corpora` relative to the crate root, or `AIPERTURE_CORPORA`.
//! Without them the test fails (a quality bar that is never measured must not pass), unless
//! `AIPERTURE_SKIP_CORPORA=1` opts out, which it reports loudly as SKIPPED.

use aiperture::request::RiskTier;
use aiperture::risk::{Context, assess};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Environment variable that lets the test pass without the corpora (and say so).
const SKIP_ENV: &str = "AIPERTURE_SKIP_CORPORA";

fn corpora_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("AIPERTURE_CORPORA") {
        let p = PathBuf::from(d);
        if p.is_dir() {
            return Some(p);
        }
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    p.is_dir().then_some(p)
}

fn ctx() -> Context {
    Context {
        cwd: "/home/user/project".into(),
        project: "/home/user/project".into(),
        home: "/home/user".into(),
        protected_paths: vec!["/home/user/.local/share/aiperture/aiperture.db".into()],
        resolver: None,
    }
}

/// (rows, rated high or critical) per "file/scope/label".
fn measure(dir: &PathBuf) -> BTreeMap<String, (usize, usize)> {
    let mut stats: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let ctx = ctx();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "jsonl").unwrap_or(false))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let cmd = v["command"].as_str().unwrap_or("");
            let label = v["label"].as_str().unwrap_or("");
            let scope = v["scope"].as_str().unwrap_or("");
            // Every line classifies without a panic, with a score that agrees with its tier.
            let a = assess("shell", "execute", cmd, &ctx);
            assert_eq!(
                aiperture::risk::tier_for_score(a.risk.score),
                a.risk.tier,
                "{cmd:?}"
            );
            // A derived pattern matches the segment it came from.
            for seg in &a.segments {
                if let Some(p) = &seg.pattern {
                    assert!(
                        aiperture::risk::pattern_matches(p, &seg.command),
                        "pattern {p:?} does not match its segment {:?} (from {cmd:?})",
                        seg.command
                    );
                }
            }
            let e = stats.entry(format!("{name}/{scope}/{label}")).or_default();
            e.0 += 1;
            if a.risk.tier >= RiskTier::High {
                e.1 += 1;
            }
        }
    }
    stats
}

fn rate(stats: &BTreeMap<String, (usize, usize)>, key: &str) -> f64 {
    let (n, h) = stats.get(key).copied().unwrap_or((0, 0));
    assert!(n > 0, "no rows for {key}");
    h as f64 / n as f64
}

#[test]
fn quality_bar_on_development_corpora() {
    let Some(dir) = corpora_dir() else {
        let why = "../shared/corpora not found and AIPERTURE_CORPORA does not name a directory";
        assert!(
            std::env::var(SKIP_ENV).is_ok_and(|v| v == "1"),
            "{why}: the quality bar cannot be measured (set {SKIP_ENV}=1 to skip it knowingly)"
        );
        eprintln!("\n*** SKIPPED: quality_bar_on_development_corpora: {why} ({SKIP_ENV}=1) ***\n");
        println!("\n*** SKIPPED: quality_bar_on_development_corpora: {why} ({SKIP_ENV}=1) ***\n");
        return;
    };
    let stats = measure(&dir);
    for (k, (n, h)) in &stats {
        println!(
            "{k:40} rows {n:6} high+ {h:6} ({:.1}%)",
            100.0 * *h as f64 / *n as f64
        );
    }
    let recall = rate(&stats, "dcg/default-config/dangerous");
    let dcg_fp = rate(&stats, "dcg/default-config/safe");
    let dippy_fp = rate(&stats, "dippy//safe");
    let sc_fp = rate(&stats, "safe-chains//safe");
    assert!(
        recall >= 0.95,
        "dcg dangerous rated high+: {recall:.3} < 0.95"
    );
    assert!(dcg_fp <= 0.02, "dcg safe rated high+: {dcg_fp:.3} > 0.02");
    assert!(
        dippy_fp <= 0.01,
        "dippy safe rated high+: {dippy_fp:.3} > 0.01"
    );
    assert!(
        sc_fp <= 0.01,
        "safe-chains safe rated high+: {sc_fp:.3} > 0.01"
    );
}
