//! `aiperture revoke`: revoke the learned pattern that decides a command (or a pattern by
//! name), or an exact scope together with the patterns its decisions derived. Exits 1 when
//! nothing matches, having revoked nothing. Revocation applies in every project and session at once, is audited,
//! and keeps the decisions as history.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::Request;
use clap::Args;

/// Arguments of `aiperture revoke`.
#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// A command (`npm test`: revokes the learned pattern that decides it now) or a pattern
    /// as `aiperture patterns` shows it (`git log *`). Exits 1 when nothing matches.
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
    let tool = args.tool.clone().unwrap_or_else(|| "shell".into());
    let action = args.action.clone().unwrap_or_else(|| "execute".into());
    let target = args
        .exact_scope
        .as_deref()
        .or(args.scope.as_deref())
        .unwrap_or_default();
    super::human::require(
        &aiperture::paths::Paths::from_env()?,
        &format!("revoke what is learned for {tool}/{action} `{target}`"),
    )?;
    let gate = Gate::open()?;
    let me = who();
    if let Some(scope) = &args.exact_scope {
        let req = aiperture::callsite::located(Request {
            runtime: "cli".into(),
            cwd: current_dir(),
            tool: tool.clone(),
            action: action.clone(),
            scope: scope.clone(),
            ..Request::default()
        });
        let out = gate.revoke_scope(&req, &me, &args.reason)?;
        if out.decisions == 0 {
            eprintln!("revoke: no decision matches {tool}/{action} `{scope}`; nothing revoked");
            return Ok(ExitCode::from(1));
        }
        let keys: Vec<_> = out.keys.iter().map(|k| k.key.as_str()).collect();
        println!(
            "revoked {} decision(s); patterns: {}",
            out.decisions,
            keys.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(text) = &args.scope else {
        anyhow::bail!("name a command or pattern to revoke, or --exact-scope SCOPE");
    };
    if args.exact_key {
        let n = gate.revoke_pattern(&tool, &action, text, true, &me, &args.reason)?;
        if n == 0 {
            eprintln!(
                "revoke: no decision has the exact key {tool}/{action} `{text}`; nothing revoked"
            );
            return Ok(ExitCode::from(1));
        }
        println!("revoked {tool}/{action} exact `{text}` ({n} decision(s))");
        return Ok(ExitCode::SUCCESS);
    }
    // A command (`npm test`): revoke what decides it now; else the text as a pattern key.
    let req = aiperture::callsite::located(Request {
        runtime: "cli".into(),
        cwd: current_dir(),
        tool: tool.clone(),
        action: action.clone(),
        scope: text.clone(),
        ..Request::default()
    });
    let out = gate.revoke_command(&req, &me, &args.reason)?;
    if out.keys.is_empty() {
        eprintln!(
            "revoke: nothing learned matches {tool}/{action} `{text}` (it is decided by {}); \
             nothing revoked. `aiperture patterns` lists what is learned.",
            out.decided_by
        );
        return Ok(ExitCode::from(1));
    }
    for (k, how, n) in &out.keys {
        let how = match how.as_str() {
            "learning" => "still learning".to_string(),
            "pattern" => "named pattern".to_string(),
            decided => format!("decided it as {decided}"),
        };
        println!(
            "revoked {tool}/{action} `{}` ({how}; {n} decision(s))",
            k.key
        );
    }
    Ok(ExitCode::SUCCESS)
}
