//! Issue 15: `aiperture revoke "npm test"` revokes what decides that command now and says
//! which; a name that matches nothing exits 1 having revoked (and audited) nothing.

mod admin_support;
mod engine_support;

use admin_support::AdminCmd;

use aiperture::request::Decision;
use engine_support::{Env, MIN, T0};

fn run(env: &Env, now: i64, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd(now).admin(&env.home, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn audited_revocations(env: &Env) -> i64 {
    env.count("SELECT count(*) FROM audit_events WHERE event_type = 'pattern.revoked'")
}

#[test]
fn revoking_a_command_revokes_the_pattern_that_decides_it() {
    let env = Env::new();
    let t = env.decide_n(T0, 10, "npm test", Decision::Allow);
    assert_eq!(env.check(t, "a", "npm test -- --watch").0, 0);
    // The user names the command as they typed it, not the pattern.
    let (code, out, err) = run(&env, t + 1, &["revoke", "npm test -- --watch"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("`npm test *`"), "{out}");
    assert!(out.contains("learned:project:npm test *"), "{out}");
    assert!(out.contains("10 decision(s)"), "{out}");
    assert_eq!(env.check(t + 2, "b", "npm test").0, 3);
    assert_eq!(audited_revocations(&env), 1);
}

#[test]
fn a_pattern_by_name_and_a_key_still_learning_are_found_too() {
    let env = Env::new();
    let t = env.decide_n(T0, 10, "make lint", Decision::Allow);
    let (code, out, _) = run(&env, t, &["revoke", "make lint *"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("`make lint *`"), "{out}");
    assert_eq!(env.check(t + MIN, "b", "make lint").0, 3);
    // Two approvals: not deciding yet, but what the user means is its progress.
    let t = env.decide_n(t + MIN, 2, "npm install left-pad", Decision::Allow);
    let (code, out, _) = run(&env, t, &["revoke", "npm install chalk"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("`npm install *` (still learning; 2 decision(s))"),
        "{out}"
    );
}

#[test]
fn a_name_that_matches_nothing_exits_non_zero_and_revokes_nothing() {
    let env = Env::new();
    let t = env.decide_n(T0, 10, "npm test", Decision::Allow);
    for args in [
        &["revoke", "terraform destroy"][..],
        &["revoke", "cargo bench *"],
        &["revoke", "--exact-key", "npm tset"],
        &["revoke", "--exact-scope", "npm tset"],
    ] {
        let (code, out, err) = run(&env, t, args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("nothing revoked"), "{args:?}: {err}");
        assert!(!out.contains("revoked"), "{args:?}: {out}");
    }
    // A read-only command is decided by the baseline, not by anything learned: say so.
    let (code, _, err) = run(&env, t, &["revoke", "git status"]);
    assert_eq!(code, 1);
    assert!(err.contains("baseline:read-only"), "{err}");
    assert_eq!(audited_revocations(&env), 0);
    // The learned pattern is untouched.
    assert_eq!(env.check(t + 1, "x", "npm test").0, 0);
}
