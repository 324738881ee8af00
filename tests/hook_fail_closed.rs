//! Hostile payloads get each runtime's fail-closed answer (ask, or deny where it has no ask),
//! on exit 0, with a reason that names the problem; never exit 1, never an empty answer.

use assert_cmd::Command;
use serde_json::Value;

/// (runtime, a path to the decision in the answer, the fail-closed value, the key whose
/// absence is the "missing tool input" case, a valid-looking payload without it)
struct Rt {
    name: &'static str,
    decision: &'static [&'static str],
    fail_closed: &'static str,
    missing_input: &'static str,
}

const RUNTIMES: &[Rt] = &[
    Rt {
        name: "claude-code",
        decision: &["hookSpecificOutput", "permissionDecision"],
        fail_closed: "ask",
        missing_input: r#"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t"}"#,
    },
    Rt {
        name: "codex",
        decision: &["hookSpecificOutput", "permissionDecision"],
        fail_closed: "deny",
        missing_input: r#"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","turn_id":"t"}"#,
    },
    Rt {
        name: "gemini",
        decision: &["decision"],
        fail_closed: "ask",
        missing_input: r#"{"session_id":"s","cwd":"/p","hook_event_name":"BeforeTool","tool_name":"run_shell_command"}"#,
    },
    Rt {
        name: "cursor",
        decision: &["permission"],
        fail_closed: "deny",
        missing_input: r#"{"conversation_id":"c","hook_event_name":"preToolUse","tool_name":"Shell"}"#,
    },
    Rt {
        name: "copilot",
        decision: &["permissionDecision"],
        fail_closed: "ask",
        missing_input: r#"{"sessionId":"s","cwd":"/p","toolName":"bash"}"#,
    },
    Rt {
        name: "openclaw",
        decision: &["requireApproval", "timeoutBehavior"],
        fail_closed: "deny",
        missing_input: r#"{"hook_event_name":"before_tool_call","event":{"toolName":"exec"},"ctx":{}}"#,
    },
];

fn run(runtime: &str, payload: Vec<u8>) -> (Value, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["hook", runtime])
        .env("AIPERTURE_HOME", home.path())
        .env("AIPERTURE_DB_PATH", home.path().join("db.sqlite"))
        .write_stdin(payload)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{runtime}: exit code");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{runtime}: answer is not JSON ({e}): {stdout:?}"));
    (v, stdout)
}

fn check(rt: &Rt, payload: Vec<u8>, mentions: &str) {
    let (v, stdout) = run(rt.name, payload);
    let mut at = &v;
    for k in rt.decision {
        at = &at[*k];
    }
    assert_eq!(at.as_str(), Some(rt.fail_closed), "{}: {stdout}", rt.name);
    assert!(
        stdout.contains(mentions),
        "{}: the reason should mention {mentions:?}: {stdout}",
        rt.name
    );
}

#[test]
fn ten_megabytes_fail_closed() {
    let big = {
        let mut s = br#"{"hook_event_name":"PreToolUse","tool_input":{"command":""#.to_vec();
        s.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        s.extend(br#""}}"#);
        s
    };
    for rt in RUNTIMES {
        check(rt, big.clone(), "larger than 8 MiB");
    }
}

#[test]
fn invalid_utf8_fails_closed() {
    for rt in RUNTIMES {
        check(rt, b"{\"hook_event_name\":\"\xff\xfe\"}".to_vec(), "UTF-8");
    }
}

#[test]
fn json_array_fails_closed() {
    for rt in RUNTIMES {
        check(rt, b"[1,2,3]".to_vec(), "array");
    }
}

#[test]
fn json_null_fails_closed() {
    for rt in RUNTIMES {
        check(rt, b"null".to_vec(), "null");
    }
}

#[test]
fn missing_tool_input_fails_closed() {
    for rt in RUNTIMES {
        let key = match rt.name {
            "copilot" => "toolArgs",
            "openclaw" => "params",
            _ => "tool_input",
        };
        check(rt, rt.missing_input.as_bytes().to_vec(), key);
    }
}

#[test]
fn wrong_types_and_garbage_fail_closed() {
    let claude = &RUNTIMES[0];
    check(
        claude,
        br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":["rm"]}}"#
            .to_vec(),
        "command",
    );
    check(claude, b"not json at all".to_vec(), "not valid JSON");
    check(claude, b"".to_vec(), "not valid JSON");
}

#[test]
fn unknown_runtime_blocks_with_exit_2_and_a_reason() {
    // No runtime's answer shape is known: exit 2 (block for Claude Code, Codex, Cursor), the
    // reason on stderr, nothing on stdout (a Claude-shaped exit-0 answer read as proceed).
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["hook", "windsurf-2000"])
        .env("AIPERTURE_HOME", home.path())
        .env("AIPERTURE_DB_PATH", home.path().join("db.sqlite"))
        .write_stdin(b"{}".to_vec())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown runtime"));
}
