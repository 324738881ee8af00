//! `aiperture serve`.

use crate::cli::ExitCode;
use clap::Args;

/// Arguments of `aiperture serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Listen for HTTP on this address (loopback only).
    #[arg(long)]
    pub http: Option<String>,
    /// Speak MCP on stdio.
    #[arg(long)]
    pub mcp: bool,
}

/// Runs `aiperture serve`.
pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("serve")
}
