//! `aiperture explain`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Read JSON Lines of {"tool","action","scope"} from stdin.
    #[arg(long)]
    pub stdin: bool,
    /// The shell command to rate.
    pub command: Option<String>,
}

/// Runs `aiperture explain`.
pub fn run(_args: ExplainArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("explain")
}
