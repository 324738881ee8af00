//! Rating the text a file tool writes by the commands it would run (a shell script, a
//! `package.json`'s `scripts`, `Makefile` and `justfile` recipes): each file is the root of one
//! work budget, its command lines rated by the shell walker.

use super::budget::{Budget, FILE_WORK_BUDGET, TOO_COMPLEX_REASON};
use super::{Assessment, Context, score_for, scripts, shell};
use crate::request::{Risk, RiskTier};

/// What a file being written would run, when it is a shell script (by extension or
/// shebang), a `package.json` (its `scripts`), or a `Makefile`/`justfile` (recipe lines):
/// the highest tier among those commands and its reason. `None` for other files, or when
/// nothing in it reaches HIGH.
pub fn written_text_risk(path: &str, text: &str, ctx: &Context) -> Option<(RiskTier, String)> {
    let commands = scripts::file_commands(path, text)?;
    // The file is the root of one work budget: its commands, and all they nest, share it.
    let budget = Budget::with_limit(FILE_WORK_BUDGET);
    let mut worst = scripts::worst_command(&commands, ctx, &shell::nested_rater(budget.root()));
    if budget.tally().exhausted && worst.as_ref().is_none_or(|(t, _)| *t < RiskTier::High) {
        worst = Some((RiskTier::High, TOO_COMPLEX_REASON.to_string()));
    }
    worst
}

/// Rates what a file being written would run (a shell script, a `package.json`'s scripts, a
/// `Makefile`'s recipes) and raises `a` to HIGH when that reaches HIGH or CRITICAL: writing
/// such a file is not running it, so the human is asked rather than the write refused, and the
/// write is never generalized into a pattern. `text` is the whole file or an edit's new text.
pub fn rate_written_text(a: &mut Assessment, path: &str, text: &str, ctx: &Context) {
    let Some((tier, reason)) = written_text_risk(path, text, ctx) else {
        return;
    };
    let reason = format!("writes a file that would run a {tier} command: {reason}");
    let factor = "writes_dangerous_commands".to_string();
    let raised = RiskTier::High.max(a.risk.tier);
    let add = |risk: &mut Risk, reason_slot: &mut String| {
        if risk.tier < raised {
            risk.tier = raised;
            risk.score = score_for(raised, 1);
            *reason_slot = reason.clone();
        } else if !reason_slot.contains(&reason) {
            *reason_slot = format!("{reason_slot}; {reason}");
        }
        if !risk.factors.contains(&factor) {
            risk.factors.insert(0, factor.clone());
        }
    };
    for s in a.segments.iter_mut() {
        s.pattern = None;
        add(&mut s.risk, &mut s.reason);
    }
    add(&mut a.risk, &mut a.reason);
    a.explanation
        .push_str(&format!("\n  [{raised}] content — {reason}"));
}
