//! Process start-up for the hook's binaries (`aiperture` and `aiperture-warm`), whose `main` is
//! the C entry point (`#![no_main]`).
//!
//! std's own start-up costs a hook call ~40 µs that it does not need (measured,
//! docs/performance.md): finding the main thread's stack bounds reads and parses
//! `/proc/self/maps`, and a stack-overflow handler is set up with its own stack. This module
//! does the two parts of it that matter for correctness:
//! - file descriptors 0, 1 and 2 are made valid (opened on `/dev/null` if closed), as std
//!   does: otherwise the next file aiperture opens (its config, its key) would become
//!   stdout and receive what is printed (SQLite keeps its own files off 0-2 by itself).
//!   When one cannot be reopened, [`start`] says which, and `main` opens nothing: a hook
//!   call answers with its runtime's fail-closed answer, anything else exits 1;
//! - SIGPIPE is ignored, as std does, so a closed stdout is an error rather than a silent death.
//!
//! A stack overflow in a hook is caught by the crash guard, which has its own signal stack.

use std::ffi::{OsString, c_char, c_int};
use std::os::unix::ffi::OsStringExt;

/// Standard descriptors that were closed and could not be reopened on `/dev/null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unopened {
    /// One flag per descriptor 0, 1, 2: true when it is still closed.
    pub fds: [bool; 3],
}

impl Unopened {
    /// True when standard output is closed: an answer printed there is lost.
    pub fn stdout(&self) -> bool {
        self.fds[1]
    }

    /// One line saying which descriptors are closed.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = ["stdin", "stdout", "stderr"]
            .iter()
            .zip(self.fds)
            .filter(|(_, closed)| *closed)
            .map(|(n, _)| *n)
            .collect();
        format!(
            "the hook process started with {} closed and could not reopen it",
            names.join(", ")
        )
    }
}

/// The process start: valid standard descriptors, SIGPIPE ignored. `Err` names the
/// descriptors that are closed and could not be reopened: the caller must then open no file
/// (it would take a standard descriptor's number) and answer at once.
pub fn start() -> Result<(), Unopened> {
    // SAFETY: setting SIGPIPE's disposition to "ignore" has no other effect.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd; a zero timeout never blocks.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    let closed = |p: &libc::pollfd| {
        if polled >= 0 {
            p.revents & libc::POLLNVAL != 0
        } else {
            // poll refuses three descriptors when the open-files limit is under three.
            // SAFETY: F_GETFD only reads the descriptor's flags.
            let flags = unsafe { libc::fcntl(p.fd, libc::F_GETFD) };
            flags == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
        }
    };
    let mut unopened = Unopened { fds: [false; 3] };
    for (i, p) in fds.iter().enumerate() {
        if !closed(p) {
            continue;
        }
        // SAFETY: opening /dev/null; the lowest free descriptor is the closed one.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd != p.fd {
            if fd >= 0 {
                // Landed elsewhere (a lower one is still closed): give it back.
                // SAFETY: `fd` was just opened here and is owned by nothing else.
                unsafe { libc::close(fd) };
            }
            if let Some(flag) = unopened.fds.get_mut(i) {
                *flag = true;
            }
        }
    }
    if unopened.fds.iter().any(|c| *c) {
        Err(unopened)
    } else {
        Ok(())
    }
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
