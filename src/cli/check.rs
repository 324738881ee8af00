//! `aiperture check`: the full pipeline on one request (flags or a JSON object on stdin) or,
//! with `--batch`, on JSON Lines. Exit 0 allow, 2 deny, 3 ask; 1 for usage or I/O errors.
//! In batch mode: 2 if any request was denied, else 3 with `--fail-on ask` if any asked.

use crate::cli::ExitCode;
use aiperture::engine::{CheckOutcome, Gate};
use aiperture::request::{Decision, Request, Unasked};
use clap::Args;
use serde::Deserialize;
use std::io::{BufRead, IsTerminal, Read, Write};

/// Arguments of `aiperture check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
    /// Tool of the request (instead of a JSON object on stdin).
    #[arg(long)]
    pub tool: Option<String>,
    /// Action of the request.
    #[arg(long)]
    pub action: Option<String>,
    /// Scope of the request.
    #[arg(long)]
    pub scope: Option<String>,
    /// Session id.
    #[arg(long)]
    pub session: Option<String>,
    /// Read JSON Lines of requests from stdin and print one verdict line each.
    #[arg(long)]
    pub batch: bool,
    /// Decide without recording anything.
    #[arg(long)]
    pub dry_run: bool,
    /// In batch mode, also fail (exit 3) when any request would ask.
    #[arg(long, value_parser = ["ask"])]
    pub fail_on: Option<String>,
    /// Working directory of the request (default: the current directory).
    #[arg(long)]
    pub cwd: Option<String>,
}

/// One request as JSON (every field optional except the scope).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Input {
    tool: Option<String>,
    action: Option<String>,
    scope: Option<String>,
    command: Option<String>,
    session_id: Option<String>,
    session: Option<String>,
    cwd: Option<String>,
    project: Option<String>,
    content_hash: Option<String>,
    /// The text written or inserted, to rate what a script or manifest would run.
    content: Option<String>,
    runtime: Option<String>,
    tool_use_id: Option<String>,
}

/// The current directory as text (empty when unknown).
pub fn current_dir() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Who is deciding: `$USER`, else `human`.
pub fn who() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "human".to_string())
}

fn build(input: Input, args: &CheckArgs) -> anyhow::Result<Request> {
    let scope = input
        .scope
        .or(input.command)
        .ok_or_else(|| anyhow::anyhow!("the request has no scope"))?;
    let cwd = input
        .cwd
        .or_else(|| args.cwd.clone())
        .unwrap_or_else(current_dir);
    Ok(aiperture::callsite::located(Request {
        runtime: input.runtime.unwrap_or_else(|| "cli".into()),
        event: "check".into(),
        session_id: input
            .session_id
            .or(input.session)
            .or_else(|| args.session.clone())
            .unwrap_or_default(),
        tool_use_id: input.tool_use_id,
        cwd,
        project: input.project.unwrap_or_default(),
        tool: input.tool.unwrap_or_else(|| "shell".into()),
        action: input.action.unwrap_or_else(|| "execute".into()),
        scope,
        content_hash: input.content_hash,
        content: input.content,
        raw_tool_name: String::new(),
        permission_mode: None,
        unasked: Unasked::Nothing,
        headless: false,
        request_id: None,
        arguments: None,
        tool_output: None,
        callsite: None,
    }))
}

fn verdict_json(out: &CheckOutcome, challenge: Option<String>) -> serde_json::Value {
    aiperture::views::to_json(&aiperture::views::verdict(out, challenge))
}

fn exit_of(d: Decision) -> u8 {
    match d {
        Decision::Allow => 0,
        Decision::Deny => 2,
        Decision::Ask => 3,
    }
}

/// Runs `aiperture check`.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    if args.batch {
        return run_batch(&gate, &args);
    }
    if args.scope.is_none() && (args.tool.is_some() || args.action.is_some()) {
        // Flags were meant, not a JSON request on stdin: say which are missing.
        let missing: Vec<&str> = [("--action", args.action.is_none()), ("--scope", true)]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(f, _)| *f)
            .collect();
        anyhow::bail!(
            "missing {} (a request by flags needs --scope; --tool defaults to shell, --action to \
             execute); or give no flags and a JSON request on stdin",
            missing.join(" and ")
        );
    }
    let input = if let Some(scope) = &args.scope {
        Input {
            tool: args.tool.clone(),
            action: args.action.clone(),
            scope: Some(scope.clone()),
            ..Input::default()
        }
    } else {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("stdin is not a JSON request: {e}"))?
    };
    let req = build(input, &args)?;
    let out = gate.check_full(&req, args.dry_run)?;
    // Challenges are shown to a human at a terminal only, never to a piped caller (an agent).
    let challenge = if args.json && std::io::stdout().is_terminal() && !args.dry_run {
        gate.challenge_for(&out.request, &out.verdict)?
    } else {
        None
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", verdict_json(&out, challenge))?;
    } else {
        let v = &out.verdict;
        writeln!(
            stdout,
            "{} ({}, {} risk): {}",
            v.decision.as_str().to_uppercase(),
            v.decided_by,
            v.risk.tier,
            v.reason
        )?;
        if let Some(p) = &out.pending_id {
            writeln!(
                stdout,
                "pending ask {p}: `aiperture approve {p}` or `aiperture deny {p}`"
            )?;
        }
    }
    Ok(ExitCode::from(exit_of(out.verdict.decision)))
}

fn run_batch(gate: &aiperture::store::AnyGate, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let (mut denied, mut asked, mut invalid) = (false, false, false);
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Input>(&line)
            .map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))
            .and_then(|i| build(i, args));
        match parsed.and_then(|req| Ok(gate.check_full(&req, args.dry_run)?)) {
            Ok(out) => {
                denied |= out.verdict.decision == Decision::Deny;
                asked |= out.verdict.decision == Decision::Ask;
                writeln!(stdout, "{}", verdict_json(&out, None))?;
            }
            Err(e) => {
                invalid = true;
                writeln!(
                    stdout,
                    "{}",
                    serde_json::json!({"error": format!("{e:#}"), "line": n + 1})
                )?;
            }
        }
    }
    let code = if invalid {
        1
    } else if denied {
        2
    } else if asked && args.fail_on.as_deref() == Some("ask") {
        3
    } else {
        0
    };
    Ok(ExitCode::from(code))
}
