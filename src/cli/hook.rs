//! `aiperture hook`.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture hook`.
#[derive(Args, Debug)]
pub struct HookArgs {
    /// The runtime: claude-code, cursor, gemini, codex, copilot or openclaw.
    pub runtime: String,
}

/// Runs `aiperture hook`.
pub fn run(_args: HookArgs) -> anyhow::Result<ExitCode> {
    super::not_implemented("hook")
}
