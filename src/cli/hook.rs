//! `aiperture hook <runtime>`: one short process per tool call. Reads the payload from stdin
//! with a hard size cap, hands it to the runtime's adapter, prints the answer. Nothing here may
//! fail open: a payload too large, a panic, or any error becomes that runtime's fail-closed
//! answer, and the exit code is never 1.

use aiperture::engine::Gate;
use aiperture::runtimes::{
    Adapter, Answer, Output, claude_code::ClaudeCode, codex::Codex, copilot::Copilot,
    cursor::Cursor, dispatch, gemini::Gemini, openclaw::OpenClaw,
};
use clap::Args;
use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

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
    Ok(ExitCode::from(out.exit_code))
}

/// Reads stdin up to the cap, then answers; a panic anywhere becomes the fail-closed answer.
fn serve<A: Adapter>(adapter: &A) -> Output {
    let payload = match read_capped(&mut std::io::stdin().lock(), MAX_PAYLOAD) {
        Ok(p) => p,
        Err(why) => return adapter.render(None, &Answer::FailClosed(why)),
    };
    guarded(adapter, &payload, Gate::open)
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

fn emit(out: &Output) {
    if !out.stdout.is_empty() {
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(out.stdout.as_bytes());
        let _ = so.write_all(b"\n");
        let _ = so.flush();
    }
    if !out.stderr.is_empty() {
        let line = out.stderr.lines().next().unwrap_or_default();
        eprintln!("{line}");
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
