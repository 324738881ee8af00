//! Issue 21, class 10: the hook process answers fail-closed when it cannot start properly or
//! its payload never comes, and never exits 1 (Claude Code, Codex and Cursor read 1 as
//! "proceed"). Run against the binary.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The hook command for `runtime`, with its state in `dir`.
fn hook(runtime: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("aiperture"));
    c.args(["hook", runtime])
        .env("AIPERTURE_HOME", dir.join("home"))
        .env("AIPERTURE_DB_PATH", dir.join("aiperture.db"))
        .env_remove("AIPERTURE_HOOK_STDIN_TIMEOUT_MS");
    c
}

/// Waits for `child` at most `limit`: a hook that does not answer in time is killed and the
/// test fails (rather than hanging).
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the hook did not answer within {limit:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for the hook: {e}"),
        }
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut stdout).expect("read stdout");
    }
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut stderr).expect("read stderr");
    }
    let status = child.wait().expect("status");
    Output {
        status,
        stdout,
        stderr,
    }
}

#[test]
fn stdin_held_open_without_a_payload_fails_closed_at_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (runtime, expect) in [
        ("claude-code", r#""permissionDecision":"ask""#),
        ("cursor", r#""permission":"deny""#),
        ("codex", r#""permissionDecision":"deny""#),
    ] {
        let mut child = hook(runtime, dir.path())
            .env("AIPERTURE_HOOK_STDIN_TIMEOUT_MS", "300")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Kept open, never written to, until the hook has answered.
        let stdin = child.stdin.take();
        let out = wait_bounded(child, Duration::from_secs(20));
        drop(stdin);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{runtime}: {stdout} {stderr}");
        assert!(stdout.contains(expect), "{runtime}: {stdout}");
        assert!(
            stdout.contains("did not arrive on stdin within 300 ms"),
            "{runtime}: {stdout}"
        );
    }
}

#[test]
fn a_payload_sent_in_time_is_still_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = hook("claude-code", dir.path());
    cmd.env("AIPERTURE_HOOK_STDIN_TIMEOUT_MS", "5000");
    let out = assert_cmd::Command::from_std(cmd)
    .write_stdin(
        r#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf ~"},"cwd":"/tmp","tool_use_id":"t"}"#,
    )
    .output()
    .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains(r#""permissionDecision":"deny""#),
        "{stdout}"
    );
}

/// Starts the hook with descriptors `closed` closed and the open-files limit at `nofile`, so
/// that the closed ones cannot be reopened (the dynamic loader still gets descriptor 0 to load
/// the C library, which it closes again).
fn with_closed_fds(
    runtime: &str,
    dir: &std::path::Path,
    closed: &'static [i32],
    nofile: u64,
) -> Output {
    let mut cmd = hook(runtime, dir);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure only calls close and setrlimit, both async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            for fd in closed {
                libc::close(*fd);
            }
            let lim = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn");
    wait_bounded(child, Duration::from_secs(20))
}

#[test]
fn stderr_that_cannot_be_reopened_gets_the_fail_closed_answer_not_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 0 is reopened on /dev/null; 2 would need descriptor 2, over the limit of 2.
    let out = with_closed_fds("claude-code", dir.path(), &[0, 2], 2);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(r#""permissionDecision":"ask""#), "{stdout}");
    assert!(stdout.contains("stderr closed"), "{stdout}");
}

#[test]
fn stdout_that_cannot_be_reopened_exits_with_the_blocking_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No answer can be printed: exit 2, which Claude Code, Codex and Cursor read as a block.
    for runtime in ["claude-code", "codex", "cursor", "nonsense"] {
        let out = with_closed_fds(runtime, dir.path(), &[0, 1], 1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{runtime}: {stderr}");
        assert!(stderr.contains("stdout"), "{runtime}: {stderr}");
    }
}

#[test]
fn other_commands_still_refuse_to_run_without_standard_descriptors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aiperture"));
    cmd.args(["explain", "ls"])
        .env("AIPERTURE_HOME", dir.path().join("home"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only close and setrlimit, both async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(0);
            libc::close(1);
            let lim = libc::rlimit {
                rlim_cur: 1,
                rlim_max: 1,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let out = wait_bounded(cmd.spawn().expect("spawn"), Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdout"));
}
