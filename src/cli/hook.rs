//! `aiperture hook <runtime>`: one short process per tool call. Reads the payload from stdin
//! with a hard size cap, hands it to the runtime's adapter, prints the answer. Nothing here may
//! fail open: a payload too large, a panic, or any error becomes that runtime's fail-closed
//! answer, and the exit code is never 1.

use super::crash_guard;
use crate::cli::ExitCode;
use aiperture::engine::Gate;
use aiperture::runtimes::{
    Adapter, Answer, Output, claude_code::ClaudeCode, codex::Codex, copilot::Copilot,
    cursor::Cursor, dispatch, gemini::Gemini, openclaw::OpenClaw,
};
use clap::Args;
use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};

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
    let out = match args.runtime.as_str() {
        "claude-code" | "claude" => serve(&ClaudeCode),
        "cursor" => serve(&Cursor),
        "gemini" | "gemini-cli" => serve(&Gemini),
        "codex" => serve(&Codex),
        "copilot" | "copilot-cli" => serve(&Copilot {
            event: args.event.unwrap_or_else(|| "preToolUse".into()),
        }),
        "openclaw" => serve(&OpenClaw),
        other => {
            // Unknown runtime: answer in Claude Code's form (the most common caller), asking.
            let why = format!(
                "unknown runtime `{other}` (expected one of claude-code, cursor, gemini, codex, copilot, openclaw)"
            );
            ClaudeCode.render(None, &Answer::FailClosed(why))
        }
    };
    emit(&out);
    crash_guard::disarm();
    Ok(ExitCode::from(out.exit_code))
}

/// Arms the crash guard, reads stdin up to the cap, then answers; a panic anywhere becomes the
/// fail-closed answer.
fn serve<A: Adapter>(adapter: &A) -> Output {
    crash_guard::arm(&adapter.render(
        None,
        &Answer::FailClosed("the hook process crashed (a fatal signal)".into()),
    ));
    let payload = match read_capped(&mut std::io::stdin().lock(), MAX_PAYLOAD) {
        Ok(p) => p,
        Err(why) => return adapter.render(None, &Answer::FailClosed(why)),
    };
    // The process exits right after answering: the store is left open, not closed.
    guarded(adapter, &payload, || Gate::open().map(ManuallyDrop::new))
}

/// Answers a payload; a panic anywhere becomes the runtime's fail-closed answer.
fn guarded<A, E, O>(adapter: &A, payload: &[u8], open: O) -> Output
where
    A: Adapter,
    E: dispatch::HookEngine,
    O: FnOnce() -> anyhow::Result<E>,
{
    let answered = catch_unwind(AssertUnwindSafe(|| {
        dispatch::handle(adapter, payload, open)
    }));
    match answered {
        Ok(out) => out,
        Err(_) => adapter.render(
            None,
            &Answer::FailClosed("aiperture hit an internal error".into()),
        ),
    }
}

/// Reads at most `cap` bytes; a longer input is an error, and the rest is never read.
pub fn read_capped(r: &mut impl Read, cap: usize) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    match r.take(cap as u64 + 1).read_to_end(&mut buf) {
        Ok(_) if buf.len() > cap => Err(format!(
            "the hook payload is larger than {} MiB",
            cap / (1024 * 1024)
        )),
        Ok(_) => Ok(buf),
        Err(e) => Err(format!("the hook payload could not be read: {e}")),
    }
}

/// Writes the answer: stdout, then the first line of stderr.
fn emit(out: &Output) {
    let (stdout, stderr) = output_bytes(out);
    if !stdout.is_empty() {
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(&stdout);
        let _ = so.flush();
    }
    if !stderr.is_empty() {
        let _ = std::io::stderr().lock().write_all(&stderr);
    }
}

/// The bytes [`emit`] writes: the answer and a newline on stdout (nothing when it is empty),
/// and the first line of stderr with a newline (nothing when it is empty).
pub(crate) fn output_bytes(out: &Output) -> (Vec<u8>, Vec<u8>) {
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
        let out = guarded(&Exploding, b"{}", || -> anyhow::Result<Gate> {
            anyhow::bail!("unused")
        });
        assert!(out.stdout.contains("internal error"), "{}", out.stdout);
        assert_eq!(out.exit_code, 0);
    }

    #[test]
    fn cap_is_enforced() {
        let data = [b'x'; 100];
        assert_eq!(read_capped(&mut &data[..], 100).unwrap().len(), 100);
        assert!(read_capped(&mut &data[..], 99).is_err());
    }
}
