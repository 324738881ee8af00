//! `aiperture bootstrap`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture bootstrap`.
#[derive(Args, Debug)]
pub struct BootstrapArgs {
    /// The preset: developer, readonly or minimal.
    pub preset: String,
}

/// Runs `aiperture bootstrap`.
pub fn run(_args: BootstrapArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("bootstrap")
}
