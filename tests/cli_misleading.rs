//! Issue 23, "Commands that mislead": each command says what it does, and its exit status
//! cannot be mistaken for another answer.

use assert_cmd::Command;
use predicates::prelude::*;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;

struct Env {
    dir: tempfile::TempDir,
    home: PathBuf,
    aihome: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("user");
        std::fs::create_dir_all(&home).unwrap();
        Env {
            aihome: dir.path().join("aihome"),
            db: dir.path().join("data/aiperture.db"),
            home,
            dir,
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AIPERTURE_HOME", &self.aihome)
            .env("AIPERTURE_DB_PATH", &self.db)
            .current_dir(self.dir.path());
        c
    }

    fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("aiperture"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AIPERTURE_HOME", &self.aihome)
            .env("AIPERTURE_DB_PATH", &self.db)
            .current_dir(self.dir.path());
        c
    }

    /// Creates the store with a few events (one `check` call).
    fn populate(&self) {
        for scope in ["ls", "git status", "cat README.md"] {
            self.cmd()
                .args([
                    "check", "--tool", "shell", "--action", "execute", "--scope", scope,
                ])
                .output()
                .unwrap();
        }
    }
}

/// A pseudo-terminal: (master, slave).
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty writes two descriptors; the other pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here only.
    unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) }
}

#[test]
fn doctor_reads_healthy_right_after_setup_and_before_any_hook_call() {
    let e = Env::new();
    e.cmd().args(["setup", "claude-code"]).assert().success();
    let out = e.cmd().arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    assert!(
        text.contains("not created yet (created on first use)"),
        "{text}"
    );
    assert!(
        !e.db.exists() && !e.aihome.exists(),
        "doctor creates nothing"
    );
}

#[test]
fn doctor_still_fails_real_problems() {
    let e = Env::new();
    e.populate();
    // A key readable by others is a real problem.
    let key = e.aihome.join("key");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    e.cmd()
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"));
    // A corrupt store too.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    for side in ["-wal", "-shm"] {
        let mut p = e.db.clone().into_os_string();
        p.push(side);
        let _ = std::fs::remove_file(p);
    }
    std::fs::write(&e.db, b"not a database at all, not at all").unwrap();
    e.cmd()
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"));
}

#[test]
fn usage_errors_exit_64_distinct_from_allow_deny_ask() {
    let e = Env::new();
    e.cmd()
        .args(["check", "--jsn"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains("--jsn"));
    e.cmd().args(["nosuchcommand"]).assert().code(64);
    e.cmd()
        .args(["report", "--format", "pdf"])
        .assert()
        .code(64);
    // Help and version are not errors.
    e.cmd().arg("--version").assert().code(0);
    e.cmd()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes:").and(predicate::str::contains("64")));
    // The hook keeps fail-closed semantics: a usage error there is exit 2, "block".
    e.cmd()
        .args(["hook", "claude-code", "--bogus"])
        .assert()
        .code(2);
}

#[test]
fn an_unknown_runtime_blocks_with_a_reason_and_never_a_claude_answer() {
    let e = Env::new();
    for rt in ["nosuchruntime", "windsurf"] {
        let out = e
            .cmd()
            .args(["hook", rt])
            .write_stdin("{}")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rt}: {stderr}");
        assert!(stderr.contains("unknown runtime"), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn refusals_say_what_is_missing_or_accepted() {
    let e = Env::new();
    e.cmd()
        .args(["check", "--tool", "shell"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("--action")
                .and(predicate::str::contains("--scope"))
                .and(predicate::str::contains("missing"))
                .and(predicate::str::contains("is not a JSON request").not()),
        );
    e.cmd()
        .args(["grant", "--scope", "ls", "--ttl", "forever"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("15m").and(predicate::str::contains("1d")));
    e.populate();
    e.cmd()
        .args(["report", "--since", "2099-01-01"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("future"));
}

#[test]
fn the_hook_at_a_terminal_says_it_waits_and_still_fails_closed() {
    let e = Env::new();
    let (_master, slave) = pty();
    let out = e
        .std_cmd()
        .args(["hook", "claude-code"])
        .env("AIPERTURE_HOOK_STDIN_TIMEOUT_MS", "300")
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("waiting for") && stderr.contains("stdin"),
        "{stderr}"
    );
    // Fail closed: Claude Code's "ask", never an allow.
    assert!(!stdout.contains(r#""allow""#), "{stdout}");
    assert!(stdout.contains(r#""permissionDecision":"ask""#), "{stdout}");
}

#[test]
fn audit_export_into_a_closed_pipe_exits_quietly() {
    let e = Env::new();
    e.populate();
    // Enough output to outgrow the pipe after the reader leaves.
    for i in 0..40 {
        e.cmd()
            .args(["check", "--tool", "shell", "--action", "execute", "--scope"])
            .arg(format!("echo {i}"))
            .output()
            .unwrap();
    }
    let mut child = e
        .std_cmd()
        .args(["audit", "export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end at once: every write meets a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
}

#[test]
fn serve_is_listed_and_its_mcp_half_ends_with_its_input() {
    let e = Env::new();
    let out = e.cmd().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("serve ")),
        "{text}"
    );
    // MCP on stdio (docs/mcp.md): no input, no session, a clean exit and nothing on stdout.
    e.cmd()
        .args(["serve", "--mcp"])
        .write_stdin("")
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
}

#[test]
fn html_report_refuses_a_terminal_but_pipes_and_files_work() {
    let e = Env::new();
    e.populate();
    let (master, slave) = pty();
    // Drain the terminal so that a binary that writes HTML to it does not block (not joined).
    std::thread::spawn(move || {
        let mut m = std::fs::File::from(master);
        let _ = std::io::copy(&mut m, &mut std::io::sink());
    });
    let out = e
        .std_cmd()
        .args(["report", "--format", "html"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    e.cmd()
        .args(["report", "--format", "html"])
        .assert()
        .success()
        .stdout(predicate::str::contains("<html"));
    let file = e.dir.path().join("r.html");
    e.cmd()
        .args(["report", "--format", "html", "--out"])
        .arg(&file)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&file).unwrap().contains("<html"));
}

#[test]
fn exec_does_not_offer_an_always_it_cannot_keep() {
    use std::io::{Read, Write};
    let e = Env::new();
    let (master, slave) = pty();
    let marker = e.dir.path().join("ran");
    let mut child = {
        let mut c = e.std_cmd();
        c.args(["exec", "--", "touch"])
            .arg(&marker)
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::null())
            .stderr(Stdio::from(slave));
        c.spawn().unwrap()
    };
    let mut m = std::fs::File::from(master);
    m.write_all(b"n\n").unwrap();
    let status = child.wait().unwrap();
    let mut text = Vec::new();
    let _ = m.read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text).to_lowercase();
    assert_eq!(status.code(), Some(126), "{text}");
    assert!(text.contains("[y]es"), "{text}");
    assert!(!text.contains("lways"), "{text}"); // "[a]lways for this pattern"
    assert!(!marker.exists());
}
