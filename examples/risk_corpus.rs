//! Measures the classifier against the labelled corpora (development aid).
//!
//! `cargo run --release --example risk_corpus -- ../shared/corpora [fn|fp|fp-all|slow|unseen]`
//!
//! `unseen` measures the project's own corpus of families no rule names
//! (`tests/corpus/unseen_families.jsonl`) per family, with the family rules on and with the
//! grammar alone (leave-one-family-out).
use aiperture::request::RiskTier;
use aiperture::risk::{Context, assess};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "../shared/corpora".into());
    let show = args.next();
    let ctx = Context {
        cwd: "/home/user/project".into(),
        project: "/home/user/project".into(),
        home: "/home/user".into(),
        protected_paths: vec!["/home/user/.local/share/aiperture/aiperture.db".into()],
        resolver: None,
    };
    if show.as_deref() == Some("unseen") {
        unseen(&ctx);
        return;
    }
    let mut times = Vec::new();
    let mut parse_times = Vec::new();
    for file in [
        "dcg",
        "dippy",
        "safe-chains",
        "codex",
        "gemini-cli",
        "claude-code-docs",
    ] {
        let Ok(text) = std::fs::read_to_string(format!("{dir}/{file}.jsonl")) else {
            continue;
        };
        let mut stats: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let cmd = v["command"].as_str().unwrap_or("");
            let label = v["label"].as_str().unwrap_or("");
            let scope = v["scope"].as_str().unwrap_or("");
            let key = if file == "dcg" {
                format!("{scope}/{label}")
            } else {
                label.to_string()
            };
            let t0 = Instant::now();
            let p = aiperture::shell::parse(cmd);
            parse_times.push(t0.elapsed().as_nanos());
            drop(p);
            let t0 = Instant::now();
            let a = assess("shell", "execute", cmd, &ctx);
            let el = t0.elapsed().as_nanos();
            times.push(el);
            if show.as_deref() == Some("slow") && el > 2_000_000 {
                println!(
                    "slow {:.1}ms len={} {}",
                    el as f64 / 1e6,
                    cmd.len(),
                    cmd.replace('\n', "\\n")
                        .chars()
                        .take(100)
                        .collect::<String>()
                );
            }
            let high = a.risk.tier >= RiskTier::High;
            let e = stats.entry(key.clone()).or_default();
            e.0 += 1;
            if high {
                e.1 += 1;
            }
            if let Some(s) = &show {
                let want_high = label == "dangerous";
                let show_it = (s == "fn" && want_high && !high && scope == "default-config")
                    || (s == "fp"
                        && label == "safe"
                        && high
                        && (file != "dcg" || scope == "default-config"))
                    || (s == "fp-all" && label == "safe" && high);
                if show_it {
                    println!(
                        "{file}\t{key}\t{}\t{:?}\t{}",
                        a.risk.tier,
                        a.risk.factors,
                        cmd.replace('\n', "\\n")
                            .chars()
                            .take(160)
                            .collect::<String>()
                    );
                }
            }
        }
        for (k, (n, h)) in stats {
            println!(
                "{file:12} {k:28} n={n:5} high+={h:5} ({:.1}%)",
                100.0 * h as f64 / n.max(1) as f64
            );
        }
    }
    parse_times.sort_unstable();
    let pmed = parse_times.get(parse_times.len() / 2).copied().unwrap_or(0);
    let pp99 = parse_times
        .get(parse_times.len() * 99 / 100)
        .copied()
        .unwrap_or(0);
    println!(
        "parse only: median={:.1}us p99={:.1}us",
        pmed as f64 / 1000.0,
        pp99 as f64 / 1000.0
    );
    times.sort_unstable();
    let med = times.get(times.len() / 2).copied().unwrap_or(0);
    let p99 = times.get(times.len() * 99 / 100).copied().unwrap_or(0);
    let max = times.last().copied().unwrap_or(0);
    println!(
        "classify: n={} median={:.1}us p99={:.1}us max={:.1}us",
        times.len(),
        med as f64 / 1000.0,
        p99 as f64 / 1000.0,
        max as f64 / 1000.0
    );
}

/// Per family of the unseen corpus: recall and false alarms with every rule, and with the
/// grammar alone.
fn unseen(ctx: &Context) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/unseen_families.jsonl"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("cannot read {path}");
        return;
    };
    // family -> [dangerous, high with rules, high by grammar, safe, high with rules, high by grammar]
    let mut stats: std::collections::BTreeMap<String, [usize; 6]> = Default::default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let cmd = v["command"].as_str().unwrap_or("");
        let fam = v["family"].as_str().unwrap_or("").to_string();
        let base = if v["label"] == "dangerous" { 0 } else { 3 };
        let with_rules = assess("shell", "execute", cmd, ctx).risk.tier >= RiskTier::High;
        let alone = aiperture::risk::assess_grammar_only("shell", "execute", cmd, ctx)
            .risk
            .tier
            >= RiskTier::High;
        let e = stats.entry(fam).or_default();
        e[base] += 1;
        e[base + 1] += usize::from(with_rules);
        e[base + 2] += usize::from(alone);
    }
    let mut total = [0usize; 6];
    println!("family          recall(rules) recall(grammar)  fa(rules) fa(grammar)");
    for (fam, e) in &stats {
        println!(
            "{fam:14} {:>6}/{:<4} {:>8}/{:<4} {:>6}/{:<4} {:>5}/{:<4}",
            e[1], e[0], e[2], e[0], e[4], e[3], e[5], e[3]
        );
        for (t, x) in total.iter_mut().zip(e) {
            *t += x;
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "total: with rules recall {:.1}% false alarms {:.1}%; grammar alone recall {:.1}% false alarms {:.1}%",
        pct(total[1], total[0]),
        pct(total[4], total[3]),
        pct(total[2], total[0]),
        pct(total[5], total[3])
    );
}
