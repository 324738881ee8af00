//! `aiperture approve` and `aiperture deny`: a human's decision, from a terminal.
//!
//! Refuses unless stdin is a terminal or a valid `--challenge` for exactly this request is
//! given: an agent runs commands without a terminal, so it cannot approve its own requests.
//! Without an id or `--scope` they list the pending asks (`--json` for tools), which records
//! nothing and so needs no terminal.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::engine::state::Source;
use aiperture::request::{Decision, Request};
use clap::Args;
use std::io::IsTerminal;

/// Arguments of `aiperture approve|deny`.
#[derive(Args, Debug)]
pub struct DecideArgs {
    /// The pending ask's id (without it and without --scope, lists the pending asks; listing
    /// needs no terminal).
    pub id: Option<String>,
    /// Tool of the request (with --scope; default shell).
    #[arg(long)]
    pub tool: Option<String>,
    /// Action of the request (default execute).
    #[arg(long)]
    pub action: Option<String>,
    /// Exact scope of the request.
    #[arg(long)]
    pub scope: Option<String>,
    /// The challenge of the verdict being decided.
    #[arg(long)]
    pub challenge: Option<String>,
    /// The project (default: detected from the current directory).
    #[arg(long)]
    pub project: Option<String>,
    /// The session id the request was checked in.
    #[arg(long)]
    pub session: Option<String>,
    /// Content hash of the request, for writes.
    #[arg(long)]
    pub content_hash: Option<String>,
    /// List the pending asks as a JSON array (fields in docs/cli.md); no ID or --scope.
    #[arg(long, conflicts_with_all = ["id", "scope", "challenge"])]
    pub json: bool,
    /// How many pending asks to list, newest first.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

/// Lists the newest pending asks (`approve`/`deny` without an id or --scope): read-only, so
/// no terminal is needed.
fn list_pending(args: &DecideArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    let asks = gate.pending_recent(args.limit)?;
    if args.json {
        let rows: Vec<_> = asks.iter().map(aiperture::views::pending).collect();
        println!("{}", aiperture::views::to_json_array(&rows));
        return Ok(ExitCode::SUCCESS);
    }
    if asks.is_empty() {
        println!("no pending asks");
    }
    for p in asks {
        println!(
            "{}  {}/{}  {}  ({} risk, {})",
            p.id, p.tool, p.action, p.scope, p.risk_tier, p.project
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `aiperture approve` (`Allow`) or `aiperture deny` (`Deny`).
pub fn run(args: DecideArgs, decision: Decision) -> anyhow::Result<ExitCode> {
    if args.id.is_none() && args.scope.is_none() {
        return list_pending(&args);
    }
    if args.challenge.is_none() && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "refusing to record a human decision without a terminal on stdin (or a valid --challenge)"
        );
    }
    let gate = Gate::open()?;
    let me = who();
    let verb = if decision == Decision::Allow {
        "approved"
    } else {
        "denied"
    };
    let (req, pending) = if let Some(id) = &args.id {
        let (req, state) = gate
            .pending_request(id)?
            .ok_or_else(|| anyhow::anyhow!("no pending ask `{id}`"))?;
        if state != "pending" {
            anyhow::bail!("pending ask `{id}` was already resolved ({state})");
        }
        (req, Some(id.clone()))
    } else if let Some(scope) = &args.scope {
        let session = args.session.clone().unwrap_or_default();
        let req = aiperture::callsite::located(Request {
            runtime: "cli".into(),
            event: "approve".into(),
            session_id: session,
            cwd: current_dir(),
            project: args.project.clone().unwrap_or_default(),
            tool: args.tool.clone().unwrap_or_else(|| "shell".into()),
            action: args.action.clone().unwrap_or_else(|| "execute".into()),
            scope: scope.clone(),
            content_hash: args.content_hash.clone(),
            ..Request::default()
        });
        (req, None)
    } else {
        return list_pending(&args);
    };
    let rec = match &args.challenge {
        Some(token) => gate.record_with_challenge(&req, decision, token, &me)?,
        None => {
            gate.record_human_full(&req, decision, &me, Source::Terminal, pending.as_deref())?
        }
    };
    let note = if rec.rapid {
        " — rubber-stamped (too many approvals too fast), not counted".to_string()
    } else {
        format!(
            " — {}/{} decisions toward learning",
            rec.progress.0, rec.progress.1
        )
    };
    println!("{verb} {}/{} {}{note}", req.tool, req.action, req.scope);
    Ok(ExitCode::SUCCESS)
}
