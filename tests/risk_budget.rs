//! The classifier's work budget (issue 21, class 9): nasty inputs built by repeating and
//! nesting every construct that makes the classifier re-parse or re-judge text stay inside the
//! budget, and an input that does not fit is rated HIGH "too complex" with no pattern.
//!
//! Performance is asserted through the work counter ([`aiperture::risk::Tally`]), never by a
//! wall clock: every unit of work the classifier does is charged to it before it is done.

use aiperture::request::RiskTier;
use aiperture::risk::{
    Assessment, Context, MAX_NEST, TOO_COMPLEX, Tally, WORK_BUDGET, WORK_PER_BYTE, WORK_PER_PARSE,
    WORK_PER_SEGMENT, WORK_PER_WORD, assess_tallied,
};
use aiperture::shell::quote_word;
use proptest::prelude::*;

fn ctx() -> Context {
    Context {
        cwd: "/home/u/p".into(),
        project: "/home/u/p".into(),
        home: "/home/u".into(),
        protected_paths: vec![],
        resolver: None,
    }
}

/// Rates `cmd` and checks what holds for any input: the budget bounds the work, the counter
/// adds up, and an input that ran out of budget is HIGH "too complex" and never generalized.
fn check(cmd: &str) -> (Assessment, Tally) {
    let (a, t) = assess_tallied("shell", "execute", cmd, &ctx());
    assert!(t.units <= WORK_BUDGET, "{t:?}");
    assert_eq!(
        t.units,
        t.parses * WORK_PER_PARSE
            + t.bytes * WORK_PER_BYTE
            + t.segments * WORK_PER_SEGMENT
            + t.words * WORK_PER_WORD,
        "every unit is a parse, a byte, a simple command or a word: {t:?}"
    );
    assert!(t.depth <= MAX_NEST, "{t:?}");
    if t.exhausted {
        assert!(a.risk.tier >= RiskTier::High, "{:?}", a.risk);
        assert!(
            a.risk.factors.iter().any(|f| f == TOO_COMPLEX),
            "{:?}",
            a.risk
        );
        assert!(a.segments.iter().all(|s| s.pattern.is_none()));
    }
    (a, t)
}

/// A Python string literal holding `s`.
fn py(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// An awk string literal holding `s`.
fn awk(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every construct whose text the classifier parses or judges again, wrapped around `inner`
/// (`level` keeps names apart).
const CONSTRUCTS: usize = 11;
fn wrap(construct: usize, inner: &str, level: usize) -> String {
    let q = quote_word(inner);
    match construct % CONSTRUCTS {
        0 => format!("PAGER={q} git log"),
        1 => format!("bash -c {q}"),
        2 => format!("eval {q}"),
        3 => format!("echo \"$({inner})\""),
        4 => format!("bash <<'E{level}'\n{inner}\nE{level}"),
        5 => format!(
            "python3 -c {}",
            quote_word(&format!("import os; os.system({})", py(inner)))
        ),
        6 => format!(
            "awk {}",
            quote_word(&format!("BEGIN {{ system({}) }}", awk(inner)))
        ),
        7 => format!("echo {q} > s{level}.sh; sh s{level}.sh"),
        8 => format!("find . -exec sh -c {q} \\;"),
        9 => format!("vim -c {}", quote_word(&format!("!{inner}"))),
        _ => format!("EDITOR={q} sudo -e x"),
    }
}

/// `inner` repeated `n` times as a list.
fn repeat(inner: &str, n: usize) -> String {
    vec![inner; n.max(1)].join("; ")
}

#[test]
fn the_pager_variable_repeated_is_too_complex_not_a_crash() {
    // The red team's input: 65 KB of `PAGER=` then `ls` (8.5 s, 940 MB, SIGSEGV before).
    let cmd = format!("{}ls", "PAGER=".repeat(10_900));
    let (a, t) = check(&cmd);
    assert!(t.exhausted, "{t:?}");
    assert_eq!(a.risk.tier, RiskTier::High, "{:?}", a.risk);
    assert!(a.reason.contains("too complex"), "{}", a.reason);
}

#[test]
fn every_construct_nested_deeply_stays_in_budget() {
    for c in 0..CONSTRUCTS {
        let mut cmd = "rm -rf ~".to_string();
        for level in 0..24 {
            cmd = wrap(c, &cmd, level);
            if cmd.len() > 200_000 {
                break;
            }
        }
        let (a, _) = check(&cmd);
        // Deep nesting hides nothing: the inner `rm -rf ~` or the limit makes it HIGH at least.
        assert!(a.risk.tier >= RiskTier::High, "construct {c}: {:?}", a.risk);
    }
}

#[test]
fn every_construct_repeated_to_the_line_limit_stays_in_budget() {
    for c in 0..CONSTRUCTS {
        // Two levels of nesting, then repeated at each level: fan-out times depth.
        let mut cmd = "ls".to_string();
        for level in 0..3 {
            cmd = repeat(&wrap(c, &cmd, level), 12);
        }
        check(&cmd);
        let line = repeat(
            &wrap(c, "ls -la", 0),
            60_000 / (wrap(c, "ls -la", 0).len() + 2),
        );
        check(&line);
    }
}

#[test]
fn fan_out_that_would_exceed_the_budget_is_too_complex() {
    // Inline code runs each of its string literals: sixteen per level, each the level below.
    let mut cmd = "ls".to_string();
    for level in 0..4 {
        let lits: Vec<String> = (0..16).map(|_| py(&cmd)).collect();
        let code = format!("import os; os.system({})", lits.join(", "));
        cmd = repeat(&format!("python3 -c {}", quote_word(&code)), 4);
        let _ = level;
        if cmd.len() > 60_000 {
            break;
        }
    }
    let (a, t) = check(&cmd);
    assert!(
        t.exhausted || a.risk.tier >= RiskTier::High,
        "{t:?} {:?}",
        a.risk
    );
}

#[test]
fn exhausting_the_budget_never_lowers_a_critical_rating() {
    let buster = format!("{}ls", "PAGER=".repeat(10_000));
    let (a, t) = check(&format!("rm -rf /; {buster}"));
    assert!(t.exhausted, "{t:?}");
    assert_eq!(a.risk.tier, RiskTier::Critical, "{:?}", a.risk);
    assert!(a.risk.factors.iter().any(|f| f == TOO_COMPLEX));
    let (a, _) = check(&format!("git status; {buster}"));
    assert_eq!(a.risk.tier, RiskTier::High, "{:?}", a.risk);
    assert_eq!(
        a.risk.factors.first().map(String::as_str),
        Some(TOO_COMPLEX)
    );
}

#[test]
fn everyday_commands_spend_little_and_keep_their_patterns() {
    for cmd in [
        "git status",
        "ls -la",
        "cargo test 2>&1 | tail -n 20",
        "PAGER=cat git log -5",
        "python3 -c 'print(1)'",
    ] {
        let (a, t) = check(cmd);
        assert!(!t.exhausted, "{cmd}: {t:?}");
        assert!(t.units < 8_000, "{cmd}: {t:?}");
        assert!(a.risk.tier < RiskTier::High, "{cmd}: {:?}", a.risk);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// Any stack of constructs, each possibly repeated, over a dangerous or harmless command.
    #[test]
    fn any_stack_of_nesting_and_repetition_stays_in_budget(
        base in prop::sample::select(vec!["ls", "rm -rf ~", "git status", "curl x | sh", "PAGER=PAGER=less man ls"]),
        layers in prop::collection::vec((0..CONSTRUCTS, 1usize..6), 1..10),
    ) {
        let mut cmd = base.to_string();
        for (level, (c, n)) in layers.into_iter().enumerate() {
            let next = repeat(&wrap(c, &cmd, level), n);
            if next.len() > 96 * 1024 {
                break;
            }
            cmd = next;
        }
        check(&cmd);
    }
}

/// Not a check: prints the time and work of the worst inputs above, for docs/security.md
/// (`cargo test --release --test risk_budget -- --ignored --nocapture`).
#[test]
#[ignore]
fn measure_worst_inputs() {
    let mut inputs = vec![(
        "pager x10900".to_string(),
        format!("{}ls", "PAGER=".repeat(10_900)),
    )];
    inputs.push((
        "eval x13000".to_string(),
        format!("{}ls", "eval ".repeat(13_000)),
    ));
    inputs.push((
        "bash -c x9000".to_string(),
        format!("{}ls", "bash -c ".repeat(8_000)),
    ));
    inputs.push((
        "sudo env timeout x".to_string(),
        format!("{}ls", "sudo env timeout 1 nice ".repeat(2_600)),
    ));
    inputs.push((
        "ls many paths".to_string(),
        format!("ls {}", "a/b ".repeat(16_000)),
    ));
    inputs.push((
        "echo many words".to_string(),
        format!("echo {}", "a/b ".repeat(16_000)),
    ));
    inputs.push((
        "parallel :::".to_string(),
        format!(
            "parallel {{}} ::: {}",
            "'eval eval eval eval ls' ".repeat(2_500)
        ),
    ));
    for c in 0..CONSTRUCTS {
        let mut cmd = "ls".to_string();
        for level in 0..3 {
            cmd = repeat(&wrap(c, &cmd, level), 12);
        }
        inputs.push((format!("construct {c} 12x12x12"), cmd));
        let mut cmd = "rm -rf ~".to_string();
        for level in 0..24 {
            let next = wrap(c, &cmd, level);
            if next.len() > 64 * 1024 {
                break;
            }
            cmd = next;
        }
        inputs.push((format!("construct {c} nested"), cmd));
        let one = wrap(c, "ls -la", 0);
        inputs.push((
            format!("construct {c} repeated"),
            repeat(&one, 60_000 / (one.len() + 2)),
        ));
    }
    let mut worst = std::time::Duration::ZERO;
    for (name, cmd) in &inputs {
        let t0 = std::time::Instant::now();
        let (a, t) = assess_tallied("shell", "execute", cmd, &ctx());
        let dt = t0.elapsed();
        worst = worst.max(dt);
        eprintln!(
            "{name:28} {:>6} B {:>9.2} ms {:?} units={} parses={} bytes={} segs={} depth={} exhausted={}",
            cmd.len(),
            dt.as_secs_f64() * 1e3,
            a.risk.tier,
            t.units,
            t.parses,
            t.bytes,
            t.segments,
            t.depth,
            t.exhausted
        );
    }
    for (name, script) in [
        ("script 10k echo", "echo hi\n".repeat(10_000)),
        ("script 256k ls", "ls ~/x\n".repeat(256 * 1024 / 7)),
        (
            "script 256k python",
            "python3 -c 'import os; os.system(\"ls\")'\n".repeat(6_000),
        ),
    ] {
        let text = format!("#!/bin/sh\n{script}");
        let path = "/home/u/p/s.sh";
        let mut a = aiperture::risk::assess("filesystem", "write", path, &ctx());
        let t0 = std::time::Instant::now();
        aiperture::risk::rate_written_text(&mut a, path, &text, &ctx());
        let dt = t0.elapsed();
        worst = worst.max(dt);
        eprintln!(
            "{name:28} {:>6} B {:>9.2} ms {:?} {}",
            text.len(),
            dt.as_secs_f64() * 1e3,
            a.risk.tier,
            a.reason
        );
    }
    eprintln!("worst: {:.2} ms", worst.as_secs_f64() * 1e3);
}
