//! Rate limit and risk budget across processes.

#[path = "engine_support/mod.rs"]
mod support;

use aiperture::request::Decision;
use support::{Env, MIN, T0};

#[test]
fn the_201st_check_of_a_session_within_a_minute_is_denied_across_processes() {
    let env = Env::new();
    for i in 0..200 {
        let out = env
            .cmd(T0 + i * 100)
            .args(["check", "--session", "busy", "--scope", "mkdir -p build"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "check {i}");
    }
    let (code, v) = env.check(T0 + 30_000, "busy", "mkdir -p build");
    assert_eq!(
        (code, v["decided_by"].as_str()),
        (2, Some("rate_limit")),
        "{v}"
    );
    // Other sessions are unaffected and the window slides.
    assert_eq!(env.check(T0 + 30_000, "calm", "mkdir -p build").0, 3);
    assert_eq!(env.check(T0 + 2 * MIN, "busy", "mkdir -p build").0, 3);
}

#[test]
fn an_exhausted_budget_turns_allows_into_asks() {
    let env = Env::new().with_env("AIPERTURE_SESSION_RISK_BUDGET", "1");
    let t = env.decide_n(T0, 10, "npm test", Decision::Allow);
    let mut allows = 0;
    let mut last = serde_json::Value::Null;
    for i in 0..15 {
        let (code, v) = env.check(t + i, "spender", "npm test");
        if code == 0 {
            allows += 1;
            continue;
        }
        last = v;
        break;
    }
    assert!(allows >= 1, "some allows before the budget runs out");
    assert_eq!(last["decision"], "ask", "{last}");
    assert_eq!(last["decided_by"], "budget", "{last}");
    // Another session has its own budget; an idle session gets its budget back.
    assert_eq!(env.check(t + 20, "other", "npm test").0, 0);
    assert_eq!(env.check(t + 31 * MIN, "spender", "npm test").0, 0);
}
