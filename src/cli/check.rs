//! `aiperture check`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
    /// Tool of the request (instead of a JSON object on stdin).
    #[arg(long)]
    pub tool: Option<String>,
    /// Action of the request.
    #[arg(long)]
    pub action: Option<String>,
    /// Scope of the request.
    #[arg(long)]
    pub scope: Option<String>,
    /// Session id.
    #[arg(long)]
    pub session: Option<String>,
    /// Read JSON Lines of requests from stdin and print one verdict line each.
    #[arg(long)]
    pub batch: bool,
}

/// Runs `aiperture check`.
pub fn run(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("check")
}
