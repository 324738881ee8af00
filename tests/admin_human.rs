//! Issue 16, "admin acts need a human": `grant`, `bootstrap`, `revoke`, `config set|unset`
//! (and `grant --revoke`, `bootstrap --remove`) are refused without a terminal, refused inside
//! an agent (a runtime's environment marker, or an agent runtime among the parent processes),
//! and accepted with a challenge signed with the install key for exactly those arguments —
//! once. Nothing changes when they are refused. (At a real terminal: tests/admin_terminal.rs.)

mod admin_support;
mod engine_support;

use admin_support::AdminCmd;
use engine_support::{Env, T0};

/// Every admin act, as a test would run it.
const ACTS: &[&[&str]] = &[
    &["grant", "--scope", "npm test", "--ttl", "1h"],
    &["grant", "--revoke", "g-1"],
    &["bootstrap", "developer"],
    &["bootstrap", "--remove", "developer"],
    &["revoke", "npm test"],
    &["config", "set", "rate_limit_per_minute", "0"],
    &["config", "unset", "rate_limit_per_minute"],
    &["policy", "add", "--decision", "allow", "--scope", "curl *"],
];

/// What an act could have changed: live grants, presets, config file, audit events.
fn state(env: &Env) -> (String, String, Option<String>, Option<String>, i64) {
    let out = |args: &[&str]| {
        String::from_utf8_lossy(&env.cmd(T0).args(args).output().unwrap().stdout).into_owned()
    };
    let events = rusqlite::Connection::open(&env.db)
        .and_then(|c| c.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0)))
        .unwrap_or(0);
    (
        out(&["grant", "--list", "--json"]),
        out(&["bootstrap", "--list"]),
        std::fs::read_to_string(env.home.join("config.toml")).ok(),
        std::fs::read_to_string(env.home.join("policy.toml")).ok(),
        events,
    )
}

fn refused(cmd: &mut assert_cmd::Command, act: &[&str], why: &str) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{act:?} was not refused: {err}");
    assert!(err.contains(why), "{act:?}: {err}");
    assert!(err.contains("admin act"), "{act:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn without_a_terminal_every_admin_act_is_refused_and_changes_nothing() {
    let env = Env::new();
    // Something to revoke or remove, set up the signed way.
    env.cmd(T0)
        .admin(&env.home, &["bootstrap", "developer"])
        .assert()
        .success();
    env.cmd(T0)
        .admin(&env.home, &["config", "set", "rate_limit_per_minute", "30"])
        .assert()
        .success();
    let before = state(&env);
    for act in ACTS {
        refused(env.cmd(T0).args(*act), act, "needs a human at a terminal");
    }
    assert_eq!(state(&env), before);
    // Read-only forms need nobody.
    for ro in [
        &["grant", "--list"][..],
        &["bootstrap", "--list"],
        &["config", "show"],
        &["config", "get", "rate_limit_per_minute"],
    ] {
        env.cmd(T0).args(ro).assert().success();
    }
}

#[test]
fn inside_an_agent_every_admin_act_is_refused_by_its_environment() {
    let env = Env::new();
    let before = state(&env);
    for (var, runtime) in [
        ("CLAUDECODE", "Claude Code"),
        ("GEMINI_CLI", "Gemini CLI"),
        ("CODEX_SANDBOX", "Codex"),
        ("CURSOR_PROJECT_DIR", "Cursor"),
    ] {
        for act in ACTS {
            refused(
                env.cmd(T0).env(var, "1").args(*act),
                act,
                &format!("{var} is set: {runtime}"),
            );
        }
    }
    assert_eq!(state(&env), before);
}

#[test]
fn inside_an_agent_every_admin_act_is_refused_by_its_parent_process() {
    let env = Env::new();
    // A shell named like an agent runtime, running aiperture as its child (`; true` keeps
    // the shell from exec'ing it in place).
    let fake = env.dir.path().join("bin");
    std::fs::create_dir_all(&fake).unwrap();
    for name in ["claude", "codex", "gemini", "cursor-agent"] {
        std::fs::copy("/bin/sh", fake.join(name)).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("aiperture");
    let before = state(&env);
    for name in ["claude", "codex", "gemini", "cursor-agent"] {
        let mut c = std::process::Command::new(fake.join(name));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AIPERTURE_HOME", &env.home)
            .env("AIPERTURE_DB_PATH", &env.db)
            .arg("-c")
            .arg(format!(
                "'{}' config set rate_limit_per_minute 0; true",
                bin.display()
            ));
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("is `{name}`")), "{name}: {err}");
        assert!(err.contains("inside an agent"), "{err}");
    }
    assert_eq!(state(&env), before);
}

#[test]
fn a_signed_challenge_allows_exactly_its_arguments_once() {
    let env = Env::new();
    // Signed for one act, used for another: refused.
    let token = admin_support::admin_challenge(
        &env.home,
        &["config", "set", "rate_limit_per_minute", "30"],
    );
    let out = env
        .cmd(T0)
        .env("AIPERTURE_ADMIN_CHALLENGE", &token)
        .args(["config", "set", "rate_limit_per_minute", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly these arguments"));
    // Used for its own act: allowed, once.
    let run = || {
        env.cmd(T0)
            .env("AIPERTURE_ADMIN_CHALLENGE", &token)
            .args(["config", "set", "rate_limit_per_minute", "30"])
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let again = run();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already used"));
    // Signed with another key: refused.
    let other = tempfile::tempdir().unwrap();
    let out = env
        .cmd(T0)
        .admin(other.path(), &["bootstrap", "developer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed with the install key"));
    // Garbage: refused.
    let out = env
        .cmd(T0)
        .env("AIPERTURE_ADMIN_CHALLENGE", "a1.1.2.3")
        .args(["bootstrap", "developer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed"));
}

/// The recipe docs/security.md gives scripts (bash and openssl), run as written.
#[test]
fn the_documented_openssl_recipe_signs_an_admin_act() {
    let env = Env::new();
    // The key exists once anything has run.
    env.cmd(T0).args(["config", "show"]).assert().success();
    aiperture::key::load_or_create(&env.home.join("key")).unwrap();
    let recipe = r#"
admin() {
  key=$(cat "$AIPERTURE_HOME/key")
  ts=$(date +%s); nonce=$(openssl rand -hex 16)
  mac=$( { printf 'aiperture-admin-v1\0%s\0%s' "$ts" "$nonce"; printf '\0%s' "$@"; } \
         | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -r | cut -d' ' -f1 )
  AIPERTURE_ADMIN_CHALLENGE="a1.$ts.$nonce.$mac" aiperture "$@"
}
admin grant --scope "npm run lint" --ttl 2h
"#;
    let bin_dir = assert_cmd::cargo::cargo_bin("aiperture")
        .parent()
        .unwrap()
        .to_path_buf();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(recipe)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", env.dir.path())
        .env("AIPERTURE_HOME", &env.home)
        .env("AIPERTURE_DB_PATH", &env.db)
        .current_dir(&env.project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("npm run lint"));
}

#[test]
fn a_policy_rule_is_added_only_by_a_human_parsed_audited_and_applied() {
    let env = Env::new();
    // Refused without a terminal (above); with a challenge: added, parsed, audited, applied.
    env.cmd(T0)
        .admin(
            &env.home,
            &[
                "policy",
                "add",
                "--decision",
                "deny",
                "--tool",
                "shell",
                "--action",
                "execute",
                "--scope",
                "git push *",
                "--reason",
                "pushes leave the machine",
            ],
        )
        .assert()
        .success();
    let (code, v) = env.check(T0, "s", "git push origin main");
    assert_eq!(code, 2, "{v}");
    assert!(
        v["decided_by"].as_str().unwrap().starts_with("rule:user:1"),
        "{v}"
    );
    let c = rusqlite::Connection::open(&env.db).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM audit_events WHERE event_type = 'policy.changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    // A rule the gate could not parse is refused before anyone is asked; the file is kept.
    let before = std::fs::read_to_string(env.home.join("policy.toml")).unwrap();
    let out = env
        .cmd(T0)
        .args(["policy", "add", "--decision", "maybe", "--scope", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not parse"));
    assert_eq!(
        std::fs::read_to_string(env.home.join("policy.toml")).unwrap(),
        before
    );
}

#[test]
fn the_classifier_rates_the_new_admin_commands_critical_and_their_reads_low() {
    let env = Env::new();
    let tier = |command: &str| {
        let out = env
            .cmd(T0)
            .args(["explain", "--json", command])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["risk"]["tier"].as_str().unwrap_or_default().to_string()
    };
    for c in [
        "aiperture configure",
        "aiperture policy add --decision allow --scope 'curl *'",
    ] {
        assert_eq!(tier(c), "critical", "{c}");
    }
    for c in ["aiperture sinks status", "aiperture policy path"] {
        assert_eq!(tier(c), "low", "{c}");
    }
}
