//! `aiperture bootstrap`: enable a preset (`developer`, `readonly`, `minimal`) for a project.
//! Idempotent and audited; presets are confined to the project root.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::request::Request;
use clap::Args;

/// Arguments of `aiperture bootstrap`.
#[derive(Args, Debug)]
pub struct BootstrapArgs {
    /// The preset: developer, readonly or minimal.
    pub preset: String,
    /// The project (default: detected from the current directory).
    #[arg(long)]
    pub project: Option<String>,
}

/// Runs `aiperture bootstrap`.
pub fn run(args: BootstrapArgs) -> anyhow::Result<ExitCode> {
    let mut gate = Gate::open()?;
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
    if gate.bootstrap(&args.preset, &project, &who())? {
        println!("preset {} enabled for {project}", args.preset);
    } else {
        println!("preset {} was already enabled for {project}", args.preset);
    }
    Ok(ExitCode::SUCCESS)
}
