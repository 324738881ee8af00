//! `aiperture-warm`, the small hook client (docs/http.md, "Warm path"): what it does on its own,
//! beyond what `tests/serve_warm.rs` checks for it and `aiperture hook` alike. A copy of it
//! alone in a directory (no `aiperture` beside it) shows which path answered: the server's
//! answer needs nothing else, while a call no server answers can only be handed over, and
//! without `aiperture` to hand it to, it fails closed in the runtime's form.

mod serve_support;

use serve_support::{Install, fixture, warm_bin};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A copy of `aiperture-warm` alone in a directory of `inst`.
fn lone_client(inst: &Install) -> PathBuf {
    let dir = inst.dir.path().join("lone");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("aiperture-warm");
    std::fs::copy(warm_bin(), &p).unwrap();
    p
}

/// Runs `program args…` in `inst` with `payload` on stdin: (stdout, stderr, exit code).
fn run(
    inst: &Install,
    program: &Path,
    args: &[&str],
    payload: &[u8],
    env: &[(&str, &str)],
) -> (String, String, i32) {
    let mut c = inst.cmd_of(program);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let (out, err, code) = serve_support::run_with_stdin(c, payload);
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
        code,
    )
}

#[test]
fn with_no_server_and_nothing_to_hand_over_to_it_fails_closed_in_the_runtime_s_form() {
    let inst = Install::new();
    let lone = lone_client(&inst);
    let payload = fixture("claude-code/input/pretooluse-bash.json");
    let (out, _, code) = run(&inst, &lone, &["hook", "claude-code"], &payload, &[]);
    assert!(
        out.contains("\"permissionDecision\":\"ask\"") && out.contains("cannot start"),
        "{out}"
    );
    assert_eq!(code, 0);
    // Codex reads a block from exit 2 with the reason on stderr: never exit 1 ("proceed").
    let payload = fixture("codex/input/pretooluse-bash.json");
    let (_, _, code) = run(&inst, &lone, &["hook", "codex"], &payload, &[]);
    assert_ne!(code, 1);
}

#[test]
fn the_server_s_answer_needs_nothing_but_the_client() {
    let inst = Install::new();
    let _srv = inst.serve(&[]);
    let lone = lone_client(&inst);
    let payload = fixture("claude-code/input/pretooluse-bash.json");
    let (out, err, code) = run(&inst, &lone, &["hook", "claude-code"], &payload, &[]);
    assert!(
        out.contains("permissionDecision") && !out.contains("cannot start"),
        "{out} / {err}"
    );
    assert_eq!(code, 0);
    // The same answer `aiperture hook` prints through the server.
    let (direct, _, _) = run(
        &inst,
        &serve_support::bin(),
        &["hook", "claude-code"],
        &payload,
        &[],
    );
    assert_eq!(out, direct);
}

#[test]
fn an_unknown_runtime_or_no_hook_call_is_refused_with_exit_2() {
    let inst = Install::new();
    let client = warm_bin();
    let (out, err, code) = run(&inst, &client, &["hook", "vscode"], b"{}", &[]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(err.contains("unknown runtime `vscode`"), "{err}");
    let (_, err, code) = run(&inst, &client, &["check", "ls"], b"", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("usage: aiperture-warm hook"), "{err}");
    let (out, _, code) = run(&inst, &client, &["--version"], b"", &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("aiperture-warm "), "{out}");
}

#[test]
fn a_payload_that_never_ends_fails_closed_within_the_stdin_deadline() {
    let inst = Install::new();
    let mut c = inst.cmd_of(&warm_bin());
    c.args(["hook", "claude-code"])
        .env("AIPERTURE_HOOK_STDIN_TIMEOUT_MS", "200");
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep stdin open without writing the rest.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"hook_event_name\":").unwrap();
    let t = Instant::now();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"ask\"") && text.contains("within 200 ms"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(t.elapsed() < Duration::from_secs(5));
}
