//! `aiperture patterns`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture patterns`.
#[derive(Args, Debug)]
pub struct PatternsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `aiperture patterns`.
pub fn run(_args: PatternsArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("patterns")
}
