//! How the code-swapping options [`super::find`] reports are rated: a named file as a write,
//! a named command as a command, any other value MEDIUM, HIGH when it points outside the
//! project or fetches over plain HTTP; never generalized.

use super::{Swap, find};
use crate::request::RiskTier;
use crate::risk::Context;
use crate::risk::judge::Judge;
use crate::risk::paths::{self, PathClass};
use crate::risk::rater::Rater;
use crate::shell::{SimpleCommand, Word};

/// Rates every code-swapping option of `cmd` into `j` (see the module doc).
pub(in crate::risk) fn judge(
    cmd: &SimpleCommand,
    prog: &str,
    ctx: &Context,
    j: &mut Judge,
    nested: &dyn Rater,
) {
    // Builtins that run no code read no configuration (`GIT_DIR=… echo $GIT_DIR`), and
    // `git -C dir --version` prints git's own version without opening the repository.
    if matches!(prog, "echo" | "printf" | "true" | "false" | ":")
        || (prog == "git" && only_version(cmd))
    {
        return;
    }
    for hit in find(cmd) {
        j.no_pattern = true;
        let shown = hit
            .value
            .as_ref()
            .map(|v| v.text.chars().take(60).collect::<String>())
            .unwrap_or_default();
        let opt = &hit.option;
        match hit.swap {
            Swap::Writes => {
                let what = if shown.is_empty() {
                    "files".to_string()
                } else {
                    format!("`{shown}`")
                };
                j.raise(
                    RiskTier::Medium,
                    Swap::Writes.factor(),
                    &format!("`{opt}` makes {prog} write {what}"),
                );
                if let Some(v) = &hit.value
                    && !matches!(v.text.as_str(), "-" | "/dev/stdout" | "/dev/stderr")
                {
                    crate::risk::rules_fs::write_target(v, ctx, j);
                }
            }
            Swap::Runs => {
                let dynamic = hit.value.as_ref().is_none_or(|v| v.dynamic);
                let away = hit
                    .value
                    .as_ref()
                    .and_then(|v| v.text.split_whitespace().next().map(str::to_string))
                    .and_then(|program| outside_project(&program, ctx));
                let tier = if dynamic || away.is_some() {
                    RiskTier::High
                } else {
                    RiskTier::Medium
                };
                j.raise(
                    tier,
                    Swap::Runs.factor(),
                    &format!("`{opt}` makes {prog} run `{shown}`"),
                );
                if let Some(v) = &hit.value
                    && !dynamic
                    && nested.searches_nested()
                {
                    nested.judge_inner(
                        j,
                        &v.text,
                        ctx,
                        (tier, "runs_by_option_dangerous", &format!("{prog} {opt}")),
                    );
                }
            }
            swap => judge_value(swap, &format!("`{opt}`"), prog, hit.value.as_ref(), ctx, j),
        }
    }
}

/// Rates an option's or a variable's value of kind `swap` (not `Runs`/`Writes`): MEDIUM, HIGH
/// when it points outside the project or fetches over plain HTTP.
pub(in crate::risk) fn judge_value(
    swap: Swap,
    what: &str,
    prog: &str,
    value: Option<&Word>,
    ctx: &Context,
    j: &mut Judge,
) {
    j.no_pattern = true;
    let whom = if prog.is_empty() {
        "programs".to_string()
    } else {
        prog.to_string()
    };
    let says = swap.says().replace(" it ", &format!(" {whom} "));
    let outside = value.and_then(|v| outside_project(&v.text, ctx));
    let plain_http = swap == Swap::Registry
        && value.is_some_and(|v| {
            let t = v.text.to_ascii_lowercase();
            t.contains("http://")
                && !["http://localhost", "http://127.0.0.1", "http://[::1]"]
                    .iter()
                    .any(|l| t.contains(l))
        });
    if let Some(place) = outside {
        j.raise(
            RiskTier::High,
            swap.factor(),
            &format!("{what} {says}, from `{place}` outside the project"),
        );
    } else if plain_http {
        j.raise(
            RiskTier::High,
            swap.factor(),
            &format!("{what} {says}, over plain HTTP"),
        );
    } else {
        j.raise(RiskTier::Medium, swap.factor(), &format!("{what} {says}"));
    }
}

/// The first path named in `text` (a path, a `:`-list, `key=value`, a TOML snippet) that lies
/// outside the project in a place others can write (temp, home, elsewhere); system
/// directories and the project itself are not.
fn outside_project(text: &str, ctx: &Context) -> Option<String> {
    if text.contains("://") {
        return None;
    }
    let tokens = text
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ':' | ',' | '=' | '"' | '\'' | ';' | '[' | ']' | '{' | '}' | '(' | ')'
                )
        })
        .filter(|t| !t.is_empty())
        .take(32);
    for tok in tokens {
        let pathlike = tok.starts_with(['/', '~', '.']) || tok.contains('/');
        if !pathlike || tok.starts_with('$') {
            continue;
        }
        let info = paths::classify(tok, ctx);
        if info.unresolved {
            continue;
        }
        let away = matches!(
            info.class,
            PathClass::Temp
                | PathClass::Home
                | PathClass::HomeDot
                | PathClass::HomeRoot
                | PathClass::ShellRc
                | PathClass::Outside
                | PathClass::Root
                | PathClass::Device
                | PathClass::GitInternal
                | PathClass::NetSocket
        );
        if away {
            return Some(tok.to_string());
        }
    }
    None
}

/// `git -C dir --version`: nothing but directory changes and `--version`.
fn only_version(cmd: &SimpleCommand) -> bool {
    let args = cmd.args();
    let mut rest = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        if w.text == "-C" {
            i += 2;
            continue;
        }
        rest.push(w.text.as_str());
        i += 1;
    }
    rest == ["--version"]
}
