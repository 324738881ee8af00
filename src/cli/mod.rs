//! One module per subcommand. Each defines its clap arguments once and a `run` that calls the
//! library and returns the process exit code.

pub mod artifact;
pub mod audit;
pub mod bootstrap;
pub mod check;
pub mod completions;
pub mod config;
pub mod configure;
pub mod costs;
pub mod decide;
pub mod doctor;
pub mod exec;
pub mod explain;
pub mod grant;
pub mod hook;
pub mod human;
pub mod patterns;
pub mod policy;
pub mod process;
pub mod report;
pub mod revoke;
pub mod serve;
pub mod setup;
pub mod sinks;
pub mod store;
pub mod suggest;

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

/// Build information from `build.rs` (target, profile).
mod build_info {
    include!(concat!(env!("OUT_DIR"), "/build_info.rs"));
}

/// What `aiperture --version` prints after the name (`-V` prints the version alone): the
/// version, then the git commit (`AIPERTURE_GIT_COMMIT` at build time, as `scripts/install`
/// sets it; `unknown` without), target and profile the binary was built with. Built only when
/// clap's command tree is (never on the hook's fast path), once per process.
pub fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{}\ncommit: {}\ntarget: {}\nprofile: {}",
            env!("CARGO_PKG_VERSION"),
            commit_shown(option_env!("AIPERTURE_GIT_COMMIT").unwrap_or("")),
            build_info::TARGET,
            build_info::PROFILE
        )
    })
}

/// A commit as `--version` shows it: a hash shortened to 12 digits, any other single-line
/// name as given (`4f6f7635f623-dirty`, a packager's version), `unknown` for nothing or
/// anything garbled.
fn commit_shown(raw: &str) -> &str {
    let raw = raw.trim();
    let is_hash = raw.len() >= 7 && raw.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hash {
        raw.get(..12).unwrap_or(raw)
    } else if raw.is_empty() || raw.len() > 80 || raw.contains(['\n', '\r']) {
        "unknown"
    } else {
        raw
    }
}

/// The exit status of a usage error (BSD sysexits' EX_USAGE), distinct from check's 0/2/3.
pub const EX_USAGE: u8 = 64;

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

#[cfg(test)]
mod tests {
    use super::commit_shown;

    #[test]
    fn commits_show_as_12_digits_a_name_or_unknown() {
        let full = "4f6f7635f623aabbccddeeff0011223344556677\n";
        assert_eq!(commit_shown(full), "4f6f7635f623");
        assert_eq!(commit_shown("4f6f763"), "4f6f763");
        assert_eq!(commit_shown("v0.1.0-debian-2"), "v0.1.0-debian-2");
        assert_eq!(commit_shown(""), "unknown");
        assert_eq!(commit_shown("two\nlines"), "unknown");
        assert_eq!(commit_shown(&"x".repeat(81)), "unknown");
    }
}
