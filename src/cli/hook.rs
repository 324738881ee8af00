//! `aiperture hook <runtime>`: one short process per tool call. Reads the payload from stdin
//! with a hard size cap and a deadline, hands it to the runtime's adapter, prints the answer.
//! Nothing here may fail open: a payload too large or too slow, a panic, a process that could
//! not start properly, or any error becomes that runtime's fail-closed answer, and the exit
//! code is never 1.
//!
//! The warm path: when `aiperture serve` runs for the same home, the payload goes to it over
//! the Unix socket and its answer is printed, if it arrives complete, proven with the install
//! key, within `hook_warm_timeout_ms` (`aiperture::warm`). Anything else, or no server, and
//! the hook decides in-process as before; with no server that costs one failed `connect`.

use super::crash_guard;
use crate::cli::ExitCode;
use aiperture::client_env::ClientEnv;
use aiperture::clock::Clock;
use aiperture::config::Settings;
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::runtimes::{Adapter, Answer, Output, WithAdapter, dispatch, with_adapter};
use aiperture::warm;
use clap::Args;
use std::ffi::OsString;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Arguments of `aiperture hook`.
#[derive(Args, Debug)]
pub struct HookArgs {
    /// The runtime: claude-code, cursor, gemini, codex, copilot or openclaw.
    pub runtime: String,
    /// The event, for runtimes whose payload does not name it (Copilot CLI's camelCase
    /// payloads: preToolUse or permissionRequest).
    #[arg(long)]
    pub event: Option<String>,
}

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

/// Runs `aiperture hook`.
pub fn run(args: HookArgs) -> anyhow::Result<ExitCode> {
    // One line on stderr for a panic, no backtrace; the answer is rendered below.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("aiperture: internal error{at}; failing closed");
    }));
    let call = Serve {
        runtime: &args.runtime,
        event: args.event.as_deref(),
    };
    let out = match with_adapter(&args.runtime, args.event.as_deref(), call) {
        Some(out) => out,
        None => {
            let other = args.runtime.as_str();
            // No runtime's answer shape is known: print none (a Claude-shaped "ask" exits 0,
            // which other runtimes read as proceed). Exit 2 is "block" to Claude Code, Codex
            // and Cursor, and a failure to every other caller; the reason goes to stderr.
            eprintln!("aiperture: {}; refusing the call", unknown_runtime(other));
            crash_guard::disarm();
            return Ok(ExitCode::from(BLOCK_STATUS));
        }
    };
    emit(&out);
    crash_guard::disarm();
    Ok(ExitCode::from(out.exit_code))
}

/// The reason given for a runtime aiperture does not know (answered with exit
/// [`BLOCK_STATUS`] and this on stderr, never with another runtime's answer).
fn unknown_runtime(name: &str) -> String {
    format!(
        "unknown runtime `{name}` (expected one of claude-code, cursor, gemini, codex, copilot, openclaw)"
    )
}

/// The hook call named by the process's arguments (`aiperture hook <runtime> [--event E]`,
/// in either order), or `None` for any other command. A hook call with no runtime named is
/// answered in the unknown runtime's form.
pub fn invoked_runtime(args: &[OsString]) -> Option<HookArgs> {
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
    Some(HookArgs {
        runtime: runtime.unwrap_or_default(),
        event,
    })
}

/// The runtime's fail-closed answer, for a hook call that failed before it could run (its
/// process could not start properly, or a panic escaped): printed at once, opening nothing.
/// When standard output is closed the answer cannot arrive, so the exit status is
/// [`BLOCK_STATUS`].
pub fn answer_early(args: &HookArgs, why: &str, stdout_closed: bool) -> ExitCode {
    let out = match with_adapter(
        &args.runtime,
        args.event.as_deref(),
        FailClosed(why.to_string()),
    ) {
        Some(out) => out,
        None => {
            let other = args.runtime.as_str();
            eprintln!(
                "aiperture: {why}; {}; refusing the call",
                unknown_runtime(other)
            );
            return ExitCode::from(BLOCK_STATUS);
        }
    };
    emit(&out);
    ExitCode::from(if stdout_closed {
        BLOCK_STATUS
    } else {
        out.exit_code
    })
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

/// The hook call itself, for the adapter its runtime's name selects: the runtime and event
/// as given (the warm path sends them to the server).
struct Serve<'a> {
    runtime: &'a str,
    event: Option<&'a str>,
}

impl WithAdapter for Serve<'_> {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        serve(adapter, self.runtime, self.event)
    }
}

/// A fail-closed answer with this reason, in the selected runtime's form.
struct FailClosed(String);

impl WithAdapter for FailClosed {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        adapter.render(None, &Answer::FailClosed(self.0))
    }
}

/// Arms the crash guard, reads stdin up to the cap and the deadline, then answers (through a
/// running server when one answers in time, else in-process); a panic anywhere becomes the
/// fail-closed answer.
fn serve<A: Adapter>(adapter: &A, runtime: &str, event: Option<&str>) -> Output {
    crash_guard::arm(&adapter.render(
        None,
        &Answer::FailClosed("the hook process crashed (a fatal signal)".into()),
    ));
    let timeout = stdin_timeout(std::env::var(STDIN_TIMEOUT_ENV).ok().as_deref());
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // A person typed the command: say what it waits for (the deadline still fails closed).
        eprintln!(
            "aiperture: waiting for the runtime's JSON hook payload on stdin ({} ms; Ctrl-D to end)",
            timeout.as_millis()
        );
    }
    let payload = match read_fd_capped(libc::STDIN_FILENO, MAX_PAYLOAD, timeout) {
        Ok(p) => p,
        Err(why) => return adapter.render(None, &Answer::FailClosed(why)),
    };
    let mut env = ClientEnv::of_process();
    match warm_answer(runtime, event, &env, &payload) {
        Warm::Answered(out) => return out,
        // The server may still record the call: the in-process decision carries the same id,
        // and only the first of the two to claim it records the call.
        Warm::Sent(id) => env = env.with_request_id(&id),
        Warm::NotSent => {}
    }
    // The process exits right after answering: the store is left open, not closed.
    guarded(adapter, &payload, &env, || {
        Gate::open().map(ManuallyDrop::new)
    })
}

/// What the warm path gave.
enum Warm {
    /// The server's proven answer.
    Answered(Output),
    /// The call went (or may have gone) to a server under this id, and no usable answer came.
    Sent(String),
    /// No server took the call.
    NotSent,
}

/// The answer of a server running for this home, when one is up and answers in time with a
/// proof made with the install key. With no server this is one failed `connect` and nothing
/// else is read.
fn warm_answer(runtime: &str, event: Option<&str>, env: &ClientEnv, payload: &[u8]) -> Warm {
    let mut id = None;
    match warm_exchange(runtime, event, env, payload, &mut id) {
        Some(out) => Warm::Answered(out),
        None => id.map_or(Warm::NotSent, Warm::Sent),
    }
}

/// [`warm_answer`]'s exchange; `id` is set once the call may have reached the server.
fn warm_exchange(
    runtime: &str,
    event: Option<&str>,
    env: &ClientEnv,
    payload: &[u8],
    id: &mut Option<String>,
) -> Option<Output> {
    if payload.len() > warm::MAX_PAYLOAD {
        return None;
    }
    let paths = Paths::from_env().ok()?;
    let stream = warm::connect(&paths.home.join(warm::SOCKET_FILE)).ok()?;
    let settings = Settings::load(&paths).ok()?;
    if settings.hook_warm_timeout_ms == 0 {
        return None;
    }
    let install_key = aiperture::key::load_existing(&paths).ok()??;
    let api_key = match settings.api_key.trim() {
        "" => std::fs::read_to_string(paths.home.join(warm::API_KEY_FILE))
            .ok()?
            .trim()
            .to_string(),
        set => set.to_string(),
    };
    // The store this hook would decide on: a server on any other answers nothing usable.
    let at = aiperture::store::Location::select(&paths, Some(settings.store_url.as_str())).ok()?;
    let store = warm::store_id(&at.describe());
    let call_id = aiperture::request_id::fresh(aiperture::clock::SystemClock.now_ms())?;
    let client_env = env.clone().with_request_id(&call_id).encode();
    *id = Some(call_id);
    let call = warm::Call {
        runtime,
        event,
        payload,
        client_env: &client_env,
        api_key: &api_key,
        install_key: &install_key,
        store: &store,
    };
    let timeout = Duration::from_millis(settings.hook_warm_timeout_ms.into());
    let answer = warm::exchange(stream, &call, timeout).ok()?;
    let mut stdout = String::from_utf8(answer.stdout).ok()?;
    if stdout.ends_with('\n') {
        stdout.pop();
    }
    Some(Output {
        stdout,
        stderr: answer.stderr,
        exit_code: answer.exit_code,
    })
}

/// Answers a payload; a panic anywhere becomes the runtime's fail-closed answer.
fn guarded<A, E, O>(adapter: &A, payload: &[u8], env: &ClientEnv, open: O) -> Output
where
    A: Adapter,
    E: dispatch::HookEngine,
    O: FnOnce() -> anyhow::Result<E>,
{
    let answered = catch_unwind(AssertUnwindSafe(|| {
        dispatch::handle(adapter, payload, env, open)
    }));
    match answered {
        Ok(out) => out,
        Err(_) => adapter.render(
            None,
            &Answer::FailClosed("aiperture hit an internal error".into()),
        ),
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

fn too_large(cap: usize) -> String {
    format!(
        "the hook payload is larger than {} MiB",
        cap / (1024 * 1024)
    )
}

/// Writes the answer: stdout, then the first line of stderr.
fn emit(out: &Output) {
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Exploding;

    impl Adapter for Exploding {
        type Form = ();
        fn name(&self) -> &'static str {
            "exploding"
        }
        fn parse(
            &self,
            _payload: &[u8],
        ) -> Result<aiperture::runtimes::Parsed<()>, aiperture::runtimes::Malformed> {
            panic!("boom")
        }
        fn render(&self, _form: Option<()>, answer: &Answer) -> Output {
            match answer {
                Answer::FailClosed(why) => Output::json(serde_json::json!({"failed": why})),
                _ => Output::empty(),
            }
        }
    }

    #[test]
    fn a_panic_fails_closed() {
        let out = guarded(
            &Exploding,
            b"{}",
            &ClientEnv::empty(),
            || -> anyhow::Result<aiperture::store::LocalGate> { anyhow::bail!("unused") },
        );
        assert!(out.stdout.contains("internal error"), "{}", out.stdout);
        assert_eq!(out.exit_code, 0);
    }

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
