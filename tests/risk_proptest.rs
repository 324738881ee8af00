//! Hostile input: arbitrary strings, deep nesting, huge commands never panic, stay bounded,
//! and a command that cannot be parsed is rated at least HIGH.

use aiperture::request::RiskTier;
use aiperture::risk::{Context, assess, pattern_matches, tier_for_score};
use aiperture::shell;
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

fn check(cmd: &str) {
    let a = assess("shell", "execute", cmd, &ctx());
    assert_eq!(tier_for_score(a.risk.score), a.risk.tier);
    let p = shell::parse(cmd);
    if p.parse_error || p.limit.is_some() {
        assert!(a.risk.tier >= RiskTier::High, "{cmd:?} -> {:?}", a.risk);
    }
    for s in &a.segments {
        if let Some(pat) = &s.pattern {
            assert!(s.risk.tier < RiskTier::High);
            // A derived pattern matches its own segment (exact build-output patterns too)…
            assert!(
                pattern_matches(pat, &s.command),
                "pattern {pat:?} does not match its own segment {:?} (from {cmd:?})",
                s.command
            );
            // …and never that segment with a list, pipe, substitution or redirection added.
            for added in RIDERS {
                let longer = format!("{}{added}", s.command);
                assert!(
                    !pattern_matches(pat, &longer),
                    "pattern {pat:?} matches {longer:?} (from {cmd:?})"
                );
            }
        }
    }
}

/// What a second command can ride in on after a learned one.
const RIDERS: &[&str] = &[
    "; rm -rf ~",
    " && rm -rf ~",
    " || rm -rf ~",
    " | sh",
    " & rm -rf ~",
    "\nrm -rf ~",
    " $(rm -rf ~)",
    " `rm -rf ~`",
    " <(rm -rf ~)",
    " > ~/.bashrc",
];

#[test]
fn derived_patterns_match_their_segment_and_nothing_riding_on_it() {
    // Everyday commands that all derive a pattern: the property check() asserts is exercised
    // (a check that never ran would pass).
    let mut derived = 0;
    for cmd in [
        "git status",
        "git log --oneline -5",
        "ls -la src",
        "cargo test",
        "npm test",
        "cat README.md",
        "grep -rn foo src",
        "echo hi",
    ] {
        check(cmd);
        let a = assess("shell", "execute", cmd, &ctx());
        derived += a.segments.iter().filter(|s| s.pattern.is_some()).count();
    }
    assert!(derived >= 6, "only {derived} patterns derived");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
        check(&s);
    }

    #[test]
    fn shell_like_strings_never_panic(s in "[a-z$()`'\"|&;<>{}\\\\ \\n=*~/.-]{0,120}") {
        check(&s);
    }

    #[test]
    fn nested_substitutions_are_bounded(depth in prop_oneof![0usize..40, 500usize..3000], close in any::<bool>()) {
        let mut s = "$(".repeat(depth);
        s.push_str("rm -rf /");
        if close {
            s.push_str(&")".repeat(depth));
        }
        check(&s);
    }

    /// Programs whose arguments the front end and classifier take apart (terminals, runners,
    /// tools that run commands, wrappers) with arbitrary arguments.
    #[test]
    fn programs_with_their_own_argument_grammar_never_panic(
        prog in prop::sample::select(vec![
            "awk", "gawk", "sed", "tar", "zip", "less", "vim", "gdb", "ssh", "scp",
            "script", "faketty", "tmux", "screen", "dtach", "abduco", "systemd-run", "expect",
            "strace", "ltrace", "valgrind", "perf", "hyperfine", "xvfb-run", "firejail", "bwrap",
            "unshare", "nsenter", "setpriv", "sg", "start-stop-daemon", "entr", "parallel",
            "xargs", "find", "env", "sudo", "timeout", "bash", "PAGER=x git",
        ]),
        args in prop::collection::vec("[a-z0-9{}$;:!|'\"/=.~ -]{0,12}", 0..8),
    ) {
        let mut cmd = prog.to_string();
        for a in &args {
            cmd.push(' ');
            cmd.push_str(a);
        }
        check(&cmd);
    }

    #[test]
    fn other_tools_never_panic(tool in "\\PC{0,12}", action in "\\PC{0,12}", scope in "\\PC{0,80}") {
        let a = assess(&tool, &action, &scope, &ctx());
        prop_assert_eq!(a.segments.len(), 1);
        prop_assert_eq!(tier_for_score(a.risk.score), a.risk.tier);
    }
}

#[test]
fn ten_thousand_nested_substitutions() {
    let s = "$(".repeat(10_000) + &")".repeat(10_000);
    check(&s);
    let s = "`".repeat(10_001);
    check(&s);
    let s = "\"$(".repeat(10_000);
    check(&s);
}

#[test]
fn hundred_kilobyte_commands() {
    let big = "echo ".to_string() + &"a ".repeat(50_000);
    assert!(assess("shell", "execute", &big, &ctx()).risk.tier >= RiskTier::High);
    let under = "echo ".to_string() + &"a ".repeat(20_000);
    check(&under);
    let many = "ls; ".repeat(20_000);
    check(&many);
    let pipes = "cat x | ".repeat(5_000) + "sh";
    check(&pipes);
}

#[test]
fn unpaired_surrogates_from_json_become_replacement_chars() {
    // JSON escapes of lone surrogates cannot become a Rust String; lossy input still rates.
    let s = String::from_utf8_lossy(b"rm -rf /\xff\xfe").to_string();
    assert_eq!(
        assess("shell", "execute", &s, &ctx()).risk.tier,
        RiskTier::Critical
    );
}
