//! The word grammar (issue 20): judges a simple command by what its words say, for programs
//! no rule family names, and as a floor beneath the families that do.
//!
//! Three readings, each driven by the tables of [`table`]:
//! - **verbs** ([`verbs`]): an irreversible subcommand or flag (`delete`, `destroy`,
//!   `--purge`), a confirmation-skipping flag (`--force`, `--yes`, `-auto-approve`) and a
//!   production or all-embracing target (`prod`, `--all`, a whole project or cluster); reading
//!   verbs (`list`, `get`, `plan`) and previews (`--dry-run`, `--help`);
//! - **exposure** ([`exposure`]): listeners bound to every interface, tunnels that publish a
//!   local port, protection switched off, a file server rooted at `/` or the home;
//! - **secrets in motion** ([`credentials`]): a credential-shaped value in a URL or in the
//!   arguments of a program that sends them over the network.
//!
//! On a program no family owns the verbs decide ([`judge_unowned`]); on an owned program they
//! may only raise a family's rating, and only when a destructive verb comes with a flag that
//! skips its confirmation ([`floor`]), so a family's deliberate LOWs (`terraform plan`, `helm
//! list`, `docker compose down`, `--dry-run` forms) stand. Exposure and secrets in motion
//! raise on every program ([`exposure_and_secrets`]). Matching is on the parsed words, ASCII
//! case ignored, against static tables: no allocation per word and no regular expression.

mod credentials;
mod exposure;
pub(super) mod table;
mod verbs;

pub(super) use credentials::credential_shape;

use super::Context;
use super::judge::Judge;
use super::rater::Rater;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;
use std::cell::Cell;
use verbs::{Reading, Strength};

thread_local! {
    /// Set while [`with_family_rules_off`] runs: every program is judged as if no family
    /// owned it (a measurement of the grammar alone, never set on the gate's path).
    static FAMILY_RULES_OFF: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the program families switched off on this thread, so only the generic
/// rules and the grammar judge (leave-one-family-out measurements).
pub(super) fn with_family_rules_off<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            FAMILY_RULES_OFF.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(FAMILY_RULES_OFF.with(|c| c.replace(true)));
    f()
}

/// True while [`with_family_rules_off`] runs on this thread.
pub(super) fn family_rules_off() -> bool {
    FAMILY_RULES_OFF.with(Cell::get)
}

/// What the grammar decided about a program no family owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// A destructive verb was found and rated.
    Destructive,
    /// The command reads or previews: rated LOW.
    Reading,
    /// The words say nothing decisive: the caller rates it as an unknown program.
    Undecided,
}

/// Judges the verbs of a command whose program no family owns (or whose owner declined it).
pub(super) fn judge_unowned(cmd: &SimpleCommand, prog: &str, j: &mut Judge) -> Verdict {
    let r = verbs::read(cmd, prog);
    if r.preview {
        j.note("preview", "previews or shows help only");
        return Verdict::Reading;
    }
    match r.verb {
        Some((word, strength)) => {
            let tier = match (strength, r.skip.is_some(), r.wide.is_some()) {
                (_, true, true) => RiskTier::Critical,
                (_, true, false) | (Strength::Hard, false, _) => RiskTier::High,
                (Strength::Soft, false, _) => RiskTier::Medium,
            };
            raise_destructive(j, tier, word, &r);
            Verdict::Destructive
        }
        None if r.reading => {
            j.note("reading_verb", "its subcommand only reads");
            Verdict::Reading
        }
        None => Verdict::Undecided,
    }
}

/// Raises a command whose program a family owns and has judged, never lowering: a hard
/// destructive verb with a confirmation-skipping flag is HIGH, with a production or
/// all-embracing target as well CRITICAL. Soft verbs (`rm`, `uninstall`, `down`) count only
/// when `soft_counts` (the cloud family's CLIs, where `--yes` skips the one prompt before a
/// resource goes); verbs without a skipping flag are left to the family.
pub(super) fn floor(cmd: &SimpleCommand, prog: &str, soft_counts: bool, j: &mut Judge) {
    if super::args::data_args(prog) || super::readonly::is_read_only(prog) {
        return;
    }
    let r = verbs::read(cmd, prog);
    if r.preview {
        return;
    }
    // On an owned program only an explicit confirmation skip counts (`git fetch --all`).
    if let Some((word, strength)) = r.verb
        && (strength == Strength::Hard || soft_counts)
        && r.skip.is_some_and(|s| s != "--all")
    {
        let tier = if r.wide.is_some() {
            RiskTier::Critical
        } else {
            RiskTier::High
        };
        if tier > j.tier {
            raise_destructive(j, tier, word, &r);
        }
    }
}

fn raise_destructive(j: &mut Judge, tier: RiskTier, word: &str, r: &Reading) {
    let mut why = format!("runs a destructive subcommand or option ({word})");
    if let Some(s) = r.skip {
        why.push_str(&format!(" without asking for confirmation ({s})"));
    }
    if let Some(w) = &r.wide {
        why.push_str(&format!(" on a production or all-embracing target ({w})"));
    }
    j.raise(tier, "destructive_subcommand", &why);
    if tier > RiskTier::Medium {
        j.no_pattern = true;
    }
}

/// Options of programs no family owns whose value is a command line the program runs
/// (`ansible -a '…'`, `salt '*' cmd.run '…'`).
const COMMAND_OPTIONS: &[&str] = &["-a", "--args", "--command", "--cmd", "--exec", "--run"];

/// Positional words after which the next word is a command line (`cmd.run`, `shell`).
const COMMAND_WORDS: &[&str] = &["cmd.run", "cmd.shell", "cmd.script", "shell", "raw"];

/// Rates the command lines a program no family owns is handed to run: raises `j` to their
/// tier when that is above MEDIUM.
pub(super) fn nested_commands(
    cmd: &SimpleCommand,
    ctx: &Context,
    j: &mut Judge,
    nested: &dyn Rater,
) {
    if !nested.searches_nested() {
        return;
    }
    let args = cmd.args();
    for (i, w) in args.iter().enumerate() {
        let t = w.text.as_str();
        let takes = if t.starts_with('-') {
            verbs::is_in(COMMAND_OPTIONS, t)
        } else {
            verbs::is_in(COMMAND_WORDS, t)
        };
        if let Some(next) = args.get(i + 1).filter(|_| takes)
            && next.text.contains(' ')
        {
            nested.judge_inner(
                j,
                &next.text,
                ctx,
                (RiskTier::Medium, "runs_command", "the command it is handed"),
            );
        }
    }
}

/// Exposure and secrets in motion, on any program: raises only.
pub(super) fn exposure_and_secrets(cmd: &SimpleCommand, prog: &str, ctx: &Context, j: &mut Judge) {
    exposure::judge(cmd, prog, ctx, j);
    credentials::judge(cmd, prog, j);
}

#[cfg(test)]
mod tests;
