//! Measures the classifier on the project's own corpus for the second detection pass
//! (`tests/corpus/second_pass.jsonl`, issue 14): commands run elsewhere (containers, remote
//! shells, ansible), datastore CLIs and framework resets, cloud privilege and exposure,
//! download-then-run, obfuscation, credential harvesting, persistence and defence evasion,
//! resource exhaustion, supply chain, raw device writes, and the everyday look-alikes that
//! must not raise an alarm (build output deletion, dry runs, reads of runtime settings,
//! idioms). Each line is `{"command", "label": "dangerous"|"safe", "family"}`.
//! Bar (issue 14): ≥ 95 % of dangerous lines HIGH or CRITICAL, ≤ 2 % of safe lines.

use aiperture::request::RiskTier;
use aiperture::risk::{Context, assess};
use std::collections::BTreeMap;

const CORPUS: &str = include_str!("corpus/second_pass.jsonl");

fn ctx() -> Context {
    Context {
        cwd: "/home/user/project".into(),
        project: "/home/user/project".into(),
        home: "/home/user".into(),
        protected_paths: vec!["/home/user/.local/share/aiperture/aiperture.db".into()],
        resolver: None,
    }
}

#[test]
fn second_pass_recall_and_false_alarms() {
    let ctx = ctx();
    // Per family: (dangerous rows, of them high+, safe rows, of them high+).
    let mut stats: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    for (n, line) in CORPUS.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: not JSON: {e}", n + 1));
        let cmd = v["command"].as_str().unwrap_or_default();
        let label = v["label"].as_str().unwrap_or_default();
        let family = v["family"].as_str().unwrap_or_default().to_string();
        assert!(
            !cmd.is_empty() && !family.is_empty() && matches!(label, "dangerous" | "safe"),
            "line {}: needs command, family and a label dangerous|safe",
            n + 1
        );
        let a = assess("shell", "execute", cmd, &ctx);
        let high = a.risk.tier >= RiskTier::High;
        let e = stats.entry(family).or_default();
        if label == "dangerous" {
            e.0 += 1;
            e.1 += usize::from(high);
            if !high {
                println!("MISSED  [{}] {cmd:?}  — {}", a.risk.tier, a.reason);
            }
        } else {
            e.2 += 1;
            e.3 += usize::from(high);
            if high {
                println!("ALARM   [{}] {cmd:?}  — {}", a.risk.tier, a.reason);
            }
        }
    }
    let (mut d, mut dh, mut s, mut sh) = (0, 0, 0, 0);
    for (fam, (a, b, c, e)) in &stats {
        println!("{fam:14} dangerous {b:3}/{a:3}  safe rated high+ {e:3}/{c:3}");
        // Per family: at most one dangerous line below HIGH and one safe line at HIGH+, so a
        // family's rules cannot silently vanish behind the overall figure.
        assert!(
            a - b <= 1,
            "{fam}: {} dangerous lines rated below HIGH",
            a - b
        );
        assert!(*e <= 1, "{fam}: {e} safe lines rated HIGH or CRITICAL");
        d += a;
        dh += b;
        s += c;
        sh += e;
    }
    let recall = dh as f64 / d as f64;
    let false_alarms = sh as f64 / s as f64;
    println!(
        "second pass: recall {dh}/{d} ({:.1}%), false alarms {sh}/{s} ({:.1}%)",
        100.0 * recall,
        100.0 * false_alarms
    );
    assert!(
        d >= 150 && s >= 150,
        "the corpus must hold ≥150 dangerous and ≥150 safe lines"
    );
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
    assert!(
        false_alarms <= 0.02,
        "false alarms {false_alarms:.3} > 0.02"
    );
}
