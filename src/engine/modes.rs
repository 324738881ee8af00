//! The runtime's own permission mode (`permission_mode` in Claude Code's payloads) and what an
//! aiperture "ask" means under it.
//!
//! In Claude Code's **auto** mode a model-based classifier reviews each action and allows by
//! default; a hook's `ask` there is a prompt the user would not otherwise see, and a hook that
//! answers nothing leaves the action to the classifier. So under auto mode aiperture is the
//! deterministic floor beneath the classifier: it allows what it knows is safe (read-only,
//! learned, allowed by a rule or preset), denies what it knows is dangerous (CRITICAL,
//! self-protection, learned denials, deny rules), asks a human at HIGH and for explicit ask
//! rules, and **defers** everything else — an unlearned action below HIGH — to the classifier
//! ([`DEFERRED_BY`]). A deferred action that runs was approved by a model, not a person: it
//! leaves no pending ask, so it teaches nothing. `auto_mode_prompts = true` keeps aiperture's
//! prompts instead. The other modes keep their handling (`docs/runtimes/auto-mode.md`).

use crate::request::{Decision, RiskTier};

/// `decided_by` of a check left to the runtime's classifier.
pub const DEFERRED_BY: &str = "runtime_classifier";

/// Whether the runtime reviews actions with its own classifier in this mode. Only Claude
/// Code has such a mode (and only there does "no answer" from a hook mean "let the classifier
/// decide"); the other runtimes' modes are documented in `docs/runtimes/auto-mode.md`.
pub fn classifier_reviews(runtime: &str, mode: Option<&str>) -> bool {
    runtime == "claude-code" && matches!(mode, Some("auto"))
}

/// Whether a check decided `decision` by `decided_by` at `tier` is left to the runtime's
/// classifier instead of prompting: in auto mode, for an ask that only the default or the
/// session budget raised, below HIGH. Never a deny, never HIGH or CRITICAL, never an ask a
/// policy rule, the risk floor, a policy error or the rate limit raised.
pub fn defers(
    runtime: &str,
    mode: Option<&str>,
    decision: Decision,
    decided_by: &str,
    tier: RiskTier,
    prompts_in_auto: bool,
) -> bool {
    classifier_reviews(runtime, mode)
        && !prompts_in_auto
        && decision == Decision::Ask
        && tier < RiskTier::High
        && matches!(decided_by, "default" | "budget")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unlearned_asks_below_high_in_auto_mode_are_deferred() {
        let auto = Some("auto");
        assert!(defers(
            "claude-code",
            auto,
            Decision::Ask,
            "default",
            RiskTier::Medium,
            false
        ));
        assert!(defers(
            "claude-code",
            auto,
            Decision::Ask,
            "budget",
            RiskTier::Low,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Ask,
            "risk_floor",
            RiskTier::High,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Ask,
            "default",
            RiskTier::High,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Ask,
            "policy:user:ask#1",
            RiskTier::Medium,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Deny,
            "risk_floor",
            RiskTier::Critical,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Deny,
            "default",
            RiskTier::Medium,
            false
        ));
        assert!(!defers(
            "claude-code",
            auto,
            Decision::Ask,
            "default",
            RiskTier::Medium,
            true
        ));
        assert!(!defers(
            "codex",
            auto,
            Decision::Ask,
            "default",
            RiskTier::Medium,
            false
        ));
        for mode in [
            None,
            Some("default"),
            Some("plan"),
            Some("acceptEdits"),
            Some("dontAsk"),
            Some("bypassPermissions"),
        ] {
            assert!(
                !defers(
                    "claude-code",
                    mode,
                    Decision::Ask,
                    "default",
                    RiskTier::Medium,
                    false
                ),
                "{mode:?}"
            );
        }
    }
}
