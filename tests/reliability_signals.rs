//! A hook that dies of a fatal signal must still answer "not allowed": a runtime reads a
//! process killed by SIGSEGV as a failed hook and lets the tool run (Claude Code proceeds on
//! any exit status but 2). The crash guard (src/cli/crash_guard.rs) prints the runtime's
//! fail-closed answer instead.
//!
//! The signal is sent from outside while the hook waits for its payload on stdin, once
//! /proc shows the guard's handlers installed, so no sleep decides the outcome.

#[path = "reliability_support/mod.rs"]
mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

/// Whether `pid` catches `sig` (the SigCgt mask of /proc/PID/status).
fn catches(pid: u32, sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (sig - 1)) != 0)
}

fn killed_while_waiting(runtime: &str, sig: i32) -> HookOut {
    let i = Install::new();
    let mut c = i.cmd();
    c.args(["hook", runtime]);
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    // SIGABRT is caught only by the guard (Rust's own handlers cover SIGSEGV and SIGBUS).
    while !catches(pid, libc::SIGABRT) {
        assert!(
            start.elapsed() < WATCHDOG,
            "{runtime}: the guard was never armed"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
    let status = child.wait().unwrap();
    drop(child.stdin.take());
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    HookOut {
        code: status.code(),
        stdout,
        stderr,
        elapsed: start.elapsed(),
        peak_rss_kb: None,
    }
}

#[test]
fn a_fatal_signal_becomes_the_runtimes_fail_closed_answer() {
    let signals = [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGABRT,
    ];
    for (n, rt) in RUNTIMES.iter().enumerate() {
        let sig = signals[n % signals.len()];
        let out = killed_while_waiting(rt, sig);
        assert_refused(rt, &format!("signal {sig}"), &out, &["crashed"]);
    }
    // Every signal on the runtime that proceeds on a crash.
    for sig in signals {
        let out = killed_while_waiting("claude-code", sig);
        assert_refused("claude-code", &format!("signal {sig}"), &out, &["crashed"]);
    }
}

#[test]
fn characters_that_crashed_the_shell_parser_are_answered() {
    // tree-sitter-bash's scanner crashed on `{` followed by a code point above 255.
    for rt in RUNTIMES {
        let i = Install::new();
        for cmd in ["echo {\u{10FFFF}", "ls {\u{FFFF}..1}", "rm -rf {\u{10FFFF}"] {
            let out = i.hook(rt, &shell_payload(rt, cmd, "sess-sig", "toolu_sig"));
            let s = said(rt, &out);
            assert_ne!(s, Said::Broken, "{rt} {cmd:?}: {out:?}");
            if cmd.starts_with("rm") {
                assert_refused(rt, cmd, &out, &[]);
            }
        }
    }
}

#[test]
fn closed_standard_descriptors_are_reopened_on_dev_null() {
    // `main` is the C entry point (src/cli/process.rs), so std's start-up no longer makes
    // descriptors 0-2 valid; aiperture does it itself, or the next file it opens would become
    // stdout and receive the answer.
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let i = Install::new();
    let mut c = i.cmd();
    c.args(["hook", "claude-code"]);
    // SAFETY: only the async-signal-safe `close` between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::close(1);
            libc::close(2);
            Ok(())
        });
    }
    let mut child = c.stdin(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let start = Instant::now();
    while !catches(pid, libc::SIGABRT) {
        assert!(
            start.elapsed() < WATCHDOG,
            "the hook never got to reading stdin"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    for fd in [1, 2] {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/null"), "descriptor {fd}");
    }
    let mut sin = child.stdin.take().unwrap();
    sin.write_all(&claude_bash("ls", "sess-fd", "toolu_fd"))
        .unwrap();
    drop(sin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The call was recorded and the store is intact.
    let v = i.verify();
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["events"], 1, "{v}");
}
