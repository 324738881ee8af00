//! `aiperture-warm hook <runtime> [--event E]`: the small hook client for a machine where
//! `aiperture serve` runs (`aiperture setup <runtime> --warm` wires it in). It asks the server
//! over its socket and prints the proven answer, or hands the call over to `aiperture hook`
//! beside it (`aiperture::hook_process::client`). Kept apart from `aiperture` so it links
//! none of the engine: its start is most of a warm call's cost.
//!
//! `main` is the C entry point, as `aiperture`'s (`aiperture::hook_process::start`).
// Unit tests keep libtest's own `main`.
#![cfg_attr(not(test), no_main)]

use aiperture::hook_process::{self, client, start};
use std::ffi::{c_char, c_int};
use std::io::Write;

/// The process entry point, called by the C runtime.
///
/// # Safety
/// `argv` holds `argc` valid NUL-terminated strings, as the C runtime passes them.
#[cfg_attr(not(test), unsafe(export_name = "main"))]
#[cfg_attr(test, allow(dead_code))]
pub unsafe extern "C" fn c_main(argc: c_int, argv: *const *const c_char) -> c_int {
    let started = start::start();
    // SAFETY: the C runtime passes `argc` valid argument strings in `argv`.
    let args = unsafe { start::args(argc, argv) };
    let Some(call) = hook_process::invoked_runtime(&args) else {
        if args.get(1).is_some_and(|a| a == "--version" || a == "-V") {
            println!("aiperture-warm {}", env!("CARGO_PKG_VERSION"));
            return 0;
        }
        // Exit 2: "block" to the runtimes that read exit codes, should one run this by mistake.
        eprintln!("usage: aiperture-warm hook <runtime> [--event E]   (the payload on stdin)");
        return c_int::from(hook_process::BLOCK_STATUS);
    };
    let code = match started {
        Err(unopened) => hook_process::answer_early(&call, &unopened.describe(), unopened.stdout()),
        Ok(()) => {
            hook_process::quiet_panics("aiperture-warm");
            // A panic must not unwind into C; it is answered fail-closed.
            std::panic::catch_unwind(|| client::run(&call)).unwrap_or_else(|_| {
                hook_process::answer_early(&call, "aiperture hit an internal error", false)
            })
        }
    };
    let _ = std::io::stdout().flush();
    c_int::from(code)
}
