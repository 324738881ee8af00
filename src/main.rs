//! The `aiperture` command: parses arguments and dispatches to `cli/`. Nothing else lives here.
//!
//! `main` is the C entry point rather than std's: a hook call is one short process, and std's
//! start-up work it does not need was ~40 µs of it (`cli::process` says what is kept).
// Unit tests keep libtest's own `main`.
#![cfg_attr(not(test), no_main)]

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use cli::ExitCode;
use std::ffi::{OsString, c_char, c_int};

/// The exit-code table, shown under `--help` (README "Commands" has the same table).
const EXIT_CODES: &str = "\
Exit codes:
  0   success; for check/exec: allowed
  1   error (store, config, I/O; report --fail-on findings)
  2   check: denied (hook: block; the runtime's own answer otherwise)
  3   check: ask (a human must decide)
  64  usage error (unknown flag, missing argument); `hook` usage errors exit 2 (block)
  126 exec: refused (127: command not found)";

/// The exit status of a usage error (BSD sysexits' EX_USAGE), distinct from check's 0/2/3.
const EX_USAGE: u8 = 64;

/// The permission layer for AI coding agents.
#[derive(Parser)]
#[command(name = "aiperture", version, long_version = cli::long_version(), about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer a runtime's hook call: payload on stdin, the runtime's answer on stdout.
    Hook(cli::hook::HookArgs),
    /// Run the full decision pipeline on one request (exit 0 allow, 2 deny, 3 ask).
    Check(cli::check::CheckArgs),
    /// Rate the risk of a command or request without touching the store.
    Explain(cli::explain::ExplainArgs),
    /// Check a command, then run it or refuse it (a shell wrapper).
    Exec(cli::exec::ExecArgs),
    /// Record a human approval, from a terminal (without an ID: list the pending asks).
    Approve(cli::decide::DecideArgs),
    /// Record a human denial, from a terminal (without an ID: list the pending asks).
    Deny(cli::decide::DecideArgs),
    /// Show learned patterns: auto-approved, auto-denied, and close to it.
    Patterns(cli::patterns::PatternsArgs),
    /// Revoke a learned pattern or an exact scope.
    Revoke(cli::revoke::RevokeArgs),
    /// Grant a task permission with a time to live.
    Grant(cli::grant::GrantArgs),
    /// Enable a preset of allow rules (developer, readonly, minimal); --list, --remove.
    Bootstrap(cli::bootstrap::BootstrapArgs),
    /// Verify, list and export the audit trail.
    Audit(cli::audit::AuditArgs),
    /// Copy a whole store into another (`store migrate --to postgres://URL` or `sqlite:PATH`).
    Store(cli::store::StoreArgs),
    /// Write the compliance report.
    Report(cli::report::ReportArgs),
    /// Store, show, verify and list content-addressed artifacts (docs/artifacts.md).
    Artifact(cli::artifact::ArtifactArgs),
    /// Show tokens and cost by model, provider, task, session and runtime.
    Costs(cli::costs::CostsArgs),
    /// Install or remove aiperture's hook in a runtime's settings.
    Setup(cli::setup::SetupArgs),
    /// Show and change settings.
    Config(cli::config::ConfigArgs),
    /// A terminal wizard: runtimes, preset, learning, budget, reports, team store, audit webhook.
    Configure(cli::configure::ConfigureArgs),
    /// Add a rule to a policy file (an admin act), or print its path.
    Policy(cli::policy::PolicyArgs),
    /// Deliver audit events to the configured sinks (JSON Lines, syslog, webhook).
    Sinks(cli::sinks::SinksArgs),
    /// Say where everything is and whether it is healthy.
    Doctor(cli::doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cli::completions::CompletionsArgs),
    /// Print the man page (roff), or write every page into --dir.
    Man(cli::completions::ManArgs),
    /// Serve the gate over HTTP and a Unix socket until SIGINT or SIGTERM (docs/http.md).
    Serve(cli::serve::ServeArgs),
}

/// The process entry point, called by the C runtime.
///
/// # Safety
/// `argv` holds `argc` valid NUL-terminated strings, as the C runtime passes them.
#[cfg_attr(not(test), unsafe(export_name = "main"))]
#[cfg_attr(test, allow(dead_code))]
pub unsafe extern "C" fn c_main(argc: c_int, argv: *const *const c_char) -> c_int {
    let started = aiperture::hook_process::start::start();
    // SAFETY: the C runtime passes `argc` valid argument strings in `argv`.
    let args = unsafe { aiperture::hook_process::start::args(argc, argv) };
    // A hook call never exits 1 or 101 (Claude Code, Codex and Cursor read them as
    // "proceed"): whatever fails before the hook answers, it answers fail-closed.
    let hook = aiperture::hook_process::invoked_runtime(&args);
    if let Err(unopened) = started {
        let code = match &hook {
            Some(rt) => ExitCode::from(aiperture::hook_process::answer_early(
                rt,
                &unopened.describe(),
                unopened.stdout(),
            )),
            None => {
                eprintln!("aiperture: {}", unopened.describe());
                ExitCode(1)
            }
        };
        return cli::process::exit_status(code);
    }
    // A panic must not unwind into C: it ends the process with Rust's usual status, 101
    // (hooks catch their own panics and answer fail-closed before this; one that escapes
    // still gets the runtime's fail-closed answer).
    let code = std::panic::catch_unwind(|| run(args)).unwrap_or_else(|_| match &hook {
        Some(rt) => ExitCode::from(aiperture::hook_process::answer_early(
            rt,
            "aiperture hit an internal error",
            false,
        )),
        None => ExitCode(101),
    });
    cli::process::exit_status(code)
}

fn run(args: Vec<OsString>) -> ExitCode {
    if let Some(hook) = hook_fast_path(args.iter().skip(1).cloned()) {
        return cli::finish(cli::hook::run(hook));
    }
    let is_hook = args.get(1).is_some_and(|a| a == "hook");
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return usage_exit(&e, is_hook),
    };
    let result = match cli.command {
        Command::Hook(a) => cli::hook::run(a),
        Command::Check(a) => cli::check::run(a),
        Command::Explain(a) => cli::explain::run(a),
        Command::Exec(a) => cli::exec::run(a),
        Command::Approve(a) => cli::decide::run(a, aiperture::request::Decision::Allow),
        Command::Deny(a) => cli::decide::run(a, aiperture::request::Decision::Deny),
        Command::Patterns(a) => cli::patterns::run(a),
        Command::Revoke(a) => cli::revoke::run(a),
        Command::Grant(a) => cli::grant::run(a),
        Command::Bootstrap(a) => cli::bootstrap::run(a),
        Command::Audit(a) => cli::audit::run(a),
        Command::Report(a) => cli::report::run(a),
        Command::Store(a) => cli::store::run(a),
        Command::Artifact(a) => cli::artifact::run(a),
        Command::Costs(a) => cli::costs::run(a),
        Command::Setup(a) => cli::setup::run(a),
        Command::Config(a) => cli::config::run(a),
        Command::Configure(a) => cli::configure::run(a),
        Command::Doctor(a) => cli::doctor::run(a),
        Command::Sinks(a) => cli::sinks::run(a),
        Command::Policy(a) => cli::policy::run(a),
        Command::Serve(a) => cli::serve::run(a),
        Command::Completions(a) => cli::completions::run_completions(a, Cli::command()),
        Command::Man(a) => cli::completions::run_man(a, Cli::command()),
    };
    cli::finish(result)
}

/// Prints clap's message (help, version or a usage error) and says how to exit: 0 for help and
/// version, [`EX_USAGE`] for a usage error, so a CI step can tell a typo from `check`'s deny
/// (2). A `hook` usage error keeps exit 2, which the runtimes read as "block": fail closed.
fn usage_exit(e: &clap::Error, is_hook: bool) -> ExitCode {
    // Nothing more can be said when the terminal is gone; the exit status still tells.
    let _ = e.print();
    if !e.use_stderr() {
        return ExitCode::SUCCESS;
    }
    ExitCode(if is_hook {
        aiperture::hook_process::BLOCK_STATUS
    } else {
        EX_USAGE
    })
}

/// `aiperture hook <runtime>` exactly, recognized without building the clap command tree: it
/// runs before every tool call, and building the tree of every subcommand is about a tenth of
/// a hook call's instructions (docs/performance.md). Anything else (options, help, a missing
/// or extra argument) goes through clap as usual.
fn hook_fast_path(
    mut args: impl Iterator<Item = std::ffi::OsString>,
) -> Option<cli::hook::HookArgs> {
    let (cmd, runtime) = (args.next()?, args.next()?);
    if cmd != "hook" || args.next().is_some() {
        return None;
    }
    let runtime = runtime.into_string().ok()?;
    if runtime.is_empty() || runtime.starts_with('-') {
        return None;
    }
    Some(cli::hook::HookArgs {
        runtime,
        event: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn fast(args: &[&str]) -> Option<(String, Option<String>)> {
        hook_fast_path(args.iter().map(std::ffi::OsString::from)).map(|a| (a.runtime, a.event))
    }

    #[test]
    fn the_fast_path_takes_exactly_hook_and_a_runtime_and_agrees_with_clap() {
        for rt in ["claude-code", "cursor", "codex", "nonsense"] {
            assert_eq!(fast(&["hook", rt]), Some((rt.to_string(), None)));
            let Command::Hook(a) = Cli::parse_from(["aiperture", "hook", rt]).command else {
                panic!("not a hook command");
            };
            assert_eq!((a.runtime, a.event), (rt.to_string(), None));
        }
        assert_eq!(fast(&["hook"]), None);
        assert_eq!(fast(&["hook", "--help"]), None);
        assert_eq!(fast(&["hook", "copilot", "--event", "postToolUse"]), None);
        assert_eq!(fast(&["hook", ""]), None);
        assert_eq!(fast(&["check", "claude-code"]), None);
        assert_eq!(fast(&[]), None);
    }
}
