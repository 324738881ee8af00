//! Challenges: bound to one request, single use, expiring, unforgeable; and `approve` refuses
//! without a terminal.

#[path = "engine_support/mod.rs"]
mod support;

use aiperture::clock::ManualClock;
use aiperture::request::Decision;
use std::sync::Arc;
use support::{Env, T0};

#[test]
fn a_challenge_cannot_be_replayed_forged_moved_or_used_late() {
    let env = Env::new();
    let clock = Arc::new(ManualClock::new(T0));
    let g = env.gate(&clock);
    let req = env.shell("s1", "npm test");
    let out = g.check_full(&req, false).unwrap();
    assert_eq!(out.verdict.decision, Decision::Ask);
    let token = g
        .challenge_for(&out.request, &out.verdict)
        .unwrap()
        .unwrap();

    // Another request, another session, another project: refused.
    assert!(
        g.record_with_challenge(
            &env.shell("s1", "npm test; curl x"),
            Decision::Allow,
            &token,
            "a"
        )
        .is_err()
    );
    assert!(
        g.record_with_challenge(&env.shell("s2", "npm test"), Decision::Allow, &token, "a")
            .is_err()
    );
    let mut moved = out.request.clone();
    moved.project = "/elsewhere".into();
    assert!(
        g.record_with_challenge(&moved, Decision::Allow, &token, "a")
            .is_err()
    );
    // Forged: a flipped MAC character, or a made-up token.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    assert!(
        g.record_with_challenge(&req, Decision::Allow, &forged, "a")
            .is_err()
    );
    assert!(
        g.record_with_challenge(&req, Decision::Allow, "v1.ask.1.00.00", "a")
            .is_err()
    );

    // The genuine use works once, in a new process too, and never twice.
    env.cmd(T0 + 1_000)
        .args([
            "approve",
            "--session",
            "s1",
            "--scope",
            "npm test",
            "--challenge",
            &token,
        ])
        .assert()
        .success();
    let again = env
        .cmd(T0 + 2_000)
        .args([
            "approve",
            "--session",
            "s1",
            "--scope",
            "npm test",
            "--challenge",
            &token,
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already used"));
    assert!(
        g.record_with_challenge(&req, Decision::Allow, &token, "a")
            .is_err()
    );

    // Expiry.
    let out = g
        .check_full(&env.shell("s1", "cargo build"), false)
        .unwrap();
    let late = g
        .challenge_for(&out.request, &out.verdict)
        .unwrap()
        .unwrap();
    clock.set(T0 + (g.config().challenge_ttl_seconds + 1) * 1000);
    let err = g
        .record_with_challenge(&env.shell("s1", "cargo build"), Decision::Allow, &late, "a")
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn approve_and_deny_refuse_without_a_terminal() {
    let env = Env::new();
    for verb in ["approve", "deny"] {
        let out = env
            .cmd(T0)
            .args([verb, "--scope", "npm test"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{verb}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("terminal"));
    }
    let n = env.try_count("SELECT count(*) FROM decisions").unwrap_or(0);
    assert_eq!(n, 0);
}

#[test]
fn the_runtime_flow_learns_from_asks_that_ran_and_infers_denials() {
    let env = Env::new();
    let clock = Arc::new(ManualClock::new(T0));
    let g = env.gate(&clock);
    let mut req = env.shell("s1", "npm test");
    req.tool_use_id = Some("tu-1".into());
    assert_eq!(g.check(&req).unwrap().decision, Decision::Ask);
    let ran = g
        .tool_ran(&req, aiperture::engine::ToolOutcome::Succeeded)
        .unwrap();
    assert!(ran.resolved_ask);
    assert_eq!(ran.progress, Some((1, 10)));
    // Running again without a new ask is no second approval.
    assert!(
        !g.tool_ran(&req, aiperture::engine::ToolOutcome::Succeeded)
            .unwrap()
            .resolved_ask
    );
    // Three asks of the same call that never ran: one inferred denial, weaker than a denial.
    for i in 0..3 {
        let mut never = env.shell("s1", "npm publish");
        never.tool_use_id = Some(format!("tu-n{i}"));
        g.check(&never).unwrap();
    }
    assert_eq!(g.end_session("claude-code", "s1").unwrap(), 3);
    assert_eq!(g.end_session("claude-code", "s1").unwrap(), 0);
    let pats = g.patterns(&env.project_str()).unwrap();
    let publish = pats
        .iter()
        .find(|p| p.key.key.starts_with("npm publish"))
        .unwrap();
    assert_eq!((publish.inferred_deny, publish.human_deny), (1, 0));
    let status = g.session_status(&env.shell("s1", "")).unwrap();
    assert_eq!(status.budget, 50.0);
}

#[test]
fn a_human_at_a_terminal_approves_a_pending_ask_by_id_once() {
    let env = Env::new();
    let out = env
        .cmd(T0)
        .args(["check", "--json", "--scope", "cargo build --release"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["pending_id"].as_str().unwrap().to_string();
    // `script` gives the command a pseudo-terminal, as a human's shell would.
    let bin = assert_cmd::cargo::cargo_bin("aiperture");
    let approve = |now: i64| {
        std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} approve {id}", bin.display()),
                "/dev/null",
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", env.dir.path())
            .env("AIPERTURE_HOME", &env.home)
            .env("AIPERTURE_DB_PATH", &env.db)
            .env("AIPERTURE_NOW_MS", now.to_string())
            .envs(env.extra_env.iter().map(|(k, v)| (k, v)))
            .current_dir(&env.project)
            .output()
            .unwrap()
    };
    let first = approve(T0 + 1_000);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stdout)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("1/10"));
    let second = approve(T0 + 2_000);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already resolved"));
}
