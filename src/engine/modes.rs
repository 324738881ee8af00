//! What an aiperture "ask" means under the runtime's own permission mode, read only from the
//! runtime-neutral [`Unasked`] the adapter set (the runtime's mode strings stay in its
//! adapter; `permission_mode` is kept raw for the audit).
//!
//! Where a model-based classifier reviews each action in place of the human
//! ([`Unasked::Classifier`], Claude Code's **auto** mode) and allows by default, a hook's `ask`
//! is a prompt the user would not otherwise see, and a hook that answers nothing leaves the
//! action to the classifier. So there aiperture is the deterministic floor beneath the
//! classifier: it allows what it knows is safe (read-only, learned, allowed by a rule or
//! preset), denies what it knows is dangerous (CRITICAL, self-protection, learned denials,
//! deny rules), asks a human at HIGH and for explicit ask rules, and **defers** everything
//! else — an unlearned action below HIGH — to the classifier ([`DEFERRED_BY`]). A deferred
//! action that runs was approved by a model, not a person: it leaves no pending ask, so it
//! teaches nothing. `auto_mode_prompts = true` keeps aiperture's prompts instead. The other
//! modes keep their handling (`docs/runtimes/auto-mode.md`).

use crate::request::{Decision, RiskTier, Unasked};

/// `decided_by` of a check left to the runtime's classifier.
pub const DEFERRED_BY: &str = "runtime_classifier";

/// Whether a check decided `decision` by `decided_by` at `tier` is left to the runtime's
/// classifier instead of prompting: where a classifier reviews the actions, for an ask that
/// only the default or the session budget raised, below HIGH. Never a deny, never HIGH or
/// CRITICAL, never an ask a policy rule, the risk floor, a policy error or the rate limit
/// raised.
pub fn defers(
    unasked: Unasked,
    decision: Decision,
    decided_by: &str,
    tier: RiskTier,
    prompts_in_auto: bool,
) -> bool {
    unasked == Unasked::Classifier
        && !prompts_in_auto
        && decision == Decision::Ask
        && tier < RiskTier::High
        && matches!(decided_by, "default" | "budget")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unlearned_asks_below_high_under_a_classifier_are_deferred() {
        let c = Unasked::Classifier;
        assert!(defers(c, Decision::Ask, "default", RiskTier::Medium, false));
        assert!(defers(c, Decision::Ask, "budget", RiskTier::Low, false));
        assert!(!defers(
            c,
            Decision::Ask,
            "risk_floor",
            RiskTier::High,
            false
        ));
        assert!(!defers(c, Decision::Ask, "default", RiskTier::High, false));
        assert!(!defers(
            c,
            Decision::Ask,
            "policy:user:ask#1",
            RiskTier::Medium,
            false
        ));
        assert!(!defers(
            c,
            Decision::Deny,
            "risk_floor",
            RiskTier::Critical,
            false
        ));
        assert!(!defers(
            c,
            Decision::Deny,
            "default",
            RiskTier::Medium,
            false
        ));
        assert!(!defers(c, Decision::Ask, "default", RiskTier::Medium, true));
        for u in [Unasked::Nothing, Unasked::Edits, Unasked::Everything] {
            assert!(
                !defers(u, Decision::Ask, "default", RiskTier::Medium, false),
                "{u:?}"
            );
        }
    }
}
