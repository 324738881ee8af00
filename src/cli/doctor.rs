//! `aiperture doctor`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture doctor`.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `aiperture doctor`.
pub fn run(_args: DoctorArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("doctor")
}
