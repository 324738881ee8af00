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

use crate::cli::ExitCode;
use aiperture::client_env::ClientEnv;
use aiperture::hook_process;
use aiperture::hook_process::early_gate::EarlyGate;
use aiperture::hook_process::handover::REQUEST_ID_ENV;
use aiperture::hook_process::warm_call::{Warm, warm_answer};
use aiperture::runtimes::{Adapter, Answer, Output, WithAdapter, dispatch, with_adapter};
use clap::Args;
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

/// Runs `aiperture hook`.
pub fn run(args: HookArgs) -> anyhow::Result<ExitCode> {
    // One line on stderr for a panic, no backtrace; the answer is rendered below.
    hook_process::quiet_panics("aiperture");
    let call = Serve {
        runtime: &args.runtime,
        event: args.event.as_deref(),
    };
    let code = match with_adapter(&args.runtime, args.event.as_deref(), call) {
        Some(out) => hook_process::finish(&out),
        None => hook_process::refuse_unknown_runtime(&args.runtime),
    };
    Ok(ExitCode::from(code))
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

/// Arms the crash guard, reads stdin up to the cap and the deadline, then answers (through a
/// running server when one answers in time, else in-process); a panic anywhere becomes the
/// fail-closed answer.
fn serve<A: Adapter>(adapter: &A, runtime: &str, event: Option<&str>) -> Output {
    hook_process::arm(adapter);
    // The team store connects while the payload is read and analysed; a panic here leaves
    // the opening to the call, which meets the same problem inside its guard.
    let early = catch_unwind(EarlyGate::start).unwrap_or(EarlyGate::Later(None));
    let payload = match hook_process::read_payload(adapter) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let mut env = ClientEnv::of_process();
    // Handed over by `aiperture-warm` after a server may have received the call: the same id.
    if let Ok(id) = std::env::var(REQUEST_ID_ENV) {
        env = env.with_request_id(&id);
    }
    match warm_answer(runtime, event, &env, &payload) {
        Warm::Answered(out) => return out,
        // The server may still record the call: the in-process decision carries the same id,
        // and only the first of the two to claim it records the call.
        Warm::Sent(id) => env = env.with_request_id(&id),
        Warm::NotSent => {}
    }
    // The process exits right after answering: the store is left open, not closed.
    guarded(adapter, &payload, &env, || {
        early.open().map(ManuallyDrop::new)
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
}
