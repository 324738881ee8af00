//! `aiperture check` modes and exit codes, policy files, grants, bootstrap.

mod admin_support;
#[path = "engine_support/mod.rs"]
mod support;

use admin_support::AdminCmd;

use aiperture::request::Decision;
use support::{Env, MIN, T0};

fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn batch_prints_one_line_each_and_gates_ci() {
    let env = Env::new();
    let t = env.decide_n(T0, 10, "npm test", Decision::Allow);
    let input = "{\"scope\":\"npm test\"}\n\n{\"tool\":\"shell\",\"action\":\"execute\",\"scope\":\"make\"}\n";
    let out = env
        .cmd(t)
        .args(["check", "--batch", "--dry-run"])
        .write_stdin(input)
        .output()
        .unwrap();
    let v = lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0]["decision"].as_str(), v[1]["decision"].as_str()),
        (Some("allow"), Some("ask"))
    );
    assert_eq!(out.status.code(), Some(0));
    let out = env
        .cmd(t)
        .args(["check", "--batch", "--dry-run", "--fail-on", "ask"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // A malformed line is an error line and exit 1.
    let out = env
        .cmd(t)
        .args(["check", "--batch"])
        .write_stdin("{\"scope\": 1}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(lines(&out)[0]["error"].is_string());
}

#[test]
fn dry_run_records_nothing_and_stdin_json_works() {
    let env = Env::new();
    env.cmd(T0)
        .args(["check", "--dry-run"])
        .write_stdin(
            "{\"tool\":\"shell\",\"action\":\"execute\",\"scope\":\"npm install\",\"session_id\":\"s\"}",
        )
        .assert()
        .code(3);
    let n: i64 = env.count("SELECT count(*) FROM checks");
    assert_eq!(n, 0);
    env.cmd(T0)
        .args(["check", "--scope", "npm install"])
        .assert()
        .code(3);
    let n: i64 = env.count("SELECT count(*) FROM checks");
    let a: i64 =
        env.count("SELECT count(*) FROM audit_events WHERE event_type = 'permission.check'");
    assert_eq!((n, a), (1, 1));
    env.cmd(T0)
        .args(["check"])
        .write_stdin("not json")
        .assert()
        .code(1);
}

#[test]
fn policy_rules_decide_and_invalid_files_fail_closed() {
    let env = Env::new();
    std::fs::write(
        env.home.join("policy.toml"),
        "[[rule]]\ntool = \"shell\"\nscope = \"make *\"\ndecision = \"allow\"\n\n[[rule]]\ntool = \"shell\"\nscope = \"make deploy *\"\ndecision = \"deny\"\nreason = \"deploys go through CI\"\n",
    )
    .unwrap();
    let (code, v) = env.check(T0, "s", "make build");
    assert_eq!(
        (code, v["decided_by"].as_str()),
        (0, Some("rule:user:1")),
        "{v}"
    );
    let (code, v) = env.check(T0, "s", "make deploy prod");
    assert_eq!(
        (code, v["reason"].as_str()),
        (2, Some("deploys go through CI")),
        "{v}"
    );
    // A project file may add asks; its allows do not reach beyond LOW risk.
    std::fs::create_dir_all(env.project.join(".aiperture")).unwrap();
    std::fs::write(
        env.project.join(".aiperture/policy.toml"),
        "[[rule]]\ntool = \"shell\"\nscope = \"make build\"\ndecision = \"ask\"\n",
    )
    .unwrap();
    let (code, v) = env.check(T0, "s", "make build");
    assert_eq!(
        (code, v["decided_by"].as_str()),
        (3, Some("rule:project:1")),
        "{v}"
    );
    std::fs::write(
        env.project.join(".aiperture/policy.toml"),
        "[[rule]]\ndecision = \"yes\"\n",
    )
    .unwrap();
    let (code, v) = env.check(T0, "s", "make build");
    assert_eq!(
        (code, v["decided_by"].as_str()),
        (3, Some("policy_error")),
        "{v}"
    );
    assert!(
        v["reason"].as_str().unwrap().contains("policy.toml:1"),
        "{v}"
    );
}

#[test]
fn grants_allow_until_they_expire_and_never_allow_high() {
    let env = Env::new();
    env.cmd(T0)
        .admin(&env.home, &["grant", "--scope", "cargo *", "--ttl", "10m"])
        .assert()
        .success();
    let (code, v) = env.check(T0 + MIN, "s", "cargo build");
    assert_eq!(code, 0, "{v}");
    assert!(v["decided_by"].as_str().unwrap().starts_with("grant:"));
    assert_eq!(env.check(T0 + 11 * MIN, "s", "cargo build").0, 3);
    env.cmd(T0)
        .admin(&env.home, &["grant", "--scope", "rm -rf /"])
        .assert()
        .code(1);
    env.cmd(T0)
        .admin(&env.home, &["grant", "--scope", "*"])
        .assert()
        .success();
    let (_, v) = env.check(T0 + 1, "s", "rm -rf /");
    assert_eq!(v["decision"], "deny", "{v}");
    let (_, v) = env.check(T0 + 1, "s", "git push --force origin main");
    assert_ne!(v["decision"], "allow", "{v}");
}

#[test]
fn bootstrap_is_idempotent_audited_and_confined() {
    let env = Env::new();
    env.cmd(T0)
        .admin(&env.home, &["bootstrap", "developer"])
        .assert()
        .success();
    let again = env
        .cmd(T0)
        .admin(&env.home, &["bootstrap", "developer"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already"));
    env.cmd(T0)
        .admin(&env.home, &["bootstrap", "nonsense"])
        .assert()
        .code(1);
    let n: i64 = env.count("SELECT count(*) FROM audit_events WHERE event_type = 'preset.applied'");
    assert_eq!(n, 1);
    let inside = env.project.join("src/main.py").display().to_string();
    let read = |path: &str| {
        let out = env
            .cmd(T0)
            .args([
                "check",
                "--json",
                "--tool",
                "filesystem",
                "--action",
                "read",
                "--scope",
                path,
            ])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let v = read(&inside);
    assert_eq!(
        (v["decision"].as_str(), v["decided_by"].as_str()),
        (Some("allow"), Some("preset:developer")),
        "{v}"
    );
    let outside = format!("{}/../../etc/x.yaml", env.project.display());
    assert_ne!(read(&outside)["decision"], "allow");
}

#[test]
fn presets_can_be_listed_removed_and_minimal_wins() {
    let env = Env::new();
    let run = |args: &[&str]| {
        let out = env
            .cmd(T0)
            .args_signed_if_admin(&env.home, args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let decision = || {
        let out = env
            .cmd(T0)
            .args([
                "check",
                "--dry-run",
                "--json",
                "--tool",
                "shell",
                "--action",
                "execute",
            ])
            .args(["--scope", "cargo test --release"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["decision"].as_str().unwrap_or("").to_string(),
            v["decided_by"].as_str().unwrap_or("").to_string(),
        )
    };
    assert!(run(&["bootstrap", "--list"]).contains("no presets"));
    run(&["bootstrap", "developer"]);
    assert_eq!(decision(), ("allow".into(), "preset:developer".into()));
    let listed = run(&["bootstrap", "--list"]);
    assert!(
        listed.contains("developer") && listed.contains(&env.project_str()),
        "{listed}"
    );
    assert!(run(&["doctor"]).contains("presets      developer"));
    // minimal after developer is the effective choice: it clears the others.
    let out = run(&["bootstrap", "minimal"]);
    assert!(out.contains("developer disabled"), "{out}");
    assert_eq!(decision().0, "ask");
    let listed = run(&["bootstrap", "--list"]);
    assert!(
        listed.contains("minimal") && !listed.contains("developer"),
        "{listed}"
    );
    // Remove, audited like bootstrap.
    assert!(run(&["bootstrap", "--remove", "minimal"]).contains("removed"));
    assert!(run(&["bootstrap", "--remove", "minimal"]).contains("was not enabled"));
    assert!(run(&["bootstrap", "--list"]).contains("no presets"));
    let n: i64 = env.count("SELECT count(*) FROM audit_events WHERE event_type = 'preset.removed'");
    assert_eq!(n, 1);
    let help = run(&["bootstrap", "--help"]);
    assert!(
        help.contains("allow rules") && !help.contains("eed decisions"),
        "{help}"
    );
    // Naming no preset is a usage error (exit 64, distinct from a deny's 2).
    env.cmd(T0)
        .admin(&env.home, &["bootstrap"])
        .assert()
        .code(64);
}

#[test]
fn a_setting_changed_is_audited_in_the_selected_store() {
    // Under the store matrix the team store: one chain for the team, not a local file beside it.
    let env = Env::new();
    env.cmd(T0)
        .admin(&env.home, &["config", "set", "rate_limit_per_minute", "77"])
        .assert()
        .success();
    let n: i64 = env.count("SELECT count(*) FROM audit_events WHERE event_type = 'config.changed'");
    assert_eq!(n, 1);
    env.cmd(T0).args(["audit", "verify"]).assert().success();
    if env.db_url().is_some() {
        assert!(
            !env.db.exists(),
            "a team store's setting change wrote a local SQLite file"
        );
    }
}

#[test]
fn the_report_reads_the_selected_store_and_verifies_its_chain() {
    // Under the store matrix the team store: the report covers the team's checks and proves
    // the team's chain, and leaves no copy behind.
    let env = Env::new();
    for (i, cmd) in ["npm test", "git status", "terraform apply x.tfplan"]
        .iter()
        .enumerate()
    {
        env.check(T0 + i as i64 * MIN, "s-report", cmd);
    }
    let out = env
        .cmd(T0 + 10 * MIN)
        .args(["report", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["totals"]["checks"], 3, "{}", r["totals"]);
    assert_eq!(r["integrity"]["verified"], true, "{}", r["integrity"]);
    assert_eq!(r["integrity"]["events"], 3, "{}", r["integrity"]);
    let leftovers: Vec<_> = std::fs::read_dir(&env.home)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("report-copy-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
