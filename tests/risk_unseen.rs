//! Measures the classifier on the project's own corpus of commands from families no rule
//! names (`tests/corpus/unseen_families.jsonl`, issue 20): other clouds' CLIs, hosting
//! platforms, orchestration and configuration tools, exposure and secrets in motion. Each line
//! is `{"command", "label": "dangerous"|"safe", "family"}`; a dangerous line should be rated
//! HIGH or CRITICAL, a safe look-alike below HIGH. The figures asserted are those reached when
//! the word grammar was added, with a small margin, so a regression fails here.

use aiperture::request::RiskTier;
use aiperture::risk::{Assessment, Context, assess, assess_grammar_only};
use std::collections::BTreeMap;

const CORPUS: &str = include_str!("corpus/unseen_families.jsonl");

fn ctx() -> Context {
    Context {
        cwd: "/home/user/project".into(),
        project: "/home/user/project".into(),
        home: "/home/user".into(),
        protected_paths: vec!["/home/user/.local/share/aiperture/aiperture.db".into()],
        resolver: None,
    }
}

/// Per family: (dangerous rows, of them high+, safe rows, of them high+).
type Stats = BTreeMap<String, (usize, usize, usize, usize)>;

fn measure(rate: fn(&str, &str, &str, &Context) -> Assessment, verbose: bool) -> Stats {
    let ctx = ctx();
    let mut stats = Stats::new();
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
        let a = rate("shell", "execute", cmd, &ctx);
        let high = a.risk.tier >= RiskTier::High;
        let e = stats.entry(family).or_default();
        if label == "dangerous" {
            e.0 += 1;
            e.1 += usize::from(high);
            if verbose && !high {
                println!("MISSED  [{}] {cmd}  — {}", a.risk.tier, a.reason);
            }
        } else {
            e.2 += 1;
            e.3 += usize::from(high);
            if verbose && high {
                println!("ALARM   [{}] {cmd}  — {}", a.risk.tier, a.reason);
            }
        }
    }
    stats
}

/// Overall (recall, false alarms), printing one row per family.
fn totals(what: &str, stats: &Stats) -> (f64, f64) {
    let (mut d, mut dh, mut s, mut sh) = (0, 0, 0, 0);
    for (fam, (a, b, c, e)) in stats {
        println!("{fam:14} dangerous {b:3}/{a:3}  safe rated high+ {e:3}/{c:3}");
        d += a;
        dh += b;
        s += c;
        sh += e;
    }
    let recall = dh as f64 / d as f64;
    let false_alarms = sh as f64 / s as f64;
    println!(
        "{what}: recall {dh}/{d} ({:.1}%), false alarms {sh}/{s} ({:.1}%)",
        100.0 * recall,
        100.0 * false_alarms
    );
    assert!(
        d >= 150 && s >= 300,
        "the corpus must hold ≥150 dangerous and ≥300 safe lines"
    );
    (recall, false_alarms)
}

#[test]
fn unseen_families_recall_and_false_alarms() {
    let (recall, false_alarms) = totals("unseen families", &measure(assess, true));
    assert!(
        recall >= RECALL_FLOOR,
        "recall {recall:.3} < {RECALL_FLOOR}"
    );
    assert!(
        false_alarms <= FALSE_ALARM_CEILING,
        "false alarms {false_alarms:.3} > {FALSE_ALARM_CEILING}"
    );
}

/// Leave-one-family-out: every family's rules switched off, only the generic rules and the
/// grammar judge (each line's family is then judged by rules that never heard of it).
#[test]
fn grammar_alone_on_unseen_families() {
    let (recall, false_alarms) = totals("grammar alone", &measure(assess_grammar_only, false));
    assert!(
        recall >= GRAMMAR_RECALL_FLOOR,
        "recall {recall:.3} < {GRAMMAR_RECALL_FLOOR}"
    );
    assert!(
        false_alarms <= GRAMMAR_FALSE_ALARM_CEILING,
        "false alarms {false_alarms:.3} > {GRAMMAR_FALSE_ALARM_CEILING}"
    );
}

/// Reached with the grammar (217/224, 96.9 %), less a margin; before it, 105/224 (46.9 %).
const RECALL_FLOOR: f64 = 0.93;
/// Reached with the grammar (8/561, 1.4 %), plus a margin; before it, 25/561 (4.5 %).
const FALSE_ALARM_CEILING: f64 = 0.025;
/// Reached by the grammar alone (214/224, 95.5 %), less a margin.
const GRAMMAR_RECALL_FLOOR: f64 = 0.92;
/// Reached by the grammar alone (0/561), plus a margin.
const GRAMMAR_FALSE_ALARM_CEILING: f64 = 0.01;
