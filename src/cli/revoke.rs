//! `aiperture revoke`: revoke a learned pattern, or an exact scope together with the patterns
//! its decisions derived. Revocation applies in every project and session at once, is audited,
//! and keeps the decisions as history.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::Request;
use clap::Args;

/// Arguments of `aiperture revoke`.
#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The pattern to revoke, as `aiperture patterns` shows it (e.g. `git log *`).
    pub scope: Option<String>,
    /// Revoke an exact scope instead (and every pattern derived from it).
    #[arg(long = "exact-scope", conflicts_with = "scope")]
    pub exact_scope: Option<String>,
    /// Tool (default shell).
    #[arg(long)]
    pub tool: Option<String>,
    /// Action (default execute).
    #[arg(long)]
    pub action: Option<String>,
    /// The positional is an exact (never generalized) key, not a pattern.
    #[arg(long)]
    pub exact_key: bool,
    /// Why.
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// Runs `aiperture revoke`.
pub fn run(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let mut gate = Gate::open()?;
    let tool = args.tool.clone().unwrap_or_else(|| "shell".into());
    let action = args.action.clone().unwrap_or_else(|| "execute".into());
    let me = who();
    if let Some(scope) = &args.exact_scope {
        let req = Request {
            runtime: "cli".into(),
            cwd: current_dir(),
            tool: tool.clone(),
            action: action.clone(),
            scope: scope.clone(),
            ..Request::default()
        };
        let out = gate.revoke_scope(&req, &me, &args.reason)?;
        let keys: Vec<_> = out.keys.iter().map(|k| k.key.as_str()).collect();
        println!(
            "revoked {} decision(s); patterns: {}",
            out.decisions,
            keys.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(pattern) = &args.scope else {
        anyhow::bail!("name a pattern to revoke, or --exact-scope SCOPE");
    };
    let n = gate.revoke_pattern(&tool, &action, pattern, args.exact_key, &me, &args.reason)?;
    println!("revoked {tool}/{action} {pattern} ({n} decision(s))");
    Ok(ExitCode::SUCCESS)
}
