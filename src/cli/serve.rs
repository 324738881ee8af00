//! `aiperture serve`: hands over to the `aiperture-serve` binary installed beside this one
//! (`aiperture::server::command` does the work). The server is a binary of its own so that
//! the one-shot hook's binary carries none of the server's code: every hook call pays for the
//! start-up relocations of what its binary holds (docs/performance.md).

use crate::cli::ExitCode;
pub use aiperture::server::command::ServeArgs;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

/// The server binary's file name.
const SERVER_BIN: &str = "aiperture-serve";

/// `aiperture-serve` beside the running binary, else the one on PATH.
fn server_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(SERVER_BIN)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(SERVER_BIN))
}

/// Runs `aiperture serve` by replacing this process with `aiperture-serve` and the same
/// arguments; returns only when that cannot start.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let bin = server_binary();
    let mut cmd = std::process::Command::new(&bin);
    if let Some(h) = &args.http {
        cmd.arg("--http").arg(h);
    }
    if let Some(s) = &args.socket {
        cmd.arg("--socket").arg(s);
    }
    if args.allow_remote {
        cmd.arg("--allow-remote");
    }
    if args.mcp {
        cmd.arg("--mcp");
    }
    let err = cmd.exec();
    anyhow::bail!(
        "cannot start {} ({err}); `cargo install --path .` and scripts/install put it beside \
         aiperture",
        bin.display()
    )
}
