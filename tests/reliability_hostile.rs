//! Hostile input: huge payloads, deep nesting, broken encodings, every JSON type in every field,
//! huge and deeply nested commands, fork bombs, terminal escapes and homoglyphs. Each must get
//! a valid answer (the fail-closed one, or a correct classification), never an allow of what
//! was not granted, under a 1 GiB address-space limit (bounded memory) and a 20 s watchdog
//! (a hang fails; the time itself is only reported, see docs/security.md).

#[path = "reliability_support/mod.rs"]
mod support;

use aiperture::client_env::ClientEnv;
use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::runtimes::{
    Output, claude_code::ClaudeCode, codex::Codex, copilot::Copilot, cursor::Cursor, dispatch,
    gemini::Gemini, openclaw::OpenClaw,
};
use serde_json::{Value, json};
use support::*;

/// Address-space limit for hostile-input hook processes (KiB).
const VMEM_KB: u64 = 1024 * 1024;

/// Runs a hook under `ulimit -v` so unbounded memory use fails the process (and the test).
fn hook_bounded(i: &Install, runtime: &str, payload: &[u8]) -> HookOut {
    let b = bin();
    let mut sh = i.cmd_for(std::path::Path::new("sh"));
    sh.args([
        "-c",
        &format!("ulimit -v {VMEM_KB} && exec \"$0\" hook \"$1\""),
        &b.display().to_string(),
        runtime,
    ]);
    let out = run_with_watchdog(sh, payload, WATCHDOG);
    eprintln!(
        "{runtime}: {} bytes answered in {:?}, peak RSS {:?} KiB",
        payload.len(),
        out.elapsed,
        out.peak_rss_kb
    );
    out
}

/// Asserts an answer the runtime reads as valid, and that it is not an allow.
fn not_allowed(runtime: &str, case: &str, out: &HookOut) {
    let s = said(runtime, out);
    // OpenClaw's allow is `{}` (no decision); Codex's is empty too, but so is its ask, so
    // Codex callers also check the store.
    let proceeds = s == Said::Allow || (runtime == "openclaw" && s == Said::Nothing);
    assert!(
        !proceeds && s != Said::Broken,
        "{runtime} / {case}: {s:?} exit {:?} stdout={} stderr={}",
        out.code,
        &out.stdout[..out.stdout.len().min(500)],
        &out.stderr[..out.stderr.len().min(500)]
    );
    assert!(
        !out.stderr.contains("internal error"),
        "{runtime} / {case}: panicked: {}",
        out.stderr
    );
    // Codex prints nothing for an ask: the store must say it asked or denied.
    no_control_chars(runtime, case, out);
}

/// Nothing a human reads may carry raw terminal control or direction-changing characters.
fn no_control_chars(runtime: &str, case: &str, out: &HookOut) {
    if let Ok(v) = serde_json::from_str::<Value>(out.stdout.trim()) {
        let text = v.to_string();
        let decoded: Vec<String> = strings(&v);
        for s in decoded {
            assert!(
                !s.chars().any(|c| c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
                "{runtime} / {case}: raw control characters reach the reader: {text:.300}"
            );
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

fn big_command_payload(runtime: &str, bytes: usize) -> Vec<u8> {
    let cmd = "a".repeat(bytes);
    shell_payload(runtime, &cmd, "s-big", "toolu_big")
}

#[test]
fn ten_and_hundred_megabyte_payloads_fail_closed_without_reading_them_all() {
    let i = Install::new();
    for size in [10 * 1024 * 1024, 100 * 1024 * 1024] {
        for rt in ["claude-code", "codex"] {
            let out = hook_bounded(&i, rt, &big_command_payload(rt, size));
            assert_refused(rt, &format!("{size} bytes"), &out, &["larger than"]);
        }
    }
}

#[test]
fn deeply_nested_json_fails_closed() {
    let i = Install::new();
    for depth in [200usize, 100_000, 1_000_000] {
        let mut p = br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","session_id":"s","tool_input":{"command":"ls","x":"#.to_vec();
        p.extend(std::iter::repeat_n(b'[', depth));
        p.extend(std::iter::repeat_n(b']', depth));
        p.extend(b"}}");
        for rt in RUNTIMES {
            let out = hook_bounded(&i, rt, &p);
            assert_refused(rt, &format!("nesting {depth}"), &out, &[]);
        }
    }
}

#[test]
fn invalid_utf8_and_nul_bytes_fail_closed() {
    let i = Install::new();
    i.grant("npm test");
    for rt in RUNTIMES {
        let good = shell_payload(rt, "npm test", "s-enc", "toolu_enc");
        // A raw invalid byte and a raw NUL inside the command string.
        for bad in [&b"\xff\xfe"[..], b"\0", b"\xc0\x80", b"\xed\xa0\x80"] {
            let text = String::from_utf8(good.clone()).unwrap();
            let at = text.find("npm test").unwrap() + "npm test".len();
            let mut p = good[..at].to_vec();
            p.extend_from_slice(bad);
            p.extend_from_slice(&good[at..]);
            let out = hook_bounded(&i, rt, &p);
            assert_refused(rt, &format!("bytes {bad:?}"), &out, &[]);
        }
    }
}

#[test]
fn escaped_nul_newline_ansi_and_homoglyph_variants_of_a_granted_command_are_not_allowed() {
    let i = Install::new();
    i.grant("npm test");
    let variants = [
        "npm test\u{0}; rm -rf ~",
        "npm test\u{0}",
        "npm test\nrm -rf ~",
        "npm test\rrm -rf ~",
        "npm test $(rm -rf ~)",
        "npm test `rm -rf ~`",
        "npm test\u{1b}[2K\rrm -rf ~",
        "\u{1b}]0;npm test\u{7}rm -rf ~",
        "npm t\u{435}st",           // Cyrillic е
        "npm\u{a0}test",            // no-break space
        "npm test\u{202e}~ fr- mr", // right-to-left override
        "npm test\u{200b}",         // zero-width space
        "ｎｐｍ ｔｅｓｔ",          // full-width
    ];
    for rt in RUNTIMES {
        for (n, v) in variants.iter().enumerate() {
            let out = hook_bounded(&i, rt, &shell_payload(rt, v, "s-var", &format!("t{n}")));
            not_allowed(rt, &format!("{v:?}"), &out);
        }
    }
    // Codex prints nothing for an ask: the store must show none of them was allowed.
    let c = i.sql();
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM checks WHERE decision = 'allow' AND scope <> 'npm test'"
        ),
        0
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM checks WHERE scope <> 'npm test'"),
        (RUNTIMES.len() * variants.len()) as i64
    );
}

#[test]
fn one_megabyte_commands_are_answered() {
    let i = Install::new();
    let words = "ls -la ".repeat(1024 * 1024 / 7);
    let chained = "true; ".repeat(1024 * 1024 / 6);
    let quoted = format!("echo '{}'", "x".repeat(1024 * 1024));
    for (name, cmd) in [("words", words), ("chained", chained), ("quoted", quoted)] {
        // The command, not the runtime, is the load: three payload dialects suffice.
        for rt in ["claude-code", "copilot", "openclaw"] {
            let out = hook_bounded(&i, rt, &shell_payload(rt, &cmd, "s-mb", "toolu_mb"));
            not_allowed(rt, &format!("1 MB {name}"), &out);
        }
    }
}

#[test]
fn command_substitution_nested_ten_thousand_deep_is_answered() {
    let i = Install::new();
    let n = 10_000;
    let balanced = format!("echo {}x{}", "$(".repeat(n), ")".repeat(n));
    let unbalanced = format!("echo {}x", "$(".repeat(n));
    let backticks = format!("echo {}", "`echo ".repeat(n));
    let subshells = format!("{}ls{}", "(".repeat(n), ")".repeat(n));
    let braces = format!("{}ls;{}", "{ ".repeat(n), "}; ".repeat(n));
    for (name, cmd) in [
        ("$( balanced", balanced),
        ("$( unbalanced", unbalanced),
        ("backticks", backticks),
        ("subshells", subshells),
        ("braces", braces),
    ] {
        for rt in ["claude-code", "codex", "openclaw"] {
            let out = hook_bounded(&i, rt, &shell_payload(rt, &cmd, "s-deep", "toolu_deep"));
            not_allowed(rt, name, &out);
        }
    }
}

#[test]
fn fork_bombs_are_never_allowed_not_even_granted() {
    let i = Install::new();
    // A grant for its exact text is refused (CRITICAL) or, if it were stored, must not apply.
    let granted = i
        .cmd()
        .admin(
            &i.home,
            &["grant", "--scope", ":(){ :|:& };:", "--project", PROJECT],
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!granted.status.success(), "a fork bomb was granted");
    for cmd in [
        ":(){ :|:& };:",
        "bomb(){ bomb|bomb& };bomb",
        "perl -e 'fork while fork'",
    ] {
        for rt in RUNTIMES {
            let out = hook_bounded(&i, rt, &shell_payload(rt, cmd, "s-bomb", "toolu_bomb"));
            not_allowed(rt, cmd, &out);
        }
    }
    let c = i.sql();
    assert_eq!(
        count(&c, "SELECT count(*) FROM checks WHERE decision = 'allow'"),
        0,
        "a fork bomb was allowed"
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM checks WHERE decision = 'deny'"),
        count(
            &c,
            "SELECT count(*) FROM checks WHERE scope LIKE '%(){%' OR scope LIKE '%fork while%'"
        ),
        "a fork bomb (a function, or inline code forking in a loop) is CRITICAL: denied"
    );
}

/// Every JSON type in every field of every runtime's fixture, decided in-process by the real
/// adapter and engine on a temporary store: a valid answer each time, never a panic.
#[test]
fn every_json_type_in_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::at(&dir.path().join("home"), &dir.path().join("a.db"));
    let open = || {
        Gate::open_with(
            paths.clone(),
            Settings::default(),
            std::sync::Arc::new(ManualClock::new(T0)),
        )
    };
    let values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(""),
        json!("npm test"),
        json!("\u{0}\u{1b}[2K"),
        json!([]),
        json!({}),
        json!([1, "a", null]),
        json!({"command": {"command": ["x"]}}),
    ];
    let mut cases = 0;
    for rt in RUNTIMES {
        let (file, _) = fixture_of(rt);
        let base: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join(file)).unwrap()).unwrap();
        for path in field_paths(&base) {
            for v in &values {
                let mut p = base.clone();
                *p.pointer_mut(&path).unwrap() = v.clone();
                let bytes = p.to_string().into_bytes();
                let out = answer_in_process(rt, &bytes, open);
                assert!(
                    matches!(out.exit_code, 0 | 2),
                    "{rt} {path} = {v}: exit {}",
                    out.exit_code
                );
                assert!(
                    out.stdout.is_empty() || serde_json::from_str::<Value>(&out.stdout).is_ok(),
                    "{rt} {path} = {v}: not JSON: {}",
                    out.stdout
                );
                cases += 1;
            }
        }
    }
    eprintln!("{cases} field/type cases answered");
    assert!(cases > 500, "{cases}");
}

fn answer_in_process(
    rt: &str,
    payload: &[u8],
    open: impl FnOnce() -> anyhow::Result<aiperture::store::LocalGate>,
) -> Output {
    match rt {
        "claude-code" => dispatch::handle(&ClaudeCode, payload, &ClientEnv::empty(), open),
        "codex" => dispatch::handle(&Codex, payload, &ClientEnv::empty(), open),
        "gemini" => dispatch::handle(&Gemini, payload, &ClientEnv::empty(), open),
        "cursor" => dispatch::handle(&Cursor, payload, &ClientEnv::empty(), open),
        "copilot" => dispatch::handle(&Copilot::default(), payload, &ClientEnv::empty(), open),
        "openclaw" => dispatch::handle(&OpenClaw, payload, &ClientEnv::empty(), open),
        _ => unreachable!(),
    }
}

/// JSON pointers to every value in a document (the root excluded).
fn field_paths(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(p.clone());
                    walk(x, p, out);
                }
            }
            Value::Array(a) => {
                for (n, x) in a.iter().enumerate() {
                    let p = format!("{at}/{n}");
                    out.push(p.clone());
                    walk(x, p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

/// Every runtime's other fixtures (file tools, MCP, web) through the binary with hostile
/// strings spliced into each string field: valid answers, nothing allowed.
#[test]
fn hostile_strings_in_every_string_field_through_the_binary() {
    let i = Install::new();
    let hostile = [
        "$(rm -rf ~)",
        "../../../../etc/shadow",
        "\u{1b}[2K\u{202e}",
        "%00%0a",
        "\\\\?\\C:\\Windows",
    ];
    let mut n = 0;
    for rt in RUNTIMES {
        let (file, _) = fixture_of(rt);
        let base: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join(file)).unwrap()).unwrap();
        for path in field_paths(&base) {
            if !base.pointer(&path).unwrap().is_string() {
                continue;
            }
            let mut p = base.clone();
            *p.pointer_mut(&path).unwrap() = json!(hostile[n % hostile.len()]);
            n += 1;
            let out = i.hook(rt, p.to_string().as_bytes());
            if path.ends_with("hook_event_name") {
                // The runtime, not the agent, names the event; an unknown one is no tool
                // call and gets no opinion. It must still be a valid answer.
                assert_ne!(said(rt, &out), Said::Broken, "{rt} {path}: {}", out.stdout);
            } else {
                not_allowed(rt, &path, &out);
            }
            no_control_chars(rt, &path, &out);
        }
    }
    assert!(n > 30, "{n}");
}
