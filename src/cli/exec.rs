//! `aiperture exec -- CMD ARGS…`: a shell wrapper. Checks the command as a shell request;
//! allow → replaces itself with the command (same argv, stdio and exit status); deny → the
//! reason on stderr, exit 126; ask → on a terminal asks the human (yes / no, for this run) and
//! records the answer as a human decision, without a terminal refuses (exit 126). Any error
//! refuses too: the wrapper fails closed.

use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::{Decision, Request};
use aiperture::runtimes::setup::shell_quote;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::process::CommandExt;

/// Arguments of `aiperture exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub argv: Vec<String>,
}

/// The exit code of a refused command (as a shell's "cannot execute").
const REFUSED: u8 = 126;

/// The shell text of an argv, each word quoted so the scope reads back to the same argv.
pub fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn request(argv: &[String]) -> Request {
    let session_id = std::env::var("AIPERTURE_SESSION_ID")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("exec-{}", std::os::unix::process::parent_id()));
    aiperture::callsite::located(Request {
        runtime: "exec".into(),
        event: "exec".into(),
        session_id,
        cwd: std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: command_line(argv),
        raw_tool_name: "exec".into(),
        ..Request::default()
    })
}

fn refuse(msg: &str) -> anyhow::Result<ExitCode> {
    eprintln!("aiperture: {msg}");
    Ok(ExitCode::from(REFUSED))
}

/// Runs `aiperture exec`. Every error refuses the command (exit 126), never exit 1.
pub fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    match check_and_run(&args) {
        Ok(code) => Ok(code),
        Err(e) => refuse(&format!("{e:#}; not running it")),
    }
}

fn check_and_run(args: &ExecArgs) -> anyhow::Result<ExitCode> {
    let req = request(&args.argv);
    // The store is closed (the gate dropped) before the command replaces this process.
    if let Some(refused) = decide(&req)? {
        return Ok(refused);
    }
    let Some((program, rest)) = args.argv.split_first() else {
        return refuse("no command given");
    };
    // Only returns on failure.
    let err = std::process::Command::new(program).args(rest).exec();
    eprintln!("aiperture: cannot run `{program}`: {err}");
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        REFUSED
    };
    Ok(ExitCode::from(code))
}

/// Checks the request; `Some(exit code)` when the command must not run.
fn decide(req: &Request) -> anyhow::Result<Option<ExitCode>> {
    let gate = match Gate::open() {
        Ok(g) => g,
        Err(e) => {
            return refuse_some(&format!(
                "could not check `{}` ({e:#}); not running it",
                req.scope
            ));
        }
    };
    let (verdict, pending_id) = match gate.check_full(req, false) {
        Ok(out) => (out.verdict, out.pending_id),
        Err(e) => {
            return refuse_some(&format!(
                "could not check `{}` ({e:#}); not running it",
                req.scope
            ));
        }
    };
    match verdict.decision {
        Decision::Allow => {}
        Decision::Deny => {
            return refuse_some(&format!(
                "blocked `{}`: {} (decided by {})",
                req.scope, verdict.reason, verdict.decided_by
            ));
        }
        Decision::Ask => {
            let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
            if !interactive {
                let how = pending_id
                    .map(|id| {
                        format!(
                            " (to allow it: `aiperture approve {id}` in a terminal, then retry)"
                        )
                    })
                    .unwrap_or_default();
                return refuse_some(&format!(
                    "`{}` needs a human's approval ({}), and there is no terminal to ask; \
                     not running it{how}",
                    req.scope, verdict.reason
                ));
            }
            match prompt(req, &verdict.reason)? {
                Answer::No => {
                    gate.record_human(req, Decision::Deny, "human:exec")?;
                    return refuse_some("not running it (denial recorded)");
                }
                Answer::Yes => gate.record_human(req, Decision::Allow, "human:exec")?,
            }
        }
    }
    Ok(None)
}

fn refuse_some(msg: &str) -> anyhow::Result<Option<ExitCode>> {
    refuse(msg).map(Some)
}

/// The human's answer for this run. There is no "always": one approval is one recorded human
/// decision, and a standing approval is learned from several (as with `aiperture approve`).
enum Answer {
    Yes,
    No,
}

fn prompt(req: &Request, reason: &str) -> anyhow::Result<Answer> {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "aiperture: `{}` needs your approval: {reason}",
        req.scope
    )?;
    loop {
        write!(
            err,
            "Run it this once? [y]es / [n]o (your answer is recorded; repeated approvals teach the pattern): "
        )?;
        err.flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(Answer::No);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(Answer::Yes),
            "n" | "no" | "" => return Ok(Answer::No),
            _ => writeln!(err, "Please answer y or n.")?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_quoted_into_one_command_line() {
        let argv: Vec<String> = ["git", "commit", "-m", "it's done", "a;b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(command_line(&argv), r"git commit -m 'it'\''s done' 'a;b'");
        assert_eq!(command_line(&["".to_string()]), "''");
    }
}
