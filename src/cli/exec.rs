//! `aiperture exec`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub argv: Vec<String>,
}

/// Runs `aiperture exec`.
pub fn run(_args: ExecArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("exec")
}
