//! `aiperture patterns`: what is auto-approved or auto-denied, and what is close to it, in
//! the current project (and globally) or, with `--all`, in every project.

use super::check::current_dir;
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::engine::learning::{self, Learned};
use aiperture::engine::state::{KeyKind, PatternStats};
use aiperture::paths::Paths;
use aiperture::request::{Request, RiskTier};
use aiperture::store::Db;
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

const DAY: f64 = 86_400_000.0;

/// Runs `aiperture patterns`.
pub fn run(args: PatternsArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    let (projects, shown) = if args.all {
        (all_projects()?, "any project".to_string())
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
            rows.push(row(&gate, &p));
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

/// Every project that has learned patterns, `global` among them, in the store's order. The
/// engine lists patterns per project only, so the project names come from a read-only
/// query of the patterns table.
fn all_projects() -> anyhow::Result<Vec<String>> {
    let db = Db::open(&Paths::from_env()?.db)?;
    db.read(|tx| {
        let mut st = tx.prepare("SELECT DISTINCT project FROM patterns ORDER BY project")?;
        let names = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(names.collect::<Result<Vec<_>, _>>()?)
    })
}

/// One pattern as `patterns --json` prints it (field names in docs/cli.md).
fn row(gate: &aiperture::store::LocalGate, p: &PatternStats) -> serde_json::Value {
    let cfg = gate.config();
    let now = gate.now_ms();
    let (a, n) = learning::weighted(p, cfg);
    let tier = tier_of(gate, p);
    let needed = cfg.needed(tier);
    let status = match learning::evaluate_for(p, cfg, now, tier) {
        Learned::Allow if tier >= RiskTier::High => "never (risk)",
        Learned::Allow => "auto-approve",
        Learned::Deny => "auto-deny",
        Learned::Undecided if n == 0.0 && p.revoked_ms.is_some() => "revoked",
        Learned::Undecided if n > 0.0 && learning::expired(p, cfg, now) => "expired",
        Learned::Undecided => "learning",
    };
    let age_days = (now - p.last_ms) as f64 / DAY;
    serde_json::json!({
        "project": p.project, "tool": p.tool, "action": p.action, "kind": p.key.kind.as_str(),
        "pattern": p.key.key, "status": status, "decisions": n, "needed": needed,
        "tier": tier.as_str(),
        "approvals": p.human_allow, "denials": p.human_deny, "inferred_denials": p.inferred_deny,
        "rubber_stamped": p.rapid_allow, "humans": p.humans,
        "approval_rate": if n > 0.0 { a / n } else { 0.0 },
        "age_days": (age_days * 10.0).round() / 10.0,
        "expires_in_days": ((cfg.pattern_max_age_days - age_days) * 10.0).round() / 10.0,
    })
}

/// The risk tier of what a pattern stands for (its text without the final ` *`), which sets
/// the decisions it needs (LOW `learning_min_decisions_low`, others
/// `permission_learning_min_decisions`); HIGH and CRITICAL never auto-approve.
fn tier_of(gate: &aiperture::store::LocalGate, p: &PatternStats) -> RiskTier {
    let scope = match p.key.kind {
        KeyKind::Pattern if p.tool == "shell" => p.key.key.trim_end_matches(" *").to_string(),
        _ => p.key.key.clone(),
    };
    let cwd = if p.project.starts_with('/') {
        p.project.clone()
    } else {
        String::new()
    };
    let req = Request {
        tool: p.tool.clone(),
        action: p.action.clone(),
        scope,
        cwd,
        project: p.project.clone(),
        ..Request::default()
    };
    gate.assess(&req).risk.tier
}
