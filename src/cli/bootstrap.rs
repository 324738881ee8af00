//! `aiperture bootstrap`: enable a preset of allow rules (`developer`, `readonly`, `minimal`)
//! for a project, list the enabled presets, or remove one. Idempotent and audited; presets are
//! confined to the project root. `minimal` is exclusive: enabling it disables the project's
//! other presets, and enabling another preset disables `minimal`.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::Request;
use clap::Args;

/// Arguments of `aiperture bootstrap`.
#[derive(Args, Debug)]
#[command(
    after_help = "Presets are allow rules (decided_by preset:<name>), never synthetic decisions; the risk \
floor applies to them. `minimal` holds no rules and is exclusive: enabling it disables the \
project's other presets, and enabling another preset disables `minimal`."
)]
pub struct BootstrapArgs {
    /// The preset to enable: developer, readonly or minimal.
    #[arg(required_unless_present_any = ["list", "remove"], conflicts_with_all = ["list", "remove"])]
    pub preset: Option<String>,
    /// List the enabled presets of every project.
    #[arg(long, conflicts_with = "remove")]
    pub list: bool,
    /// Disable a preset for the project (audited).
    #[arg(long, value_name = "PRESET")]
    pub remove: Option<String>,
    /// The project (default: detected from the current directory).
    #[arg(long)]
    pub project: Option<String>,
}

/// Runs `aiperture bootstrap`.
pub fn run(args: BootstrapArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    if args.list {
        let rows = gate.all_presets()?;
        if rows.is_empty() {
            println!("no presets enabled");
        }
        for (project, name, _, by) in rows {
            if args.project.as_ref().is_none_or(|p| *p == project) {
                println!("{project}\t{name}\t(enabled by {by})");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let project = match &args.project {
        Some(p) => p.clone(),
        None => {
            gate.resolve(&Request {
                cwd: current_dir(),
                ..Request::default()
            })
            .project
        }
    };
    let paths = aiperture::paths::Paths::from_env()?;
    if let Some(preset) = &args.remove {
        super::human::require(&paths, &format!("disable preset {preset} for {project}"))?;
        if gate.remove_preset(preset, &project, &who())? {
            println!("preset {preset} removed for {project}");
        } else {
            println!("preset {preset} was not enabled for {project}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(preset) = &args.preset else {
        anyhow::bail!("name a preset (developer, readonly, minimal), or use --list or --remove");
    };
    super::human::require(&paths, &format!("enable preset {preset} for {project}"))?;
    let (added, replaced) = gate.bootstrap_report(preset, &project, &who())?;
    if !replaced.is_empty() {
        println!(
            "preset {} disabled for {project} (replaced by {preset})",
            replaced.join(", ")
        );
    }
    if added {
        println!("preset {preset} enabled for {project}");
    } else {
        println!("preset {preset} was already enabled for {project}");
    }
    Ok(ExitCode::SUCCESS)
}
