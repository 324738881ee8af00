//! The foundation's commands against the built binary, in a temporary home and store.

mod admin_support;

use admin_support::AdminCmd;
use aiperture::audit::{ActorType, NewEvent};
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::Db;
use aiperture::store::audit_sql;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

struct Env {
    dir: tempfile::TempDir,
    home: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let db = dir.path().join("data/aiperture.db");
        Env { dir, home, db }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", &self.db)
            .current_dir(self.dir.path());
        c
    }

    fn paths(&self) -> Paths {
        Paths::at(&self.home, &self.db)
    }

    /// Appends `n` events straight through the audit API (checks and config changes, kinds
    /// that need no engine rows, so the learned-state cross-check stays consistent).
    fn populate(&self, n: i64) {
        let k = key::load_or_create(&self.paths().key).unwrap();
        let db = Db::open(&self.db).unwrap();
        for i in 0..n {
            let mut ev = NewEvent::new(
                if i % 2 == 0 {
                    "permission.check"
                } else {
                    "config.changed"
                },
                ActorType::Hook,
            );
            ev.session_id = format!("s{}", i % 3);
            ev.summary = format!("event {i}");
            ev.details = serde_json::json!({ "i": i });
            db.write(|tx| audit_sql::append(tx, &k, &ev, 1_780_000_000_000 + i * 1000))
                .unwrap();
        }
    }
}

/// Asserts a failure is one line on stderr containing every `needle`, exit 1, no panic.
fn one_line_error(out: &std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in: {err}");
    }
}

#[test]
fn help_lists_every_subcommand_of_the_design() {
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "hook",
        "check",
        "explain",
        "exec",
        "approve",
        "deny",
        "patterns",
        "revoke",
        "grant",
        "bootstrap",
        "audit",
        "report",
        "setup",
        "config",
        "doctor",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "{sub} missing from --help:\n{text}"
        );
    }
    for (cmd, subs) in [
        ("audit", &["verify", "list", "export"][..]),
        ("config", &["show", "get", "set", "unset", "path"][..]),
    ] {
        let out = Command::cargo_bin("aiperture")
            .unwrap()
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for s in subs {
            assert!(text.contains(s), "{cmd} {s}");
        }
    }
}

#[test]
fn config_path_show_set() {
    let e = Env::new();
    e.cmd()
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(format!("{}\n", e.home.join("config.toml").display()));
    e.cmd()
        .admin(&e.home, &["config", "set", "rate_limit_per_minute", "30"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rate_limit_per_minute = 30 (was 200)",
        ));
    e.cmd()
        .admin(
            &e.home,
            &["config", "set", "permission_learning_enabled", "false"],
        )
        .assert()
        .success();
    let out = e
        .cmd()
        .args(["config", "show", "--json"])
        .env("AIPERTURE_SESSION_RISK_BUDGET", "7")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["settings"];
    assert_eq!(s["rate_limit_per_minute"]["value"], 30);
    assert_eq!(s["rate_limit_per_minute"]["source"], "file");
    assert_eq!(s["permission_learning_enabled"]["value"], false);
    assert_eq!(s["session_risk_budget"]["value"], 7.0);
    assert_eq!(s["session_risk_budget"]["source"], "env");
    assert_eq!(s["auto_approve_threshold"]["source"], "default");
    assert_eq!(
        s["rate_limit_per_minute"]["env"],
        "AIPERTURE_RATE_LIMIT_PER_MINUTE"
    );
    e.cmd().args(["config", "show"]).assert().success().stdout(
        predicate::str::contains("rate_limit_per_minute").and(predicate::str::contains("(file)")),
    );
    // Both changes were audited.
    let out = e
        .cmd()
        .args(["audit", "list", "--json", "--type", "config.changed"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("\"old\":\"200\""), "{text}");
}

#[test]
fn config_set_refusals_are_one_line_exit_1_or_64_for_an_unknown_name() {
    let e = Env::new();
    for (k, v, needle) in [
        ("api_port", "http", "integer"),
        ("auto_deny_threshold", "0.99", "thresholds"),
        ("auto_approve_threshold", "2", "between 0"),
        ("permission_learning_enabled", "maybe", "boolean"),
        ("default_decision", "allow", "ask, deny"),
    ] {
        let out = e
            .cmd()
            .admin(&e.home, &["config", "set", k, v])
            .output()
            .unwrap();
        one_line_error(&out, &[needle]);
    }
    // A name that is not a setting is a usage error (exit 64), still one line, with the
    // did-you-mean or the reason it was removed.
    for (k, needle) in [
        (
            "rate_limit_per_minit",
            "did you mean `rate_limit_per_minute`",
        ),
        ("hook_auto_allowed_tools", "never skips"),
    ] {
        let out = e
            .cmd()
            .admin(&e.home, &["config", "set", k, "3"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "stderr: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
        assert!(err.contains(needle), "missing {needle:?} in: {err}");
    }
    assert!(!e.home.join("config.toml").exists());
}

#[test]
fn project_directory_files_never_change_settings() {
    let e = Env::new();
    let proj = e.dir.path().join("project");
    std::fs::create_dir_all(proj.join(".aiperture")).unwrap();
    for f in [
        ".aiperture.env",
        "config.toml",
        ".aiperture/config.toml",
        "aiperture.toml",
    ] {
        std::fs::write(
            proj.join(f),
            "AIPERTURE_RATE_LIMIT_PER_MINUTE=0\nrate_limit_per_minute = 0\n",
        )
        .unwrap();
    }
    let out = e
        .cmd()
        .current_dir(&proj)
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settings"]["rate_limit_per_minute"]["value"], 200);
}

#[test]
fn audit_verify_list_export_on_a_populated_store() {
    let e = Env::new();
    e.populate(6);
    e.cmd()
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact: 6 events"));
    let out = e
        .cmd()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["mac_checked"], true);

    let out = e
        .cmd()
        .args(["audit", "list", "--json", "--limit", "2"])
        .output()
        .unwrap();
    let seqs: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [6, 5]);
    let out = e
        .cmd()
        .args([
            "audit",
            "list",
            "--json",
            "--session",
            "s1",
            "--type",
            "config.changed",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    // A future date is refused (an empty list would read as "nothing happened").
    e.cmd()
        .args(["audit", "list", "--since", "2099-01-01"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("future"));
    e.cmd()
        .args(["audit", "list", "--since", "soon"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--since"));

    let f = e.dir.path().join("export.jsonl");
    e.cmd()
        .args(["audit", "export", "--out"])
        .arg(&f)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&f).unwrap().lines().count(), 7);
    e.cmd()
        .args(["audit", "verify", "--file"])
        .arg(&f)
        .assert()
        .success();
    let out = e.cmd().args(["audit", "export"]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 7);

    // Tamper with the file, then with the store.
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("event 4", "event 9");
    std::fs::write(&f, text).unwrap();
    e.cmd()
        .args(["audit", "verify", "--file"])
        .arg(&f)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("seq 5"));
    let c = rusqlite::Connection::open(&e.db).unwrap();
    c.execute("DELETE FROM audit_events WHERE seq = 6", [])
        .unwrap();
    drop(c);
    e.cmd()
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BROKEN at seq 6"));
}

#[test]
fn doctor_reports_paths_schema_chain_and_hooks() {
    let e = Env::new();
    // Fresh: nothing exists, doctor creates nothing and says so, and that is healthy.
    e.cmd()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("not created yet"));
    assert!(!e.db.exists() && !e.home.exists());
    e.populate(2);
    let out = e.cmd().args(["doctor", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["healthy"], true);
    assert_eq!(v["paths"]["db"], e.db.to_str().unwrap());
    let checks = v["checks"].as_array().unwrap();
    let detail = |n: &str| {
        checks
            .iter()
            .find(|c| c["name"] == n)
            .map(|c| c["detail"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(
        detail("schema").starts_with(&format!("version {}", aiperture::store::current_version()))
    );
    assert!(detail("audit chain").contains("intact, 2 events"));
    assert_eq!(v["runtimes"].as_array().unwrap().len(), 6);
}

#[test]
fn corrupt_store_is_a_one_line_error() {
    let e = Env::new();
    std::fs::create_dir_all(e.db.parent().unwrap()).unwrap();
    std::fs::write(&e.db, vec![b'x'; 8192]).unwrap();
    for args in [
        &["audit", "verify"][..],
        &["audit", "list"][..],
        &["audit", "export"][..],
    ] {
        let out = e.cmd().args(args).output().unwrap();
        one_line_error(&out, &["aiperture.db", "not a database"]);
    }
    assert_eq!(
        std::fs::read(&e.db).unwrap(),
        vec![b'x'; 8192],
        "file was modified"
    );
}

#[test]
fn missing_store_is_a_one_line_error_and_not_created() {
    let e = Env::new();
    let out = e.cmd().args(["audit", "verify"]).output().unwrap();
    one_line_error(&out, &["aiperture.db", "does not exist"]);
    assert!(!e.db.exists());
}

#[test]
fn malformed_config_names_file_and_line() {
    let e = Env::new();
    std::fs::create_dir_all(&e.home).unwrap();
    std::fs::write(
        e.home.join("config.toml"),
        "rate_limit_per_minute = 3\nbad = [\n",
    )
    .unwrap();
    let out = e.cmd().args(["config", "show"]).output().unwrap();
    one_line_error(&out, &["config.toml", "line 2"]);
    std::fs::write(e.home.join("config.toml"), "rate_limit_per_minute = -3\n").unwrap();
    let out = e
        .cmd()
        .admin(&e.home, &["config", "set", "api_port", "9000"])
        .output()
        .unwrap();
    one_line_error(&out, &["config.toml", "rate_limit_per_minute"]);
}

#[test]
fn unwritable_home_and_store_directory_are_one_line_errors() {
    let e = Env::new();
    // A regular file where the home directory should be: nothing can be created in it.
    std::fs::write(e.dir.path().join("blocker"), "x").unwrap();
    let out = e
        .cmd()
        .env("AIPERTURE_HOME", e.dir.path().join("blocker/home"))
        .admin(&e.home, &["config", "set", "api_port", "9000"])
        .output()
        .unwrap();
    one_line_error(&out, &["blocker/home", "not a directory"]);
    // Same for the store's directory (config set still saves, then warns it could not audit).
    let out = e
        .cmd()
        .env("AIPERTURE_DB_PATH", e.dir.path().join("blocker/data/a.db"))
        .admin(&e.home, &["config", "set", "api_port", "9000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not audited") && err.contains("blocker/data"),
        "{err}"
    );
}

#[test]
fn relative_paths_are_refused() {
    let e = Env::new();
    let out = e
        .cmd()
        .env("AIPERTURE_DB_PATH", "rel.db")
        .args(["config", "path"])
        .output()
        .unwrap();
    one_line_error(&out, &["AIPERTURE_DB_PATH", "absolute"]);
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Makes a file immutable (`chattr +i`) until dropped; root ignores permission bits.
struct Immutable(PathBuf);

impl Immutable {
    fn new(p: &Path) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(p)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Immutable(p.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn read_only_store_is_a_one_line_error() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.populate(1);
    let before = std::fs::read(&e.db).unwrap();
    let _guard = if running_as_root() {
        match Immutable::new(&e.db) {
            Some(g) => Some(g),
            None => {
                eprintln!("skipped: running as root and chattr is unavailable");
                return;
            }
        }
    } else {
        std::fs::set_permissions(&e.db, std::fs::Permissions::from_mode(0o400)).unwrap();
        None
    };
    for args in [
        &["audit", "verify"][..],
        &["config", "set", "api_port", "9002"][..],
    ] {
        let out = e.cmd().admin(&e.home, args).output().unwrap();
        if args[0] == "audit" {
            one_line_error(&out, &["aiperture.db", "read-only"]);
        } else {
            // The setting is saved; the audit event cannot be, and the user is told.
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("not audited") && err.contains("read-only"),
                "{err}"
            );
        }
    }
    assert_eq!(std::fs::read(&e.db).unwrap(), before);
}

#[test]
fn store_and_key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    e.cmd()
        .admin(&e.home, &["config", "set", "api_port", "9001"])
        .assert()
        .success();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&e.db), 0o600);
    assert_eq!(mode(e.db.parent().unwrap()), 0o700);
    assert_eq!(mode(&e.home.join("key")), 0o600);
    assert_eq!(mode(&e.home.join("config.toml")), 0o600);
    assert_eq!(mode(&e.home), 0o700);
}

#[test]
fn reseal_after_the_key_is_replaced() {
    let e = Env::new();
    e.populate(3);
    std::fs::write(e.home.join("key"), "ab".repeat(32)).unwrap();
    e.cmd()
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("signature is invalid"));
    let out = e.cmd().args(["audit", "reseal"]).output().unwrap();
    one_line_error(&out, &["--confirm"]);
    e.cmd()
        .args(["audit", "reseal", "--confirm"])
        .assert()
        .success()
        .stdout(predicate::str::contains("resealed at seq 4"));
    e.cmd()
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("resealed 1 time"));
    e.cmd()
        .args(["audit", "reseal", "--confirm"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to reseal"));
}

#[test]
fn agents_running_foundation_write_commands_are_critical() {
    use aiperture::request::RiskTier;
    use aiperture::risk::{Context, assess};
    let ctx = Context {
        cwd: "/home/u/p".into(),
        project: "/home/u/p".into(),
        home: "/home/u".into(),
        protected_paths: Vec::new(),
        resolver: None,
    };
    for cmd in [
        "aiperture audit reseal --confirm",
        "aiperture config set rate_limit_per_minute 0",
    ] {
        let a = assess("shell", "execute", cmd, &ctx);
        assert_eq!(a.risk.tier, RiskTier::Critical, "{cmd}");
    }
    for cmd in ["aiperture audit verify", "aiperture config show"] {
        let a = assess("shell", "execute", cmd, &ctx);
        assert!(a.risk.tier < RiskTier::High, "{cmd}");
    }
}
