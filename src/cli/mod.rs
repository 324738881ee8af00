//! One module per subcommand. Each defines its clap arguments once and a `run` that calls the
//! library and returns the process exit code.

pub mod audit;
pub mod bootstrap;
pub mod check;
pub mod completions;
pub mod config;
pub mod crash_guard;
pub mod decide;
pub mod doctor;
pub mod exec;
pub mod explain;
pub mod grant;
pub mod hook;
pub mod patterns;
pub mod process;
pub mod report;
pub mod revoke;
pub mod serve;
pub mod setup;

/// A process exit status. Like std's `ExitCode`, but its number can be read back: `main` is
/// the C entry point (see [`process`]) and returns it to the C runtime itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode(pub u8);

impl ExitCode {
    /// Exit status 0.
    pub const SUCCESS: ExitCode = ExitCode(0);
}

impl From<u8> for ExitCode {
    fn from(code: u8) -> Self {
        ExitCode(code)
    }
}

/// The exit status of a usage error (BSD sysexits' EX_USAGE), distinct from check's 0/2/3.
pub const EX_USAGE: u8 = 64;

/// The error a subcommand returns when it is not built yet.
pub fn not_implemented(what: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`aiperture {what}` is not yet implemented")
}

/// Turns a subcommand's result into the process exit: errors print one line on stderr and
/// exit 1 (hooks never get here with an error; they render their runtime's fail-closed form).
/// A reader that stopped reading (`aiperture audit export | head -1`) is not an error: exit 0
/// quietly, as Unix tools do.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aiperture: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether an error is (caused by) a write to a pipe whose reader has gone.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}
