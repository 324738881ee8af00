//! `aiperture patterns`: what is auto-approved or auto-denied, and what is close to it, in
//! the current project (and globally) or, with `--all`, in every project.

use super::check::current_dir;
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::engine::learning;
use aiperture::engine::store::Store;
use aiperture::store::AnyGate;
use clap::Args;

/// Arguments of `aiperture patterns`.
#[derive(Args, Debug)]
pub struct PatternsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The project (default: detected from the current directory).
    #[arg(long, conflicts_with = "all")]
    pub project: Option<String>,
    /// Every project's patterns (and the global ones), grouped by project.
    #[arg(long)]
    pub all: bool,
    /// Propose policy rules (in the policy file's TOML) for patterns whose history is
    /// consistent: enough decisions at their tier and an approval rate past a threshold.
    /// Never for HIGH or CRITICAL.
    #[arg(long)]
    pub suggest: bool,
}

/// Runs `aiperture patterns`.
pub fn run(args: PatternsArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    let (projects, shown) = if args.all {
        (all_projects(&gate)?, "any project".to_string())
    } else {
        let project = args.project.clone().unwrap_or_else(|| {
            gate.resolve(&aiperture::request::Request {
                cwd: current_dir(),
                ..Default::default()
            })
            .project
        });
        let project = if project.is_empty() {
            aiperture::callsite::GLOBAL.to_string()
        } else {
            project
        };
        (vec![project.clone()], project)
    };
    let mut rows = Vec::new();
    for project in &projects {
        for p in gate.patterns(project)? {
            // `patterns(p)` also returns the global ones: with --all they come once, as
            // their own project.
            if args.all && p.project != *project {
                continue;
            }
            rows.push(aiperture::views::to_json(&aiperture::views::pattern(
                &gate, &p,
            )));
        }
    }
    if args.suggest {
        return super::suggest::print(&rows, args.json);
    }
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no learned patterns for {shown}");
    }
    let mut heading = None;
    for r in rows {
        let project = r["project"].as_str().unwrap_or("");
        if args.all && heading != Some(project.to_string()) {
            println!("{project}");
            heading = Some(project.to_string());
        }
        println!(
            "{}{:<12} {}/{} {:<30} {}/{} decisions ({}), {:.0}% approved, {} days old{}",
            if args.all { "  " } else { "" },
            r["status"].as_str().unwrap_or(""),
            r["tool"].as_str().unwrap_or(""),
            r["action"].as_str().unwrap_or(""),
            r["pattern"].as_str().unwrap_or(""),
            r["decisions"],
            r["needed"],
            r["tier"].as_str().unwrap_or(""),
            r["approval_rate"].as_f64().unwrap_or(0.0) * 100.0,
            r["age_days"],
            if !args.all && project == learning::GLOBAL {
                " (global)"
            } else {
                ""
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every project that has learned patterns, `global` among them, sorted, from the gate's
/// store (the team store when one is selected).
fn all_projects(gate: &AnyGate) -> anyhow::Result<Vec<String>> {
    Ok(gate.store().read(|st| st.pattern_projects())?)
}
