//! Who and which machine: every audit event records the actor (`AIPERTURE_ACTOR`, else the
//! login name) and host (`AIPERTURE_HOST`, else the host name), the chain covers them, a team
//! quorum (`learning_min_humans`) counts distinct people, the report groups by person and
//! `doctor` shows what it will record. Runs under the store matrix (`AIPERTURE_TEST_STORE`).

#[path = "engine_support/mod.rs"]
mod support;

use aiperture::clock::ManualClock;
use aiperture::request::{CallSite, Decision, Principal, Request};
use std::sync::Arc;
use support::{Env, MIN, T0};

/// Runs one statement that changes the store under test.
fn execute(env: &Env, sql: &str) {
    match env.db_url() {
        Some(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.execute(sql, &[]).unwrap();
        }
        None => {
            let c = rusqlite::Connection::open(&env.db).unwrap();
            c.execute(sql, []).unwrap();
        }
    }
}

fn by(env: &Env, person: &str, session: &str) -> Request {
    Request {
        callsite: Some(CallSite {
            principal: Principal {
                user: person.into(),
                runtime: "claude-code".into(),
                host: format!("{person}-laptop"),
            },
            cwd: env.project_str(),
            root: env.project_str(),
            project_id: env.project_str(),
            home: env.dir.path().display().to_string(),
        }),
        ..env.shell(session, "npm test")
    }
}

#[test]
fn checks_record_actor_and_host_and_an_edited_actor_breaks_the_chain() {
    let env = Env::new();
    env.cmd(T0)
        .env("AIPERTURE_ACTOR", "alice")
        .env("AIPERTURE_HOST", "box-a")
        .args(["check", "--scope", "npm install", "--session", "s1"])
        .assert()
        .code(3);
    // No explicit actor: the login name, whitespace-only values ignored.
    env.cmd(T0 + MIN)
        .env("AIPERTURE_ACTOR", "  ")
        .env("USER", "bob")
        .env("AIPERTURE_HOST", "box-b")
        .args(["check", "--scope", "npm install", "--session", "s2"])
        .assert()
        .code(3);
    let alice = "SELECT count(*) FROM audit_events WHERE principal = 'alice' AND host = 'box-a'";
    assert_eq!(env.count(alice), 1);
    let bob = "SELECT count(*) FROM audit_events WHERE principal = 'bob' AND host = 'box-b'";
    assert_eq!(env.count(bob), 1);
    env.cmd(T0 + 2 * MIN)
        .args(["audit", "verify"])
        .assert()
        .success();

    execute(
        &env,
        "UPDATE audit_events SET principal = 'mallory' WHERE principal = 'alice'",
    );
    env.cmd(T0 + 2 * MIN)
        .args(["audit", "verify"])
        .assert()
        .failure();
}

#[test]
fn a_quorum_of_two_needs_a_second_person() {
    let env = Env::new().with_env("AIPERTURE_LEARNING_MIN_HUMANS", "2");
    let clock = Arc::new(ManualClock::new(T0));
    let g = env.gate(&clock);
    for i in 0..12 {
        clock.set(T0 + i * 2 * MIN);
        g.record_human(
            &by(&env, "alice", &format!("a{i}")),
            Decision::Allow,
            "alice",
        )
        .unwrap();
    }
    let t = T0 + 30 * MIN;
    let (_, v) = env.check(t, "x1", "npm test");
    assert_eq!(v["decision"], "ask", "{v}");
    clock.set(t + MIN);
    g.record_human(&by(&env, "bob", "b1"), Decision::Allow, "bob")
        .unwrap();
    let (_, v) = env.check(t + 2 * MIN, "x2", "npm test");
    assert_eq!(v["decision"], "allow", "{v}");
    // A solo install (the default quorum of 1) learned from alice alone long before.
    let solo = Env::new();
    let clock = Arc::new(ManualClock::new(T0));
    let g = solo.gate(&clock);
    for i in 0..10 {
        clock.set(T0 + i * 2 * MIN);
        g.record_human(
            &by(&solo, "alice", &format!("a{i}")),
            Decision::Allow,
            "alice",
        )
        .unwrap();
    }
    let (_, v) = solo.check(t, "x1", "npm test");
    assert_eq!(v["decision"], "allow", "{v}");
    // The decisions' audit events name the person and machine.
    let sql = "SELECT count(*) FROM audit_events WHERE event_type = 'decision.human' \
               AND principal = 'bob' AND host = 'bob-laptop'";
    assert_eq!(env.count(sql), 1);
}

#[test]
fn the_report_groups_by_person() {
    let env = Env::new();
    if env.db_url().is_some() {
        return; // The report reads the SQLite file (docs/team.md, known limits).
    }
    let clock = Arc::new(ManualClock::new(T0));
    let g = env.gate(&clock);
    for (i, who) in ["alice", "alice", "bob"].iter().enumerate() {
        clock.set(T0 + i as i64 * 2 * MIN);
        g.record_human(&by(&env, who, &format!("d{i}")), Decision::Allow, who)
            .unwrap();
    }
    for (i, host) in ["box-a", "box-c"].iter().enumerate() {
        env.cmd(T0 + (10 + i as i64) * MIN)
            .env("AIPERTURE_ACTOR", "alice")
            .env("AIPERTURE_HOST", host)
            .args([
                "check",
                "--scope",
                "make deploy",
                "--session",
                &format!("c{i}"),
            ])
            .assert()
            .code(3);
    }
    let out = env
        .cmd(T0 + 20 * MIN)
        .args(["report", "--format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let people = r["people"].as_array().unwrap();
    let find = |who: &str| {
        people
            .iter()
            .find(|p| p["actor"] == who)
            .cloned()
            .unwrap_or_else(|| panic!("{who} missing: {people:?}"))
    };
    let alice = find("alice");
    assert_eq!(
        (
            &alice["checks"],
            &alice["asks"],
            &alice["approvals"],
            &alice["machines"]
        ),
        (&2.into(), &2.into(), &2.into(), &3.into())
    );
    let bob = find("bob");
    assert_eq!((&bob["checks"], &bob["approvals"]), (&0.into(), &1.into()));
    let md = env
        .cmd(T0 + 20 * MIN)
        .args(["report", "--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("## By person"), "{md}");
    assert!(
        md.contains("| <code>alice</code> | 2 | 2 | 2 | 0 | 3 |"),
        "{md}"
    );
}

#[test]
fn doctor_shows_the_actor_and_host_it_will_record() {
    let env = Env::new();
    let out = env
        .cmd(T0)
        .env("AIPERTURE_ACTOR", "carol")
        .env("AIPERTURE_HOST", "ci-7")
        .args(["doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("actor carol on host ci-7"), "{text}");
}
