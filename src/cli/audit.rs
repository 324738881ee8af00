//! `aiperture audit verify|list|export`.

use clap::{Args, Subcommand};
use std::process::ExitCode;

/// Arguments of `aiperture audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Verify the hash chain (exit 0 intact, 1 broken).
    Verify,
    /// List audit events.
    List,
    /// Export the chain as JSON Lines.
    Export,
}

/// Runs `aiperture audit`.
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify => super::not_implemented("audit verify"),
        AuditCommand::List => super::not_implemented("audit list"),
        AuditCommand::Export => super::not_implemented("audit export"),
    }
}
