//! `aiperture policy add|path`: the guarded way to change a policy file. `add` appends one
//! `[[rule]]` to the user file (`$AIPERTURE_HOME/policy.toml`) or, with `--project`, to the
//! project's `.aiperture/policy.toml`; the new file must parse as the gate parses it, the act
//! needs a human (`human::require`), the write is atomic under a lock, and a `policy.changed`
//! event records it. Hand edits of the files stay possible (they are the user's files); an
//! agent's write to them is CRITICAL through the classifier.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::audit::{ActorType, NewEvent};
use aiperture::engine::Gate;
use aiperture::engine::policy::{self, RuleSource};
use aiperture::paths::{Paths, io_problem};
use aiperture::request::Request;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Arguments of `aiperture policy`.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Append a rule (an admin act: a human at a terminal, or a signed challenge).
    Add {
        /// allow, ask or deny.
        #[arg(long)]
        decision: String,
        /// Tool (default `*`).
        #[arg(long, default_value = "*")]
        tool: String,
        /// Action (default `*`).
        #[arg(long, default_value = "*")]
        action: String,
        /// Scope pattern (docs/policy.md).
        #[arg(long)]
        scope: String,
        /// Why; shown to the agent and the human.
        #[arg(long)]
        reason: Option<String>,
        /// The project's file instead of the user's.
        #[arg(long)]
        project: bool,
    },
    /// Print the file `add` would change.
    Path {
        /// The project's file instead of the user's.
        #[arg(long)]
        project: bool,
    },
}

/// The file and, for the project file, its root.
fn target(paths: &Paths, project: bool) -> anyhow::Result<(PathBuf, Option<String>)> {
    if !project {
        return Ok((paths.home.join("policy.toml"), None));
    }
    let gate = Gate::open()?;
    let root = gate
        .resolve(&Request {
            cwd: current_dir(),
            ..Request::default()
        })
        .project;
    if !root.starts_with('/') {
        anyhow::bail!("no project directory here (the project is `{root}`)");
    }
    Ok((
        PathBuf::from(&root).join(".aiperture").join("policy.toml"),
        Some(root),
    ))
}

/// Runs `aiperture policy`.
pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    match args.command {
        PolicyCommand::Path { project } => {
            println!("{}", target(&paths, project)?.0.display());
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Add {
            decision,
            tool,
            action,
            scope,
            reason,
            project,
        } => {
            let (file, root) = target(&paths, project)?;
            let q = |s: &str| toml::Value::String(s.to_string()).to_string();
            let mut rule = format!(
                "\n[[rule]]\ntool = {}\naction = {}\nscope = {}\ndecision = {}\n",
                q(&tool),
                q(&action),
                q(&scope),
                q(&decision)
            );
            if let Some(r) = &reason {
                rule.push_str(&format!("reason = {}\n", q(r)));
            }
            let home = std::env::var("HOME").unwrap_or_default();
            let source = if project {
                RuleSource::Project
            } else {
                RuleSource::User
            };
            // Checked before asking anyone, and again under the lock on what is there then.
            let old = read(&file)?;
            let shown = file.display().to_string();
            policy::parse(
                &format!("{old}{rule}"),
                &shown,
                source,
                root.as_deref(),
                &home,
            )
            .map_err(|e| anyhow::anyhow!("the rule does not parse: {e}"))?;
            super::human::require(
                &paths,
                &format!("add a {decision} rule for {tool}/{action} `{scope}` to {shown}"),
            )?;
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("{}: {}", dir.display(), io_problem(&e)))?;
            }
            let _lock = aiperture::atomic::lock(&file)
                .map_err(|e| anyhow::anyhow!("{shown}: cannot lock: {}", io_problem(&e)))?;
            let old = read(&file)?;
            let new = format!("{old}{rule}");
            policy::parse(&new, &shown, source, root.as_deref(), &home)
                .map_err(|e| anyhow::anyhow!("the rule does not parse: {e}"))?;
            aiperture::atomic::replace(&file, new.as_bytes(), 0o600)
                .map_err(|e| anyhow::anyhow!("{shown}: cannot write: {}", io_problem(&e)))?;
            println!("added to {shown}:{rule}");
            let mut ev = NewEvent::new("policy.changed", ActorType::Human);
            ev.actor = who();
            ev.runtime = "cli".into();
            ev.entity = shown.clone();
            ev.summary = format!("Added a {decision} rule for {tool}/{action} `{scope}`");
            ev.details = serde_json::json!({
                "file": shown, "tool": tool, "action": action, "scope": scope,
                "decision": decision, "reason": reason,
            });
            if let Err(e) = super::config::append_event(&paths, &ev) {
                eprintln!("aiperture: warning: rule added but not audited: {e:#}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read(file: &std::path::Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(file) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => anyhow::bail!("{}: cannot read: {}", file.display(), io_problem(&e)),
    }
}
