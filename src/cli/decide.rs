//! `aiperture approve` and `aiperture deny`: a human's decision, from a terminal.

use aiperture::request::Decision;
use clap::Args;
use std::process::ExitCode;

/// Arguments of `aiperture approve|deny`.
#[derive(Args, Debug)]
pub struct DecideArgs {
    /// The pending ask's id.
    pub id: Option<String>,
}

/// Runs `aiperture approve` (`Allow`) or `aiperture deny` (`Deny`).
pub fn run(_args: DecideArgs, decision: Decision) -> anyhow::Result<ExitCode> {
    match decision {
        Decision::Deny => super::not_implemented("deny"),
        _ => super::not_implemented("approve"),
    }
}
