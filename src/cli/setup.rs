//! `aiperture setup <runtime> [--project|--user] [--uninstall] [--dry-run] [--mcp] [--warm]`:
//! wires aiperture's hook into a runtime's settings file (merged, backed up, idempotent), or
//! removes it; with `--mcp`, registers aiperture's MCP server in the runtime's MCP
//! configuration; with `--warm`, the hook command is the small client `aiperture-warm`.

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
    /// Register aiperture's MCP server (`aiperture serve --mcp`) in the runtime's MCP
    /// configuration instead of its hooks (claude-code, cursor, gemini, codex; docs/mcp.md).
    #[arg(long)]
    pub mcp: bool,
    /// Wire the hook through `aiperture-warm`, the small client that asks a running
    /// `aiperture serve` and hands every call it does not answer to `aiperture hook`: for a
    /// machine where the server runs all the time (docs/http.md, "Warm path").
    #[arg(long, conflicts_with = "mcp")]
    pub warm: bool,
}

/// The small hook client's file name, installed beside `aiperture`.
const WARM_CLIENT: &str = "aiperture-warm";

/// Runs `aiperture setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<ExitCode> {
    let Some(runtime) = setup::canonical(&args.runtime) else {
        anyhow::bail!(
            "unknown runtime `{}` (expected one of claude-code, cursor, gemini, codex, copilot, openclaw)",
            args.runtime
        );
    };
    if runtime == "openclaw" && args.warm {
        anyhow::bail!(
            "openclaw runs aiperture from its plugin, not from a settings file: set the plugin's \
             command to `{WARM_CLIENT}` by hand (docs/runtimes/openclaw.md)"
        );
    }
    if runtime == "openclaw" && !args.mcp {
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
    let mut exe = std::env::current_exe()?;
    if args.warm && !args.uninstall {
        exe = exe.with_file_name(WARM_CLIENT);
        if !exe.is_file() {
            anyhow::bail!(
                "{} is missing: `cargo install --path .` and scripts/install put it beside aiperture",
                exe.display()
            );
        }
    }
    let exe = exe.to_string_lossy();
    let (path, plan, what) = if args.mcp {
        let Some(path) = setup::mcp::settings_path(runtime, scope, &home, &project) else {
            anyhow::bail!(
                "aiperture setup --mcp edits the MCP configuration of {} only; for {runtime},                  register `{} serve --mcp` by hand (docs/mcp.md)",
                setup::mcp::MCP_RUNTIMES.join(", "),
                exe
            );
        };
        let plan = setup::mcp::plan(runtime, &path, &exe, args.uninstall)?;
        (path, plan, "MCP server")
    } else {
        let Some(path) = setup::settings_path(runtime, scope, &home, &project) else {
            anyhow::bail!(
                "{runtime} has no user-level hook settings; use --project in the repository"
            );
        };
        let plan = setup::plan(runtime, &path, &exe, args.uninstall)?;
        (path, plan, "hooks")
    };
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
        println!("would {verb} aiperture's {what} in {}:", path.display());
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
    println!("aiperture's {runtime} {what} {done} {}", path.display());
    if let Some(b) = backup {
        println!("backup of the previous file: {}", b.display());
    }
    if !args.uninstall && args.mcp {
        println!(
            "{runtime} starts `{exe} serve --mcp` for each session: its tools are \
             mcp__aiperture__*, and every call to them is checked and audited."
        );
    } else if !args.uninstall
        && let Some(note) = after_install_note(runtime)
    {
        println!("{note}");
    }
    if !args.uninstall && args.warm {
        println!(
            "each call goes to `aiperture serve` when it runs for this home (start it, or its \
             service: docs/http.md); when it does not, {WARM_CLIENT} hands the call to \
             `aiperture hook`, at the cost of its own start."
        );
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
