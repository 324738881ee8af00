//! How rules reach the commands nested in the one they judge (a command line in inline code,
//! in a tool's option, in a pager variable): through a [`Rater`] handed to them. The shell
//! walker implements it, so no rule family depends on the walker; depth and the work budget
//! are the [`super::budget`]'s.

use super::judge::Judge;
use super::{Assessment, Context};
use crate::request::RiskTier;

/// Rates command lines nested in the command being judged, one level deeper and charged to
/// the same work budget.
pub(crate) trait Rater {
    /// Whether nested command lines are still looked for at this depth (they are not below
    /// [`super::budget::SEARCH_NEST`] levels).
    fn searches_nested(&self) -> bool;

    /// Rates `line`, a command line the judged command runs, one level deeper.
    fn rate(&self, line: &str, ctx: &Context) -> Assessment;

    /// Rates `line` and raises `j` to its tier when that is above `above`, as `factor` with
    /// "{who} runs: {reason}"; carries a secret read over to `j`.
    fn judge_inner(
        &self,
        j: &mut Judge,
        line: &str,
        ctx: &Context,
        (above, factor, who): (RiskTier, &str, &str),
    ) {
        let inner = self.rate(line, ctx);
        if inner.risk.tier > above {
            j.raise(
                inner.risk.tier,
                factor,
                &format!("{who} runs: {}", inner.reason),
            );
        }
        if inner
            .segments
            .iter()
            .any(|s| s.risk.factors.iter().any(|f| f == "secret_access"))
        {
            j.secret = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Records the lines it is asked to rate and rates each HIGH (too complex).
    #[derive(Default)]
    struct Recorder {
        deep: bool,
        lines: RefCell<Vec<String>>,
    }

    impl Rater for Recorder {
        fn searches_nested(&self) -> bool {
            !self.deep
        }

        fn rate(&self, line: &str, _ctx: &Context) -> Assessment {
            self.lines.borrow_mut().push(line.to_string());
            super::super::budget::too_complex(line)
        }
    }

    fn judge_with(r: &Recorder, line: &str) -> Judge {
        let parsed = crate::shell::parse(line);
        let mut j = Judge::default();
        for cmd in &parsed.commands {
            let prog = cmd.program();
            let inv = super::super::registry::invocation(cmd, &prog);
            super::super::registry::judge(&inv, &Context::default(), &mut j, r);
            super::super::embedded::judge(cmd, &prog, &Context::default(), &mut j, r);
        }
        j
    }

    #[test]
    fn rules_reach_nested_commands_through_the_rater_they_are_given() {
        let r = Recorder::default();
        judge_with(&r, r#"python3 -c "import os; os.system('rm -rf /tmp/x')""#);
        judge_with(&r, r#"awk 'BEGIN { system("rm -rf /tmp/y") }'"#);
        let lines = r.lines.borrow();
        assert!(lines.iter().any(|l| l == "rm -rf /tmp/x"), "{lines:?}");
        assert!(lines.iter().any(|l| l == "rm -rf /tmp/y"), "{lines:?}");
        // Past the search depth, nothing nested is looked for.
        let deep = Recorder {
            deep: true,
            ..Recorder::default()
        };
        judge_with(
            &deep,
            r#"python3 -c "import os; os.system('rm -rf /tmp/x')""#,
        );
        assert!(deep.lines.borrow().is_empty());
    }

    #[test]
    fn judge_inner_raises_to_the_nested_tier_above_the_floor() {
        let r = Recorder::default();
        let mut j = Judge::default();
        r.judge_inner(
            &mut j,
            "x",
            &Context::default(),
            (RiskTier::Medium, "f", "who"),
        );
        assert_eq!(j.tier, RiskTier::High);
        assert!(j.reason("").starts_with("who runs: "));
        let mut k = Judge::default();
        r.judge_inner(
            &mut k,
            "x",
            &Context::default(),
            (RiskTier::High, "f", "who"),
        );
        assert_eq!(k.tier, RiskTier::Low);
    }
}
