//! The last line of fail-closed for `aiperture hook`: if the process dies of a fatal signal of
//! its own (SIGSEGV, SIGBUS, SIGILL or SIGFPE from a fault in C code such as SQLite or the
//! shell parser, SIGABRT from an abort), a runtime reads the death as "the hook failed, let
//! the tool run" (Claude Code proceeds on any exit status but 2). The guard holds the
//! runtime's fail-closed answer, rendered before any work starts, and a signal handler writes
//! it and exits with the runtime's code instead.
//!
//! The handler only calls `write` and `_exit`, which are async-signal-safe, and runs on its
//! own signal stack, so a stack overflow (a fault on the guard page) is answered too.

use crate::runtimes::Output;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The fatal signals a process raises on itself.
const FATAL: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
];

/// What the handler writes: stdout and stderr bytes, and the exit status.
struct Answer {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: libc::c_int,
}

/// The armed answer; null when disarmed. Leaked on purpose: the process ends soon after.
static ARMED: AtomicPtr<Answer> = AtomicPtr::new(null_mut());

/// Size of the handler's own stack (a stack overflow leaves no room on the thread's stack).
const SIGNAL_STACK: usize = 64 * 1024;

/// The handler's stack; in `.bss`, so it costs nothing until a signal arrives.
struct SignalStack(std::cell::UnsafeCell<[u8; SIGNAL_STACK]>);

// SAFETY: only the kernel writes to it, while running the handler on the main thread.
unsafe impl Sync for SignalStack {}

static STACK: SignalStack = SignalStack(std::cell::UnsafeCell::new([0; SIGNAL_STACK]));

/// The bytes the hook writes (and the guard's handler, on a fatal signal): the answer and a newline on stdout (nothing when it is empty),
/// and the first line of stderr with a newline (nothing when it is empty).
pub fn output_bytes(out: &Output) -> (Vec<u8>, Vec<u8>) {
    let mut stdout = Vec::new();
    if !out.stdout.is_empty() {
        stdout.extend_from_slice(out.stdout.as_bytes());
        stdout.push(b'\n');
    }
    let mut stderr = Vec::new();
    if let Some(line) = out.stderr.lines().next().filter(|l| !l.is_empty()) {
        stderr.extend_from_slice(line.as_bytes());
        stderr.push(b'\n');
    }
    (stdout, stderr)
}

/// Arms the guard with `out`, the runtime's fail-closed answer, and installs the handlers.
pub fn arm(out: &Output) {
    let (stdout, stderr) = output_bytes(out);
    let answer = Box::new(Answer {
        stdout,
        stderr,
        code: libc::c_int::from(out.exit_code),
    });
    ARMED.store(Box::into_raw(answer), Ordering::SeqCst);
    let stack = libc::stack_t {
        ss_sp: STACK.0.get().cast(),
        ss_flags: 0,
        ss_size: SIGNAL_STACK,
    };
    // SAFETY: `STACK` is a static buffer of `SIGNAL_STACK` bytes that lives for the process
    // and is used for nothing else.
    unsafe { libc::sigaltstack(&stack, null_mut()) };
    for sig in FATAL {
        // SAFETY: a zeroed `sigaction` is a valid value to fill in; `on_fatal` has the
        // signature of a plain handler (no SA_SIGINFO) and only calls async-signal-safe
        // functions.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fatal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, null_mut());
        }
    }
}

/// Disarms the guard once the real answer is written: a later fatal signal ends the process
/// the ordinary way rather than printing a second answer.
pub fn disarm() {
    ARMED.store(null_mut(), Ordering::SeqCst);
}

extern "C" fn on_fatal(sig: libc::c_int) {
    let armed = ARMED.swap(null_mut(), Ordering::SeqCst);
    if !armed.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` in `arm` and is never freed.
        let answer = unsafe { &*armed };
        write_all(libc::STDOUT_FILENO, &answer.stdout);
        write_all(libc::STDERR_FILENO, &answer.stderr);
        // SAFETY: `_exit` is async-signal-safe and ends the process at once.
        unsafe { libc::_exit(answer.code) };
    }
    // Disarmed: die of the signal, as without the guard.
    // SAFETY: `signal` and `raise` are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// `write(2)` until done or an error; no allocation, no locks.
fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid buffer of `bytes.len()` bytes.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
