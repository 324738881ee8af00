//! `aiperture report`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output format: md, json or html.
    #[arg(long, default_value = "md")]
    pub format: String,
    /// Only events since this date or age (7d, 2026-11-01).
    #[arg(long)]
    pub since: Option<String>,
}

/// Runs `aiperture report`.
pub fn run(_args: ReportArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("report")
}
