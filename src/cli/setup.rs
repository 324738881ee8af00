//! `aiperture setup <runtime> [--project|--user] [--uninstall] [--dry-run]`: wires aiperture's
//! hook into a runtime's settings file (merged, backed up, idempotent), or removes it.

use crate::cli::ExitCode;
use aiperture::clock::format_rfc3339;
use aiperture::runtimes::setup::{self, Scope};
use clap::Args;

/// Arguments of `aiperture setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The runtime to wire up: claude-code, cursor, gemini, codex, copilot or openclaw.
    pub runtime: String,
    /// Remove the hook instead of installing it.
    #[arg(long)]
    pub uninstall: bool,
    /// Edit the project's settings (in the current directory).
    #[arg(long, conflicts_with = "user")]
    pub project: bool,
    /// Edit the user's settings (in the home directory); the default, except for Copilot CLI.
    #[arg(long)]
    pub user: bool,
    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `aiperture setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<ExitCode> {
    let Some(runtime) = setup::canonical(&args.runtime) else {
        anyhow::bail!(
            "unknown runtime `{}` (expected one of claude-code, cursor, gemini, codex, copilot, openclaw)",
            args.runtime
        );
    };
    if runtime == "openclaw" {
        println!("{OPENCLAW_STEPS}");
        return Ok(ExitCode::SUCCESS);
    }
    let scope = match (args.project, args.user) {
        (true, _) => Scope::Project,
        (_, true) => Scope::User,
        _ => setup::default_scope(runtime),
    };
    let home = dirs::home_dir().ok_or_else(|| anyhow::anyhow!("no home directory"))?;
    let project = std::env::current_dir()?;
    let Some(path) = setup::settings_path(runtime, scope, &home, &project) else {
        anyhow::bail!("{runtime} has no user-level hook settings; use --project in the repository");
    };
    let exe = std::env::current_exe()?;
    let exe = exe.to_string_lossy();
    let plan = setup::plan(runtime, &path, &exe, args.uninstall)?;
    let verb = if args.uninstall { "remove" } else { "install" };
    if !plan.changed {
        println!(
            "{}: nothing to {verb} in {} (already {}).",
            runtime,
            path.display(),
            if args.uninstall {
                "absent"
            } else {
                "installed"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        println!("would {verb} aiperture's hooks in {}:", path.display());
        match &plan.after {
            Some(text) => print!("{text}"),
            None => println!("(the file would be removed: it holds nothing else)"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stamp: String = format_rfc3339(now_ms())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let backup = setup::apply(&plan, &stamp)?;
    let done = if args.uninstall {
        "removed from"
    } else {
        "installed in"
    };
    println!("aiperture's {runtime} hooks {done} {}", path.display());
    if let Some(b) = backup {
        println!("backup of the previous file: {}", b.display());
    }
    if !args.uninstall
        && let Some(note) = after_install_note(runtime)
    {
        println!("{note}");
    }
    Ok(ExitCode::SUCCESS)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn after_install_note(runtime: &str) -> Option<&'static str> {
    match runtime {
        "codex" => Some(
            "Codex runs new hooks only after you trust them: open Codex and review them with /hooks.",
        ),
        "gemini" => Some("Gemini CLI warns about new project hooks until you trust them."),
        "cursor" => Some(
            "Cursor reloads hooks.json by itself; project hooks run only in trusted workspaces.",
        ),
        "copilot" => Some(
            "Commit .github/hooks/aiperture.json so Copilot CLI picks it up in this repository.",
        ),
        _ => None,
    }
}

const OPENCLAW_STEPS: &str = "OpenClaw gates tools in-process, with a plugin:
  1. Copy hooks/openclaw/ from the aiperture sources to ~/.openclaw/plugins/aiperture/
  2. cd ~/.openclaw/plugins/aiperture && npm ci && npm run build
  3. Enable it in ~/.openclaw/openclaw.json: plugins.entries.aiperture.enabled = true
     (set plugins.entries.aiperture.config.binary to the aiperture path if it is not on PATH)
  4. Restart the gateway. See docs/runtimes/openclaw.md.";
