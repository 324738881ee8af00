//! `aiperture revoke`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture revoke`.
#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The pattern or exact scope to revoke.
    pub scope: Option<String>,
}

/// Runs `aiperture revoke`.
pub fn run(_args: RevokeArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("revoke")
}
