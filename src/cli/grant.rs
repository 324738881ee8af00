//! `aiperture grant`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture grant`.
#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Task id the grant belongs to.
    #[arg(long)]
    pub task: Option<String>,
}

/// Runs `aiperture grant`.
pub fn run(_args: GrantArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("grant")
}
