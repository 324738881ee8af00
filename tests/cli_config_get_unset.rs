//! Issue 23: `aiperture config get KEY` and `aiperture config unset KEY` beside `show`/`set`:
//! `get` prints what `set` takes back, `unset` brings the default back and says what it is,
//! and a name that is not a setting is a usage error (64) with the valid names.

mod admin_support;

use admin_support::AdminCmd;
use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

struct Env {
    dir: tempfile::TempDir,
    aihome: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        Env {
            aihome: dir.path().join("aihome"),
            dir,
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("USER", "alice")
            .env("AIPERTURE_HOME", &self.aihome)
            .env("AIPERTURE_DB_PATH", self.dir.path().join("db.sqlite"))
            .current_dir(self.dir.path());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().admin(&self.aihome, args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn get(&self, key: &str) -> String {
        let out = self.ok(&["config", "get", key]);
        assert_eq!(out.lines().count(), 1, "{out}");
        out.trim_end_matches('\n').to_string()
    }

    /// The `config show --json` entry of `key`.
    fn shown(&self, key: &str) -> Value {
        let v: Value = serde_json::from_str(&self.ok(&["config", "show", "--json"])).unwrap();
        v["settings"][key].clone()
    }
}

#[test]
fn get_prints_the_effective_value_as_set_takes_it_back() {
    let e = Env::new();
    // Defaults, without creating anything.
    assert_eq!(
        e.get("rate_limit_per_minute"),
        e.shown("rate_limit_per_minute")["value"].to_string()
    );
    assert_eq!(e.get("project_id"), "");
    assert!(!e.aihome.join("config.toml").exists());
    // A list prints comma-separated, and `set` takes that text back unchanged.
    let list = e.get("sensitive_patterns");
    assert!(list.contains(','), "{list}");
    e.ok(&["config", "set", "sensitive_patterns", &list]);
    assert_eq!(e.get("sensitive_patterns"), list);
    e.ok(&["config", "set", "sensitive_patterns", "*.a,*.b"]);
    assert_eq!(e.get("sensitive_patterns"), "*.a,*.b");
    e.ok(&["config", "set", "default_decision", "deny"]);
    assert_eq!(e.get("default_decision"), "deny");
    e.ok(&["config", "set", "rate_limit_per_minute", "30"]);
    assert_eq!(e.get("rate_limit_per_minute"), "30");
    // The environment wins, and --json says where the value comes from.
    let out = e
        .cmd()
        .env("AIPERTURE_RATE_LIMIT_PER_MINUTE", "7")
        .args(["config", "get", "rate_limit_per_minute", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["key"], "rate_limit_per_minute");
    assert_eq!(v["value"], 7);
    assert_eq!(v["source"], "env");
    assert_eq!(v["env"], "AIPERTURE_RATE_LIMIT_PER_MINUTE");
    let v: Value =
        serde_json::from_str(&e.ok(&["config", "get", "rate_limit_per_minute", "--json"])).unwrap();
    assert_eq!(
        (v["value"].clone(), v["source"].clone()),
        (30.into(), "file".into())
    );
    // The API key is never printed.
    e.ok(&["config", "set", "api_key", "s3cret-value"]);
    assert_eq!(e.get("api_key"), "(set)");
    assert!(
        !e.ok(&["config", "get", "api_key", "--json"])
            .contains("s3cret")
    );
}

#[test]
fn unset_restores_the_default_says_it_keeps_the_rest_and_is_audited() {
    let e = Env::new();
    let default = e.get("rate_limit_per_minute");
    e.ok(&["config", "set", "rate_limit_per_minute", "30"]);
    e.ok(&["config", "set", "default_decision", "deny"]);
    let said = e.ok(&["config", "unset", "rate_limit_per_minute"]);
    assert!(said.contains(&format!("now {default}")), "{said}");
    assert!(said.contains("was 30"), "{said}");
    assert_eq!(e.get("rate_limit_per_minute"), default);
    assert_eq!(e.shown("rate_limit_per_minute")["source"], "default");
    assert_eq!(e.get("default_decision"), "deny");
    let file = std::fs::read_to_string(e.aihome.join("config.toml")).unwrap();
    assert!(!file.contains("rate_limit_per_minute"), "{file}");
    assert!(file.contains("default_decision"), "{file}");
    // Unsetting what is not set changes nothing and says the value in force.
    let said = e.ok(&["config", "unset", "rate_limit_per_minute"]);
    assert!(said.contains("not set"), "{said}");
    assert!(said.contains(&default), "{said}");
    assert_eq!(
        std::fs::read_to_string(e.aihome.join("config.toml")).unwrap(),
        file
    );
    // The audit trail has the unset, and the chain still verifies.
    let events = e.ok(&["audit", "list"]);
    assert!(events.contains("Unset rate_limit_per_minute"), "{events}");
    e.ok(&["audit", "verify"]);
}

#[test]
fn unset_refuses_what_would_leave_the_thresholds_invalid() {
    let e = Env::new();
    e.ok(&["config", "set", "auto_deny_threshold", "0.01"]);
    e.ok(&["config", "set", "auto_approve_threshold", "0.02"]);
    let out = e
        .cmd()
        .admin(&e.aihome, &["config", "unset", "auto_deny_threshold"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("thresholds"));
    assert_eq!(e.get("auto_deny_threshold"), "0.01");
}

#[test]
fn an_unknown_name_is_a_usage_error_listing_the_settings_for_get_set_and_unset() {
    let e = Env::new();
    for args in [
        &["config", "get", "rate_limit"][..],
        &["config", "unset", "rate_limit"],
        &["config", "set", "rate_limit", "3"],
        &["config", "get", "nonsense_entirely"],
    ] {
        let out = e.cmd().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("unknown setting"), "{err}");
        for key in ["rate_limit_per_minute", "default_decision", "api_key"] {
            assert!(err.contains(key), "{args:?} does not list {key}: {err}");
        }
    }
    assert!(!e.aihome.exists(), "a refused name created the home");
}
