//! `Gate::progress`: the one way an adapter learns how close an ask's pattern is to being
//! learned (it never computes learning keys itself).

mod engine_support;

use aiperture::clock::ManualClock;
use aiperture::engine::Progress;
use aiperture::request::Decision;
use engine_support::{Env, MIN, T0};
use std::sync::Arc;

#[test]
fn an_asks_progress_counts_the_human_approvals_of_its_pattern() {
    let env = Env::new();
    let after = env.decide_n(T0, 3, "npm test", Decision::Allow);
    let clock = Arc::new(ManualClock::new(after + MIN));
    let gate = env.gate(&clock);
    let req = env.shell("s-new", "npm test -- --watch");
    let out = gate.check_full(&req, true).unwrap();
    assert_eq!(out.verdict.decision, Decision::Ask, "{:?}", out.verdict);
    let needed = gate.config().needed(out.verdict.risk.tier);
    assert_eq!(
        gate.progress(&req, &out.verdict),
        Some(Progress {
            approvals: 3,
            needed,
            pattern: "npm test *".into(),
        })
    );
    // Unrelated approvals do not count.
    let other = env.shell("s-new", "cargo build");
    let out = gate.check_full(&other, true).unwrap();
    let p = gate.progress(&other, &out.verdict).unwrap();
    assert_eq!(p.approvals, 0);
    assert_eq!(p.pattern, "cargo build *");
}
