//! `POST /hooks/{runtime}`: the payload `aiperture hook <runtime>` reads on stdin, answered
//! with exactly the bytes that command prints on stdout (its answer and a newline, or
//! nothing), through the same adapters and the same `dispatch::handle`, on the server's
//! shared gate. The command's exit code travels in the `x-aiperture-exit-code` header.

use crate::runtimes::dispatch;
use crate::runtimes::{Adapter, Answer, Output, WithAdapter, with_adapter};
use crate::store::LocalGate;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Answers one hook payload for `runtime` as `aiperture hook <runtime> [--event E]` would;
/// `None` for a runtime it does not know.
pub fn answer(
    gate: &LocalGate,
    runtime: &str,
    event: Option<&str>,
    payload: &[u8],
) -> Option<Output> {
    with_adapter(runtime, event, Guarded { gate, payload })
}

/// One payload on the shared gate, for the adapter the runtime's name selects.
struct Guarded<'a> {
    gate: &'a LocalGate,
    payload: &'a [u8],
}

impl WithAdapter for Guarded<'_> {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        guarded(adapter, self.gate, self.payload)
    }
}

/// The bytes `aiperture hook` writes on stdout for `out`: the answer and a newline, or
/// nothing (as `cli::crash_guard::output_bytes` writes them).
pub fn stdout_bytes(out: &Output) -> Vec<u8> {
    if out.stdout.is_empty() {
        return Vec::new();
    }
    let mut b = Vec::with_capacity(out.stdout.len() + 1);
    b.extend_from_slice(out.stdout.as_bytes());
    b.push(b'\n');
    b
}

/// Answers a payload; a panic anywhere becomes the runtime's fail-closed answer, as in the
/// one-shot hook.
fn guarded<A: Adapter>(adapter: &A, gate: &LocalGate, payload: &[u8]) -> Output {
    let answered = catch_unwind(AssertUnwindSafe(|| {
        dispatch::handle(adapter, payload, || Ok(gate))
    }));
    answered.unwrap_or_else(|_| {
        adapter.render(
            None,
            &Answer::FailClosed("aiperture hit an internal error".into()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_is_the_answer_and_a_newline_or_nothing() {
        assert!(stdout_bytes(&Output::empty()).is_empty());
        let out = Output::json(serde_json::json!({"a": 1}));
        assert_eq!(stdout_bytes(&out), b"{\"a\":1}\n");
    }
}
