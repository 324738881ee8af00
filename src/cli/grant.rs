//! `aiperture grant`: task grants with a time to live (`--list`, `--revoke ID`). A grant can
//! never allow HIGH or CRITICAL actions.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::{Decision, Request};
use clap::Args;

/// Arguments of `aiperture grant`.
#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Task id the grant belongs to (kept as its label).
    #[arg(long)]
    pub task: Option<String>,
    /// Tool (default shell).
    #[arg(long)]
    pub tool: Option<String>,
    /// Action (default execute).
    #[arg(long)]
    pub action: Option<String>,
    /// Scope pattern (shell: per simple command, e.g. `npm run *`; paths: `*` stays in one
    /// directory, relative to the project).
    #[arg(long)]
    pub scope: Option<String>,
    /// Time to live: seconds, or with a unit (`30m`, `2h`, `1d`).
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Grant a denial instead of an allow.
    #[arg(long)]
    pub deny: bool,
    /// Only for this session id.
    #[arg(long)]
    pub session: Option<String>,
    /// The project (default: detected from the current directory).
    #[arg(long)]
    pub project: Option<String>,
    /// List live grants.
    #[arg(long)]
    pub list: bool,
    /// With --list: print a JSON array (fields in docs/cli.md).
    #[arg(long, requires = "list")]
    pub json: bool,
    /// Revoke the grant with this id.
    #[arg(long)]
    pub revoke: Option<String>,
}

/// The accepted `--ttl` forms, named in every refusal.
const TTL_FORMATS: &str = "expected a positive number of seconds (90) or with a unit: 30s, 15m, 2h, 1d; a grant always expires";

/// Parses `90`, `30s`, `15m`, `2h`, `1d` into seconds.
pub fn parse_ttl(s: &str) -> anyhow::Result<i64> {
    parse_ttl_inner(s).map_err(|e| anyhow::anyhow!("{e}: {TTL_FORMATS}"))
}

fn parse_ttl_inner(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("bad --ttl `{s}`"))?;
    let mul = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => anyhow::bail!("bad --ttl unit in `{s}`"),
    };
    n.checked_mul(mul)
        .filter(|v| *v > 0)
        .ok_or_else(|| anyhow::anyhow!("bad --ttl `{s}`"))
}

/// Runs `aiperture grant`.
pub fn run(args: GrantArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    if args.list {
        let grants = gate.grants()?;
        if args.json {
            let rows: Vec<_> = grants.iter().map(aiperture::views::grant).collect();
            println!("{}", aiperture::views::to_json_array(&rows));
            return Ok(ExitCode::SUCCESS);
        }
        if grants.is_empty() {
            println!("no live grants");
        }
        for g in grants {
            println!(
                "{}  {} {}/{} {}  project {}  expires {}{}",
                g.id,
                g.decision,
                g.tool,
                g.action,
                g.scope,
                g.project,
                aiperture::clock::format_rfc3339(g.expires_ms),
                if g.reason.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", g.reason)
                }
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let paths = aiperture::paths::Paths::from_env()?;
    if let Some(id) = &args.revoke {
        super::human::require(&paths, &format!("revoke grant {id}"))?;
        if !gate.revoke_grant(id, &who())? {
            anyhow::bail!("no live grant `{id}`");
        }
        println!("grant {id} revoked");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(scope) = &args.scope else {
        anyhow::bail!("--scope is required (or --list, --revoke ID)");
    };
    let ttl = parse_ttl(&args.ttl)?;
    let req = aiperture::callsite::located(Request {
        runtime: "cli".into(),
        cwd: current_dir(),
        project: args.project.clone().unwrap_or_default(),
        tool: args.tool.clone().unwrap_or_else(|| "shell".into()),
        action: args.action.clone().unwrap_or_else(|| "execute".into()),
        scope: scope.clone(),
        ..Request::default()
    });
    let decision = if args.deny {
        Decision::Deny
    } else {
        Decision::Allow
    };
    let reason = args.task.clone().unwrap_or_default();
    super::human::require(
        &paths,
        &format!(
            "grant {} {}/{} `{}` for {}{}",
            decision,
            req.tool,
            req.action,
            req.scope,
            args.ttl,
            args.session
                .as_deref()
                .map(|s| format!(" in session {s}"))
                .unwrap_or_default()
        ),
    )?;
    let g = gate.grant(
        &req,
        decision,
        ttl,
        args.session.as_deref(),
        &who(),
        &reason,
    )?;
    println!(
        "grant {}: {} {}/{} {} in {} until {}",
        g.id,
        g.decision,
        g.tool,
        g.action,
        g.scope,
        g.project,
        aiperture::clock::format_rfc3339(g.expires_ms)
    );
    Ok(ExitCode::SUCCESS)
}
