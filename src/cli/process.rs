//! Process exit for the `aiperture` binary, whose `main` is the C entry point (`#![no_main]` in
//! `main.rs`); its start is `aiperture::hook_process::start`, shared with `aiperture-warm`. At
//! exit, stdout is flushed (std's runtime would do it after `main`).

use super::ExitCode;
use std::ffi::c_int;
use std::io::Write;

/// The process exit: flushes stdout and returns the status for the C runtime.
pub fn exit_status(code: ExitCode) -> c_int {
    let _ = std::io::stdout().flush();
    c_int::from(code.0)
}
