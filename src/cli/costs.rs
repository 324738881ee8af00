//! `aiperture costs`: tokens and US dollars of the stored artifacts, in total and by model,
//! provider, task, session and runtime (docs/artifacts.md).

use super::artifact::{FilterArgs, shown};
use crate::cli::ExitCode;
use aiperture::artifacts::{self, CostGroup};
use aiperture::engine::Gate;
use clap::Args;

/// Arguments of `aiperture costs`.
#[derive(Args, Debug)]
pub struct CostsArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `aiperture costs`.
pub fn run(args: CostsArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    let filter = args.filter.filter(gate.now_ms(), 0)?;
    let s = artifacts::cost_summary(&gate, &filter)?;
    if args.json {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "total: ${:.4}, {} input + {} output tokens, {} artifacts",
        s.cost_usd, s.tokens_in, s.tokens_out, s.artifacts
    );
    for (title, groups) in [
        ("by model", &s.by_model),
        ("by provider", &s.by_provider),
        ("by task", &s.by_task),
        ("by session", &s.by_session),
        ("by runtime", &s.by_runtime),
    ] {
        print_groups(title, groups);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_groups(title: &str, groups: &[CostGroup]) {
    if groups.is_empty() {
        return;
    }
    println!("{title}:");
    for g in groups {
        println!(
            "  {:<32} ${:>10.4}  {:>10} in  {:>10} out  {:>6} artifacts",
            shown(&g.name),
            g.cost_usd,
            g.tokens_in,
            g.tokens_out,
            g.artifacts
        );
    }
}
