//! Scripts, rated by the commands they hold:
//! - written and run in the same command line: `cat > a.sh <<'EOF' … EOF && bash a.sh`,
//!   `echo 'rm -rf ~' > a.sh; sh a.sh`, `printf … | tee run.sh; source run.sh`, `./a.sh`.
//!   Without looking into them, `bash a.sh` was a MEDIUM "runs a shell script" whatever the
//!   script held; the script's text is rated like any command line and its rating given to
//!   the command that runs it;
//! - written by a file tool (`super::written_text`): a shell script, a `package.json`'s
//!   `scripts`, `Makefile` and `justfile` recipes ([`file_commands`], [`worst_command`]).
//!
//! Nested command lines are rated through the [`Rater`] the caller hands in.

use super::Context;
use super::judge::Judge;
use super::rater::Rater;
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, is_shell};

/// Raises the judge of every command that runs a script an earlier command of the same line
/// wrote with literal content.
pub(super) fn judge_written(
    commands: &[SimpleCommand],
    judges: &mut [Judge],
    ctx: &Context,
    rater: &dyn Rater,
) {
    if !rater.searches_nested() || commands.len() < 2 {
        return;
    }
    let mut written: Vec<(String, String)> = Vec::new();
    for (cmd, j) in commands.iter().zip(judges.iter_mut()) {
        if let Some(path) = runs_script(cmd, ctx)
            && let Some((_, text)) = written.iter().rev().find(|(p, _)| *p == path)
        {
            let inner = rater.rate(text, ctx);
            if inner.risk.tier > RiskTier::Low {
                j.raise(
                    inner.risk.tier,
                    "script_written_here",
                    &format!(
                        "runs a script written in the same command: {}",
                        inner.reason
                    ),
                );
            }
            if inner.risk.tier >= RiskTier::High {
                j.no_pattern = true;
            }
        }
        if let Some(text) = literal_output(cmd) {
            for (path, append) in destinations(cmd, ctx) {
                match written.iter_mut().rev().find(|(p, _)| *p == path) {
                    Some((_, old)) if append => old.push_str(&text),
                    _ => written.push((path, text.clone())),
                }
            }
        }
    }
}

/// The script a command runs: `bash|sh … FILE`, `source FILE`, `. FILE`, or `./FILE`.
fn runs_script(cmd: &SimpleCommand, ctx: &Context) -> Option<String> {
    let first = cmd.argv.first()?;
    let prog = cmd.program();
    if is_shell(&prog) {
        let args = cmd.args();
        if args
            .iter()
            .any(|w| w.text.starts_with('-') && w.text.contains('c'))
        {
            return None;
        }
        return args
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .map(|w| normalize(&w.text, ctx));
    }
    if prog == "source" || prog == "." {
        return cmd.args().first().map(|w| normalize(&w.text, ctx));
    }
    first
        .text
        .contains('/')
        .then(|| normalize(&first.text, ctx))
}

/// The text a command prints when it is literal: `echo`, `printf`, or `cat`/`tee` fed a
/// heredoc, a here-string or piped literal text.
fn literal_output(cmd: &SimpleCommand) -> Option<String> {
    let prog = cmd.program();
    let args = cmd.args();
    if args.iter().any(|w| w.dynamic) {
        return None;
    }
    match prog.as_str() {
        "echo" => {
            let mut escapes = false;
            let mut words = Vec::new();
            let mut options = true;
            for w in args {
                let t = w.text.as_str();
                if options
                    && t.len() > 1
                    && t.starts_with('-')
                    && t[1..].chars().all(|c| "neE".contains(c))
                {
                    escapes |= t.contains('e');
                    continue;
                }
                options = false;
                words.push(t);
            }
            let text = words.join(" ");
            Some(if escapes { unescape(&text) } else { text } + "\n")
        }
        "printf" => {
            let format = args.first()?.text.as_str();
            let rest: Vec<&str> = args.iter().skip(1).map(|w| w.text.as_str()).collect();
            Some(if format.contains('%') && !rest.is_empty() {
                rest.join("\n") + "\n"
            } else {
                unescape(format)
            })
        }
        "cat" | "tee" => cmd.stdin_text.clone(),
        _ => None,
    }
}

/// Where a command's output goes: redirections that write, and `tee`'s files, with whether
/// they append.
fn destinations(cmd: &SimpleCommand, ctx: &Context) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = cmd
        .redirects
        .iter()
        .filter(|r| r.writes() && r.fd.as_deref().is_none_or(|fd| fd == "1"))
        .map(|r| (normalize(&r.target.text, ctx), r.op.starts_with(">>")))
        .collect();
    if cmd.program() == "tee" {
        let append = cmd
            .args()
            .iter()
            .any(|w| w.text == "-a" || w.text == "--append");
        out.extend(
            cmd.args()
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .map(|w| (normalize(&w.text, ctx), append)),
        );
    }
    out
}

/// The file a script path names, read as the classifier reads every path
/// ([`super::paths::resolve`]), so `a.sh`, `./a.sh`, `x/../a.sh` and `$PWD/a.sh` are one
/// file; the word itself when a variable hides the place.
fn normalize(path: &str, ctx: &Context) -> String {
    match super::paths::resolve(path, ctx) {
        Some(r) => r.path,
        None => path.to_string(),
    }
}

/// `\n` and `\t` escapes as echo -e and printf read them.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n").replace("\\t", "\t")
}

/// The command lines a file would run, when it is a shell script (by extension or shebang), a
/// `package.json` (its `scripts`), or a `Makefile`/`justfile` (recipe lines), in blocks the
/// shell front end accepts; `None` for other files.
pub(super) fn file_commands(path: &str, text: &str) -> Option<Vec<String>> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let commands: Vec<String> = if lower == "package.json" {
        package_scripts(text)
    } else if matches!(lower.as_str(), "makefile" | "gnumakefile") || lower.ends_with(".mk") {
        text.lines()
            .filter_map(|l| l.strip_prefix('\t'))
            .map(|l| l.trim_start_matches(['@', '-', '+']).to_string())
            .collect()
    } else if lower == "justfile" || lower == ".justfile" {
        text.lines()
            .filter(|l| l.starts_with(' ') || l.starts_with('\t'))
            .map(|l| l.trim().trim_start_matches(['@', '-']).to_string())
            .collect()
    } else if is_shell_script(&lower, text) {
        vec![text.to_string()]
    } else {
        return None;
    };
    // A script longer than one command line may be is read in blocks of whole lines, up to
    // SCRIPT_BYTES in all (a hook call stays bounded).
    let mut blocks: Vec<String> = Vec::new();
    let mut budget = SCRIPT_BYTES;
    for c in commands {
        if c.len() <= BLOCK_BYTES && c.lines().count() <= BLOCK_LINES {
            budget = budget.saturating_sub(c.len());
            blocks.push(c);
            continue;
        }
        let mut block = String::new();
        let mut lines = 0;
        for line in c.lines() {
            if (block.len() + line.len() + 1 > BLOCK_BYTES || lines == BLOCK_LINES)
                && !block.is_empty()
            {
                budget = budget.saturating_sub(block.len());
                blocks.push(std::mem::take(&mut block));
                lines = 0;
            }
            if budget == 0 {
                break;
            }
            block.push_str(line);
            block.push('\n');
            lines += 1;
        }
        if !block.is_empty() {
            blocks.push(block);
        }
    }
    Some(blocks)
}

/// The highest tier among a file's command lines (rated through `rater`, one work budget for
/// the file) and its reason, when it reaches HIGH.
pub(super) fn worst_command(
    commands: &[String],
    ctx: &Context,
    rater: &dyn Rater,
) -> Option<(RiskTier, String)> {
    let mut worst: Option<(RiskTier, String)> = None;
    for command in commands.iter().filter(|c| !c.trim().is_empty()).take(128) {
        let inner = rater.rate(command, ctx);
        // What the commands do, not whether a whole file parses cleanly or fits the one-line
        // limits (those make a command line HIGH, not a script worth a question).
        let whole_line = inner.risk.factors.iter().any(|f| {
            matches!(
                f.as_str(),
                "fork_bomb" | "exfiltration" | "hidden_characters"
            )
        });
        let (tier, reason) = match inner.segments.iter().max_by_key(|s| s.risk.tier) {
            Some(s) if !whole_line || s.risk.tier >= inner.risk.tier => {
                (s.risk.tier, format!("{}: {}", s.program, s.reason))
            }
            _ if whole_line => (inner.risk.tier, inner.reason.clone()),
            _ => continue,
        };
        if tier >= RiskTier::High && worst.as_ref().is_none_or(|(t, _)| tier > *t) {
            worst = Some((tier, reason));
        }
    }
    worst
}

/// The most text of one file rated (in blocks of [`BLOCK_BYTES`]); the rest is not read.
const SCRIPT_BYTES: usize = 256 * 1024;

/// The size of one block, under the shell front end's one-line limit (64 KiB).
const BLOCK_BYTES: usize = 60 * 1024;

/// Lines of one block, under the shell front end's limit of simple commands per line (512).
const BLOCK_LINES: usize = 200;

fn is_shell_script(name: &str, text: &str) -> bool {
    let by_name = [".sh", ".bash", ".zsh", ".ksh", ".command"]
        .iter()
        .any(|e| name.ends_with(e));
    let by_shebang = text.lines().next().is_some_and(|l| {
        l.starts_with("#!")
            && ["sh", "bash", "zsh", "dash", "ksh"]
                .iter()
                .any(|s| l.split(['/', ' ']).any(|w| w == *s))
    });
    by_name || by_shebang
}

/// The commands of a package.json's `scripts`: parsed when the text is the whole file, else
/// (an edit's inserted text) every `"name": "value"` pair's value.
fn package_scripts(text: &str) -> Vec<String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        return v
            .get("scripts")
            .and_then(|s| s.as_object())
            .map(|o| {
                o.values()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
    }
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((_, value)) = line.split_once("\":") else {
            continue;
        };
        let value = value.trim().trim_end_matches(',').trim();
        if let Ok(serde_json::Value::String(s)) = serde_json::from_str(value) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(cwd: &str) -> Context {
        Context {
            cwd: cwd.into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            ..Context::default()
        }
    }

    fn tier(cmd: &str, cwd: &str) -> RiskTier {
        super::super::assess("shell", "execute", cmd, &ctx(cwd))
            .risk
            .tier
    }

    #[test]
    fn a_script_is_one_file_however_its_path_is_spelled() {
        let plain = tier("echo 'ls' > a.sh; bash a.sh", "/home/u/proj");
        for cmd in [
            "echo 'rm -rf ~' > /home/u/proj/a.sh; bash a.sh",
            "echo 'rm -rf ~' > a.sh; bash /home/u/proj/a.sh",
            "echo 'rm -rf ~' > x/../a.sh; bash ./a.sh",
            "echo 'rm -rf ~' > $PWD/a.sh; sh a.sh",
            "echo 'rm -rf ~' > ~/a.sh; cd; bash /home/u/a.sh",
        ] {
            assert_eq!(tier(cmd, "/home/u/proj"), RiskTier::Critical, "{cmd}");
        }
        assert!(plain < RiskTier::High, "{plain:?}");
        // With no absolute cwd the two spellings still name one (unknown) file.
        assert_eq!(
            tier("echo 'rm -rf ~' > ./a.sh; bash a.sh", ""),
            RiskTier::Critical
        );
    }
}
