//! `aiperture setup`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The runtime to wire up.
    pub runtime: String,
    /// Remove the hook instead of installing it.
    #[arg(long)]
    pub uninstall: bool,
}

/// Runs `aiperture setup`.
pub fn run(_args: SetupArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("setup")
}
