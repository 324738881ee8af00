//! `aiperture-warm`'s way back to the in-process hook. When no running server answered, the
//! call is handed over to the `aiperture` binary installed beside it: this process is replaced
//! (`exec`) by `aiperture hook <runtime> [--event E]`, with the payload already read as its
//! standard input. So the answer, its exit code and the crash guard are exactly those of
//! `aiperture hook`, and the only cost over calling it directly is the small client's start.
//!
//! The handed-over hook skips the warm path (it just missed: [`WARM_TIMEOUT_ENV`] is `0`), and
//! when the server may have received the call, decides under the same call id
//! ([`REQUEST_ID_ENV`]), so the call is recorded once (`crate::request_id`).

use super::HookCall;
use std::io::{self, Seek, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// The binary the call is handed over to, in the same directory as the client.
pub const IN_PROCESS_BINARY: &str = "aiperture";

/// The setting `hook_warm_timeout_ms` as an environment variable; `0` turns the warm path off.
pub const WARM_TIMEOUT_ENV: &str = "AIPERTURE_HOOK_WARM_TIMEOUT_MS";

/// Environment variable: the id under which a handed-over call may already have reached a
/// server (`crate::request_id::well_formed`, else ignored). `aiperture hook` decides under
/// it, so whichever of the two claims it first records the call.
pub const REQUEST_ID_ENV: &str = "AIPERTURE_HOOK_REQUEST_ID";

/// Replaces this process with `aiperture hook` for `call`, the payload on its stdin. Returns
/// only when that cannot happen, with the reason (the caller answers fail-closed).
pub fn exec_in_process_hook(call: &HookCall, payload: &[u8], request_id: Option<&str>) -> String {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return format!("cannot find the aiperture binary beside this one: {e}"),
    };
    let full = exe.with_file_name(IN_PROCESS_BINARY);
    let stdin = match payload_file(payload) {
        Ok(fd) => fd,
        Err(e) => return format!("cannot hand the payload over to {}: {e}", full.display()),
    };
    let mut cmd = Command::new(&full);
    cmd.arg("hook").arg(&call.runtime);
    if let Some(event) = &call.event {
        cmd.arg("--event").arg(event);
    }
    cmd.env(WARM_TIMEOUT_ENV, "0");
    match request_id.filter(|id| crate::request_id::well_formed(id)) {
        Some(id) => cmd.env(REQUEST_ID_ENV, id),
        None => cmd.env_remove(REQUEST_ID_ENV),
    };
    cmd.stdin(Stdio::from(stdin));
    let err = cmd.exec();
    format!("cannot start {}: {err}", full.display())
}

/// A file holding `payload`, positioned at its start, that no other process can open: an
/// anonymous memory file on Linux, elsewhere a private temporary file unlinked at once.
fn payload_file(payload: &[u8]) -> io::Result<OwnedFd> {
    let mut file = anonymous_file()?;
    file.write_all(payload)?;
    file.rewind()?;
    Ok(OwnedFd::from(file))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn anonymous_file() -> io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: a valid NUL-terminated name and flags; the result is checked below.
    let fd = unsafe { libc::memfd_create(c"aiperture-hook-payload".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created here and is owned by nothing else.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn anonymous_file() -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut r = [0u8; 16];
    getrandom::fill(&mut r).map_err(|e| io::Error::other(e.to_string()))?;
    let path = std::env::temp_dir().join(format!("aiperture-hook-{}", hex::encode(r)));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_payload_file_reads_back_from_its_start() {
        let payload = br#"{"hook_event_name":"PreToolUse"}"#;
        let mut f = std::fs::File::from(payload_file(payload).unwrap());
        let mut back = Vec::new();
        f.read_to_end(&mut back).unwrap();
        assert_eq!(back, payload);
    }

    #[test]
    fn the_warm_timeout_variable_is_the_settings_own() {
        let info = crate::config::SETTINGS
            .iter()
            .find(|s| s.key == "hook_warm_timeout_ms")
            .map(|s| s.env);
        assert_eq!(info, Some(WARM_TIMEOUT_ENV));
    }
}
