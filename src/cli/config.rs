//! `aiperture config show|set|path`.

use clap::{Args, Subcommand};
use std::process::ExitCode;

/// Arguments of `aiperture config`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Show the effective settings and where each comes from.
    Show,
    /// Change a setting in the user config file.
    Set,
    /// Print the config file's path.
    Path,
}

/// Runs `aiperture config`.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Show => super::not_implemented("config show"),
        ConfigCommand::Set => super::not_implemented("config set"),
        ConfigCommand::Path => super::not_implemented("config path"),
    }
}
