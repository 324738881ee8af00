//! Learning that travels between projects (issue 15): a command whose words are all bare names
//! learned in one project counts in the others the human works in; anything naming a path stays
//! in its project, and a project the human never decided in learns nothing from elsewhere.

use super::*;

fn cargo_test() -> Assessment {
    assess(vec![seg(
        "cargo test",
        RiskTier::Medium,
        Some("cargo test *"),
    )])
}

fn in_project(scope: &str, project: &str, session: &str) -> Request {
    let mut r = req(scope);
    r.project = project.into();
    r.cwd = project.into();
    r.session_id = session.into();
    r
}

#[test]
fn bare_commands_learned_in_two_projects_count_in_a_third_the_human_works_in() {
    let k = Kit::new();
    let a = cargo_test();
    // Five approvals in /a and five in /b: neither project has ten on its own.
    let t = k.decide_n(
        T0,
        5,
        &in_project("cargo test", "/a", "x"),
        &a,
        Decision::Allow,
    );
    let t = k.decide_n(
        t,
        5,
        &in_project("cargo test", "/b", "x"),
        &a,
        Decision::Allow,
    );
    let v = k.check(t, &in_project("cargo test", "/a", "q1"), &a);
    assert_eq!(v.decision, Decision::Allow, "{}", v.reason);
    assert_eq!(v.decided_by, "learned:cross-project:cargo test *");

    // /c: the human never decided anything there, so nothing travels into it.
    let v = k.check(t, &in_project("cargo test", "/c", "q2"), &a);
    assert_eq!(v.decision, Decision::Ask);
    // Once the human has decided something (anything) in /c, it does.
    let ls = assess(vec![seg(
        "make build",
        RiskTier::Medium,
        Some("make build *"),
    )]);
    k.decide(
        t + MIN,
        &in_project("make build", "/c", "h"),
        &ls,
        Decision::Allow,
        Source::Terminal,
        "alice",
    );
    let v = k.check(t + 2 * MIN, &in_project("cargo test", "/c", "q3"), &a);
    assert_eq!(v.decided_by, "learned:cross-project:cargo test *");
}

#[test]
fn a_command_naming_a_path_does_not_travel() {
    let k = Kit::new();
    let a = assess(vec![seg(
        "cargo test --manifest-path ./x/Cargo.toml",
        RiskTier::Medium,
        Some("cargo test *"),
    )]);
    let t = k.decide_n(
        T0,
        10,
        &in_project("cargo test", "/a", "x"),
        &cargo_test(),
        Decision::Allow,
    );
    let b = assess(vec![seg(
        "make build",
        RiskTier::Medium,
        Some("make build *"),
    )]);
    k.decide(
        t,
        &in_project("make build", "/b", "h"),
        &b,
        Decision::Allow,
        Source::Terminal,
        "alice",
    );
    let v = k.check(
        t + MIN,
        &in_project("cargo test --manifest-path ./x/Cargo.toml", "/b", "q"),
        &a,
    );
    assert_eq!(v.decision, Decision::Ask, "{}", v.decided_by);
    // The bare form travels.
    let v = k.check(
        t + MIN,
        &in_project("cargo test", "/b", "q2"),
        &cargo_test(),
    );
    assert_eq!(v.decided_by, "learned:cross-project:cargo test *");
}

#[test]
fn denials_elsewhere_weigh_against_and_high_never_travels() {
    let k = Kit::new();
    let a = cargo_test();
    let t = k.decide_n(
        T0,
        6,
        &in_project("cargo test", "/a", "x"),
        &a,
        Decision::Allow,
    );
    let t = k.decide_n(
        t,
        4,
        &in_project("cargo test", "/b", "x"),
        &a,
        Decision::Deny,
    );
    let v = k.check(t, &in_project("cargo test", "/b", "q"), &a);
    assert_ne!(v.decision, Decision::Allow, "{}", v.decided_by);

    assert!(!learning::travels(
        "shell",
        Some("git push *"),
        "git push",
        RiskTier::High
    ));
    assert!(!learning::travels(
        "shell",
        None,
        "git status",
        RiskTier::Low
    ));
    assert!(!learning::travels(
        "filesystem",
        Some("x"),
        "status",
        RiskTier::Low
    ));
    for bare in [
        "git status",
        "npm run lint",
        "cargo test --release",
        "go vet",
    ] {
        assert!(
            learning::travels("shell", Some("p *"), bare, RiskTier::Medium),
            "{bare}"
        );
    }
    for placed in [
        "wc -l README.md",
        "cat ~/x",
        "ls /etc",
        "make VAR=1",
        "echo $HOME",
        "rm *",
    ] {
        assert!(
            !learning::travels("shell", Some("p *"), placed, RiskTier::Low),
            "{placed}"
        );
    }
}

#[test]
fn a_revocation_stops_cross_project_evidence() {
    let k = Kit::new();
    let a = cargo_test();
    let t = k.decide_n(
        T0,
        5,
        &in_project("cargo test", "/a", "x"),
        &a,
        Decision::Allow,
    );
    let t = k.decide_n(
        t,
        5,
        &in_project("cargo test", "/b", "x"),
        &a,
        Decision::Allow,
    );
    assert_eq!(
        k.check(t, &in_project("cargo test", "/b", "q"), &a)
            .decision,
        Decision::Allow
    );
    let mut st = SqliteState::new(&k.conn);
    let key = LearnKey {
        kind: KeyKind::Pattern,
        key: "cargo test *".into(),
    };
    learning::revoke_key(&mut st, t + MIN, "shell", "execute", &key, "alice", "test").unwrap();
    let v = k.check(t + 2 * MIN, &in_project("cargo test", "/b", "q2"), &a);
    assert_eq!(v.decision, Decision::Ask, "{}", v.decided_by);
}

#[test]
fn the_setting_keeps_learning_per_project() {
    let mut k = Kit::new();
    k.cfg.learning_across_projects = false;
    let a = cargo_test();
    let t = k.decide_n(
        T0,
        5,
        &in_project("cargo test", "/a", "x"),
        &a,
        Decision::Allow,
    );
    let t = k.decide_n(
        t,
        5,
        &in_project("cargo test", "/b", "x"),
        &a,
        Decision::Allow,
    );
    let v = k.check(t, &in_project("cargo test", "/b", "q"), &a);
    assert_eq!(v.decision, Decision::Ask, "{}", v.decided_by);
}
