//! `aiperture-warm hook <runtime> [--event E]`: the whole call of the small hook client. It
//! reads the payload like `aiperture hook`, asks the running `aiperture serve` of the same home
//! over its socket ([`super::warm_call`]), and prints the proven answer. When no server answers
//! in time it hands the call over to `aiperture hook` ([`super::handover`]), which decides
//! in-process. It links none of the engine, the shell parser or SQLite, so it starts in a
//! fraction of `aiperture`'s time: the warm path's cost is this start and the server's answer
//! (docs/http.md, "Warm path"; docs/performance.md).

use super::warm_call::{Warm, warm_answer};
use super::{HookCall, arm_and_read, finish, handover, refuse_unknown_runtime};
use crate::client_env::ClientEnv;
use crate::runtimes::{Adapter, Answer, Output, WithAdapter, with_adapter};

/// Answers `call` and returns the exit status; returns only when the answer came from the
/// server or the call could not be handed over (otherwise this process becomes
/// `aiperture hook`).
pub fn run(call: &HookCall) -> u8 {
    match with_adapter(&call.runtime, call.event.as_deref(), Client { call }) {
        Some(out) => finish(&out),
        None => refuse_unknown_runtime(&call.runtime),
    }
}

/// The call, for the adapter its runtime's name selects.
struct Client<'a> {
    call: &'a HookCall,
}

impl WithAdapter for Client<'_> {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        let payload = match arm_and_read(adapter) {
            Ok(p) => p,
            Err(out) => return out,
        };
        let call = self.call;
        let env = ClientEnv::of_process();
        let id = match warm_answer(&call.runtime, call.event.as_deref(), &env, &payload) {
            Warm::Answered(out) => return out,
            Warm::Sent(id) => Some(id),
            Warm::NotSent => None,
        };
        let why = handover::exec_in_process_hook(call, &payload, id.as_deref());
        adapter.render(None, &Answer::FailClosed(why))
    }
}
