//! The hook's side of the warm path: when `aiperture serve` runs for the same home, the
//! payload goes to it over the Unix socket (`crate::warm`), and its answer is used if it
//! arrives complete, proven with the install key, within `hook_warm_timeout_ms`. Anything else,
//! or no server, and the caller decides in-process (`aiperture hook`) or hands the call over to
//! it (`aiperture-warm`); with no server that costs one failed `connect`.

use crate::client_env::ClientEnv;
use crate::clock::Clock;
use crate::config::Settings;
use crate::paths::Paths;
use crate::runtimes::Output;
use crate::warm;
use std::time::Duration;

/// What the warm path gave.
pub enum Warm {
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
pub fn warm_answer(runtime: &str, event: Option<&str>, env: &ClientEnv, payload: &[u8]) -> Warm {
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
    let install_key = crate::key::load_existing(&paths).ok()??;
    let api_key = match settings.api_key.trim() {
        "" => std::fs::read_to_string(paths.home.join(warm::API_KEY_FILE))
            .ok()?
            .trim()
            .to_string(),
        set => set.to_string(),
    };
    // The store this hook would decide on: a server on any other answers nothing usable.
    let at = crate::store::Location::select(&paths, Some(settings.store_url.as_str())).ok()?;
    let store = warm::store_id(&at.describe());
    let call_id = crate::request_id::fresh(crate::clock::SystemClock.now_ms())?;
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
