//! What every hook process does around its decision, shared by `aiperture hook` (which then
//! decides in-process) and `aiperture-warm` (the small client that only asks a running server
//! and hands the call over to `aiperture hook` otherwise): valid standard descriptors
//! ([`start`]), the crash guard ([`crash_guard`]), the payload read with a cap and a deadline,
//! the warm exchange with a running `aiperture serve` ([`warm_call`]), writing the answer, and
//! the runtime's fail-closed answer for anything that goes wrong before it. Nothing here may
//! fail open: the exit code of a hook is never 1.

pub mod client;
pub mod crash_guard;
pub mod early_gate;
pub mod handover;
pub mod start;
pub mod warm_call;

use crate::runtimes::{Adapter, Answer, Output, WithAdapter, with_adapter};
use std::ffi::OsString;
use std::io::Write;
use std::time::{Duration, Instant};

/// The largest payload read; anything larger is refused without reading the rest.
pub const MAX_PAYLOAD: usize = 8 * 1024 * 1024;

/// Environment variable: how long the hook waits for its whole payload on stdin, in
/// milliseconds (1 to 600000; anything else is ignored). A runtime that keeps stdin open
/// without writing gets the fail-closed answer when it passes.
pub const STDIN_TIMEOUT_ENV: &str = "AIPERTURE_HOOK_STDIN_TIMEOUT_MS";

/// How long the hook waits for its payload when [`STDIN_TIMEOUT_ENV`] is not set.
pub const DEFAULT_STDIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The exit status Claude Code, Codex, Cursor and Gemini CLI read as "block this call": used
/// when the answer cannot be printed because standard output is closed.
pub const BLOCK_STATUS: u8 = 2;

/// A hook call as its arguments name it: `hook <runtime> [--event E]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCall {
    /// The runtime: claude-code, cursor, gemini, codex, copilot or openclaw (empty when none
    /// was named).
    pub runtime: String,
    /// `--event`, for runtimes whose payload does not name it.
    pub event: Option<String>,
}

/// The reason given for a runtime aiperture does not know (answered with exit
/// [`BLOCK_STATUS`] and this on stderr, never with another runtime's answer).
pub fn unknown_runtime(name: &str) -> String {
    format!(
        "unknown runtime `{name}` (expected one of claude-code, cursor, gemini, codex, copilot, openclaw)"
    )
}

/// The hook call named by the process's arguments (`aiperture hook <runtime> [--event E]`,
/// in either order), or `None` for any other command. A hook call with no runtime named is
/// answered in the unknown runtime's form.
pub fn invoked_runtime(args: &[OsString]) -> Option<HookCall> {
    if args.get(1).is_none_or(|a| a != "hook") {
        return None;
    }
    let mut runtime = None;
    let mut event = None;
    let mut rest = args
        .iter()
        .skip(2)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = rest.next() {
        if a == "--event" {
            event = rest.next();
        } else if let Some(e) = a.strip_prefix("--event=") {
            event = Some(e.to_string());
        } else if !a.starts_with('-') && runtime.is_none() {
            runtime = Some(a);
        }
    }
    Some(HookCall {
        runtime: runtime.unwrap_or_default(),
        event,
    })
}

/// The runtime's fail-closed answer, for a hook call that failed before it could run (its
/// process could not start properly, or a panic escaped): printed at once, opening nothing.
/// When standard output is closed the answer cannot arrive, so the exit status is
/// [`BLOCK_STATUS`].
pub fn answer_early(call: &HookCall, why: &str, stdout_closed: bool) -> u8 {
    let out = match with_adapter(
        &call.runtime,
        call.event.as_deref(),
        FailClosed(why.to_string()),
    ) {
        Some(out) => out,
        None => {
            let other = call.runtime.as_str();
            eprintln!(
                "aiperture: {why}; {}; refusing the call",
                unknown_runtime(other)
            );
            return BLOCK_STATUS;
        }
    };
    emit(&out);
    if stdout_closed {
        BLOCK_STATUS
    } else {
        out.exit_code
    }
}

/// How long to wait for the payload: [`STDIN_TIMEOUT_ENV`] when it holds 1 to 600000 ms,
/// [`DEFAULT_STDIN_TIMEOUT`] otherwise.
pub fn stdin_timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| (1..=600_000).contains(ms))
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_STDIN_TIMEOUT)
}

/// A fail-closed answer with this reason, in the selected runtime's form.
pub struct FailClosed(pub String);

impl WithAdapter for FailClosed {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        adapter.render(None, &Answer::FailClosed(self.0))
    }
}

/// Reads descriptor `fd` to its end, at most `cap` bytes and within `timeout` in all (a
/// writer that trickles counts from the first byte asked for); a longer input, a deadline
/// passed or a read error is an error that says so, and the rest is never read.
pub fn read_fd_capped(fd: libc::c_int, cap: usize, timeout: Duration) -> Result<Vec<u8>, String> {
    let started = Instant::now();
    let mut buf = Vec::new();
    // On the stack: a zeroed 64 KiB heap chunk cost ~66 k instructions and its page faults on
    // every hook call, for payloads that are mostly under a few KiB.
    let mut chunk = [0u8; 8 * 1024];
    loop {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(format!(
                "the hook payload did not arrive on stdin within {} ms (set {STDIN_TIMEOUT_ENV} to wait longer)",
                timeout.as_millis()
            ));
        }
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // Rounded up, so that a wait shorter than a millisecond still waits.
        let ms = libc::c_int::try_from(left.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX);
        // SAFETY: `p` is one valid pollfd.
        let ready = unsafe { libc::poll(&mut p, 1, ms) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("the hook payload could not be read: {e}"));
        }
        if ready == 0 {
            continue;
        }
        // SAFETY: `chunk` is valid for `chunk.len()` bytes of writing.
        let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if matches!(
                e.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ) {
                continue;
            }
            return Err(format!("the hook payload could not be read: {e}"));
        }
        let n = usize::try_from(n).unwrap_or(0);
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        if buf.len() > cap {
            return Err(too_large(cap));
        }
    }
}

/// The reason given for a payload over the cap.
fn too_large(cap: usize) -> String {
    format!(
        "the hook payload is larger than {} MiB",
        cap / (1024 * 1024)
    )
}

/// Writes the answer: stdout, then the first line of stderr.
pub fn emit(out: &Output) {
    let (stdout, stderr) = crash_guard::output_bytes(out);
    if !stdout.is_empty() {
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(&stdout);
        let _ = so.flush();
    }
    if !stderr.is_empty() {
        let _ = std::io::stderr().lock().write_all(&stderr);
    }
}

/// Makes a panic print one line on stderr (where, no backtrace) under `program`'s name: the
/// caller then answers fail-closed.
pub fn quiet_panics(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("{program}: internal error{at}; failing closed");
    }));
}

/// A hook's first steps for `adapter`: arms the crash guard with the runtime's fail-closed
/// answer, then reads the payload from stdin up to [`MAX_PAYLOAD`] within the deadline
/// ([`STDIN_TIMEOUT_ENV`]). `Err` is the fail-closed answer for a payload that could not be
/// read whole.
pub fn arm_and_read<A: Adapter>(adapter: &A) -> Result<Vec<u8>, Output> {
    arm(adapter);
    read_payload(adapter)
}

/// Arms the crash guard with `adapter`'s fail-closed answer: from here a fatal signal prints
/// it (the first half of [`arm_and_read`]).
pub fn arm<A: Adapter>(adapter: &A) {
    crash_guard::arm(&adapter.render(
        None,
        &Answer::FailClosed("the hook process crashed (a fatal signal)".into()),
    ));
}

/// Reads the payload from stdin up to [`MAX_PAYLOAD`] within the deadline (the second half of
/// [`arm_and_read`]); `Err` is the fail-closed answer for a payload that could not be read
/// whole.
pub fn read_payload<A: Adapter>(adapter: &A) -> Result<Vec<u8>, Output> {
    let timeout = stdin_timeout(std::env::var(STDIN_TIMEOUT_ENV).ok().as_deref());
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // A person typed the command: say what it waits for (the deadline still fails closed).
        eprintln!(
            "aiperture: waiting for the runtime's JSON hook payload on stdin ({} ms; Ctrl-D to end)",
            timeout.as_millis()
        );
    }
    read_fd_capped(libc::STDIN_FILENO, MAX_PAYLOAD, timeout)
        .map_err(|why| adapter.render(None, &Answer::FailClosed(why)))
}

/// Writes `out` and disarms the crash guard; returns its exit status.
pub fn finish(out: &Output) -> u8 {
    emit(out);
    crash_guard::disarm();
    out.exit_code
}

/// The answer for a runtime aiperture does not know: none on stdout (a Claude-shaped "ask"
/// exits 0, which other runtimes read as proceed), the reason on stderr, exit
/// [`BLOCK_STATUS`] ("block" to Claude Code, Codex and Cursor, a failure to every other
/// caller).
pub fn refuse_unknown_runtime(name: &str) -> u8 {
    eprintln!("aiperture: {}; refusing the call", unknown_runtime(name));
    crash_guard::disarm();
    BLOCK_STATUS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stdin_deadline_comes_from_the_environment_within_bounds() {
        assert_eq!(stdin_timeout(None), DEFAULT_STDIN_TIMEOUT);
        assert_eq!(stdin_timeout(Some("250")), Duration::from_millis(250));
        for bad in ["0", "-5", "abc", "", "600001", "99999999999999999999"] {
            assert_eq!(stdin_timeout(Some(bad)), DEFAULT_STDIN_TIMEOUT, "{bad}");
        }
    }

    #[test]
    fn a_pipe_kept_open_without_writing_times_out() {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors of a pipe.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: writing 2 bytes from a valid buffer to the pipe's write end.
        assert_eq!(unsafe { libc::write(fds[1], b"{}".as_ptr().cast(), 2) }, 2);
        let got = read_fd_capped(fds[0], 100, Duration::from_millis(50));
        assert!(
            got.as_ref().is_err_and(|e| e.contains("within 50 ms")),
            "{got:?}"
        );
        // SAFETY: closing the write end; then the read end sees the end of the input.
        unsafe { libc::close(fds[1]) };
        assert_eq!(
            read_fd_capped(fds[0], 100, Duration::from_millis(50)),
            Ok(Vec::new())
        );
        // SAFETY: closing the read end, owned by this test.
        unsafe { libc::close(fds[0]) };
    }

    #[test]
    fn hook_calls_are_recognized_from_the_arguments() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let rt = |v: &[&str]| invoked_runtime(&args(v)).map(|a| (a.runtime, a.event));
        assert_eq!(rt(&["a", "hook", "codex"]), Some(("codex".into(), None)));
        assert_eq!(
            rt(&["a", "hook", "--event", "postToolUse", "copilot"]),
            Some(("copilot".into(), Some("postToolUse".into())))
        );
        assert_eq!(rt(&["a", "hook"]), Some((String::new(), None)));
        assert_eq!(rt(&["a", "check", "hook"]), None);
        assert_eq!(rt(&["a"]), None);
    }

    /// A pipe holding `data`, its write end closed: its read end.
    fn pipe_with(data: &[u8]) -> libc::c_int {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors of a pipe.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: writing `data` (under a pipe's buffer size) from a valid buffer.
        let n = unsafe { libc::write(fds[1], data.as_ptr().cast(), data.len()) };
        assert_eq!(usize::try_from(n).ok(), Some(data.len()));
        // SAFETY: closing the write end, owned by this test.
        unsafe { libc::close(fds[1]) };
        fds[0]
    }

    #[test]
    fn cap_is_enforced() {
        let data = [b'x'; 100];
        let second = Duration::from_secs(1);
        let fd = pipe_with(&data);
        assert_eq!(read_fd_capped(fd, 100, second).map(|v| v.len()), Ok(100));
        let fd2 = pipe_with(&data);
        assert!(read_fd_capped(fd2, 99, second).is_err());
        // SAFETY: closing read ends owned by this test.
        unsafe {
            libc::close(fd);
            libc::close(fd2);
        }
    }
}
