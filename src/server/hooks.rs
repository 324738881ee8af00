//! `POST /hooks/{runtime}`: the payload `aiperture hook <runtime>` reads on stdin, answered
//! with exactly the bytes that command prints on stdout (its answer and a newline, or
//! nothing), through the same adapters and the same `dispatch::handle`, on the server's
//! shared gate. The command's exit code travels in the `x-aiperture-exit-code` header, its
//! stderr line hex-encoded in `x-aiperture-stderr`.
//!
//! [`prove`] signs hook answers for the warm path (`crate::warm`): a request carrying a nonce
//! gets an `x-aiperture-proof` header, the HMAC of its nonce and the answer with the install
//! key, so that `aiperture hook` can tell the gate's answer from anything else on the socket.

use crate::client_env::ClientEnv;
use crate::runtimes::dispatch;
use crate::runtimes::{Adapter, Answer, Output, WithAdapter, with_adapter};
use crate::store::AnyGate;
use crate::warm;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Answers one hook payload for `runtime` as `aiperture hook <runtime> [--event E]` would in
/// a process with environment `env` (see [`client_env_of`]); `None` for a runtime it does not
/// know.
pub fn answer(
    gate: &AnyGate,
    runtime: &str,
    event: Option<&str>,
    env: &ClientEnv,
    payload: &[u8],
) -> Option<Output> {
    with_adapter(
        runtime,
        event,
        Guarded {
            gate,
            env,
            payload,
            runtime,
        },
    )
}

/// The caller's environment a request's [`warm::CLIENT_ENV_HEADER`] carries (the warm path
/// sends it); without one, the server's own (a caller on the same machine and account, as
/// Claude Code's `type: "http"` hooks are).
pub fn client_env_of(headers: &axum::http::HeaderMap) -> ClientEnv {
    match headers
        .get(warm::CLIENT_ENV_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(line) => ClientEnv::decode(line),
        None => ClientEnv::of_process(),
    }
}

/// One payload on the shared gate, for the adapter the runtime's name selects.
struct Guarded<'a> {
    gate: &'a AnyGate,
    env: &'a ClientEnv,
    payload: &'a [u8],
    runtime: &'a str,
}

impl WithAdapter for Guarded<'_> {
    type Out = Output;
    fn with<A: Adapter>(self, adapter: &A) -> Output {
        guarded(adapter, self.gate, self.env, self.payload, self.runtime)
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

/// The HTTP answer for a hook's output: 200, exactly the command's stdout as the body, its
/// exit code and (hex-encoded) stderr line in headers.
pub fn response(out: &Output) -> Response {
    let bytes = stdout_bytes(out);
    let content_type = if bytes.is_empty() {
        "text/plain; charset=utf-8"
    } else {
        "application/json"
    };
    let mut resp = (StatusCode::OK, bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        warm::EXIT_HEADER,
        HeaderValue::from(u16::from(out.exit_code)),
    );
    if let Some(line) = out.stderr.lines().next().filter(|l| !l.is_empty())
        && let Ok(v) = HeaderValue::from_str(&hex::encode(line))
    {
        headers.insert(warm::STDERR_HEADER, v);
    }
    resp
}

/// What [`prove`] needs: the install key hook answers are proven with, and the API key (a
/// request body is read for the proof only once the request has shown the key).
pub struct ProofKey {
    /// The install key.
    pub install: [u8; crate::key::KEY_LEN],
    /// The server's API key.
    pub api: Arc<super::auth::ApiKey>,
    /// The store the server decides on ([`warm::store_id`]): a hook naming another is
    /// refused before anything is decided, and every proof covers this one.
    pub store: String,
}

/// Whether the request carries `Authorization: Bearer <the API key>`.
fn shows_key(req: &Request, key: &super::auth::ApiKey) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && key.matches(token.trim())
        })
}

/// Middleware: a `POST /hooks/{runtime}` carrying a well-formed nonce whose answer is a 200
/// gets the proof header ([`warm::proof`] over the nonce, the runtime, event and payload as
/// requested, and the exit code, stderr line and body answered). Other requests pass
/// untouched.
pub async fn prove(State(key): State<Arc<ProofKey>>, req: Request, next: Next) -> Response {
    let runtime = req.uri().path().strip_prefix("/hooks/").map(str::to_string);
    let nonce = req
        .headers()
        .get(warm::NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
        .filter(|n| n.len() == 32);
    let (Some(runtime), Some(nonce)) = (runtime, nonce) else {
        return next.run(req).await;
    };
    if !shows_key(&req, &key.api) {
        // The key check inside answers it (401) without the body being read.
        return next.run(req).await;
    }
    if let Some(theirs) = req.headers().get(warm::STORE_HEADER)
        && theirs.as_bytes() != key.store.as_bytes()
    {
        return super::error::ApiError::new(
            StatusCode::CONFLICT,
            "store_mismatch",
            "this server decides on another store than the hook's; the hook decides itself",
        )
        .into_response();
    }
    let event = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("event=")))
        .unwrap_or("")
        .to_string();
    let client_env = req
        .headers()
        .get(warm::CLIENT_ENV_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // The proof covers the payload decided, so the body is read here (under the same limits
    // as the route's) and handed on.
    let (parts, body) = req.into_parts();
    let payload = match super::limits::read_body(body).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let req = Request::from_parts(parts, Body::from(payload.clone()));
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, warm::MAX_ANSWER).await else {
        return super::error::ApiError::internal("the hook answer could not be read")
            .into_response();
    };
    let exit_code = parts
        .headers
        .get(warm::EXIT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u8>().ok());
    let stderr = match parts.headers.get(warm::STDERR_HEADER) {
        None => Some(String::new()),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| String::from_utf8(b).ok()),
    };
    if let (Some(exit_code), Some(stderr)) = (exit_code, stderr) {
        let p = warm::proof(
            &key.install,
            &warm::Proven {
                nonce: &nonce,
                runtime: &runtime,
                event: &event,
                client_env: &client_env,
                store: &key.store,
                payload: &payload,
                exit_code,
                stderr: &stderr,
                stdout: &bytes,
            },
        );
        if let Ok(v) = HeaderValue::from_str(&hex::encode(p)) {
            parts.headers.insert(warm::PROOF_HEADER, v);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Answers a payload; a panic anywhere becomes the runtime's fail-closed answer, as in the
/// one-shot hook.
fn guarded<A: Adapter>(
    adapter: &A,
    gate: &AnyGate,
    env: &ClientEnv,
    payload: &[u8],
    runtime: &str,
) -> Output {
    let answered = catch_unwind(AssertUnwindSafe(|| {
        dispatch::handle(adapter, payload, env, || {
            Ok(super::metrics::Counted {
                engine: gate,
                runtime,
            })
        })
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
    fn the_warm_client_knows_the_server_s_names_and_limits() {
        assert_eq!(warm::API_KEY_FILE, super::super::auth::KEY_FILE);
        assert_eq!(warm::MAX_PAYLOAD, super::super::limits::MAX_BODY);
        assert_eq!(warm::SOCKET_FILE, super::super::SOCKET_FILE);
    }

    #[test]
    fn stdout_is_the_answer_and_a_newline_or_nothing() {
        assert!(stdout_bytes(&Output::empty()).is_empty());
        let out = Output::json(serde_json::json!({"a": 1}));
        assert_eq!(stdout_bytes(&out), b"{\"a\":1}\n");
    }
}
