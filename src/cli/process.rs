//! Process start-up and exit for the `aiperture` binary, whose `main` is the C entry point
//! (`#![no_main]` in `main.rs`).
//!
//! std's own start-up costs a hook call ~40 µs that it does not need (measured,
//! docs/performance.md): finding the main thread's stack bounds reads and parses
//! `/proc/self/maps`, and a stack-overflow handler is set up with its own stack. This module
//! does the two parts of it that matter for correctness, and the exit:
//! - file descriptors 0, 1 and 2 are made valid (opened on `/dev/null` if closed), as std
//!   does: otherwise the next file aiperture opens (its config, its key) would become
//!   stdout and receive what is printed (SQLite keeps its own files off 0-2 by itself);
//! - SIGPIPE is ignored, as std does, so a closed stdout is an error rather than a silent death;
//! - at exit, stdout is flushed (std's runtime would do it after `main`).
//!
//! A stack overflow in a hook is caught by the crash guard, which has its own signal stack.

use super::ExitCode;
use std::ffi::{OsString, c_char, c_int};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

/// The process start: valid standard descriptors, SIGPIPE ignored.
pub fn start() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd; a zero timeout never blocks.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    if polled >= 0 {
        for p in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
            // SAFETY: opening /dev/null; the lowest free descriptor is the closed one.
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if fd != p.fd {
                // Could not fill the gap: refuse to run rather than write into a wrong file.
                // SAFETY: `_exit` ends the process at once.
                unsafe { libc::_exit(1) };
            }
        }
    }
    // SAFETY: setting SIGPIPE's disposition to "ignore" has no other effect.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// The command-line arguments from the C entry point's `argc`/`argv`, program name first
/// (portable: std only captures them itself on some platforms when it does not own `main`).
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings, as the C runtime passes them.
pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    let n = usize::try_from(argc).unwrap_or(0);
    (0..n)
        .filter_map(|i| {
            // SAFETY: `i < argc`, so `argv[i]` is one of the runtime's argument strings.
            let p = unsafe { *argv.add(i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: a NUL-terminated string owned by the C runtime for the process's life.
            let bytes = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec();
            Some(OsString::from_vec(bytes))
        })
        .collect()
}

/// The process exit: flushes stdout and returns the status for the C runtime.
pub fn exit_status(code: ExitCode) -> c_int {
    let _ = std::io::stdout().flush();
    c_int::from(code.0)
}
