//! `aiperture serve`: the gate as a resident process, over HTTP and a Unix socket, on the
//! same engine and store the one-shot binary uses (issue 11; routes in `docs/http.md`).
//!
//! The server sits at the top of the layers with the CLI. Nothing below it, and nothing on
//! the hook's path, builds a tokio runtime: only [`serve`] does. Listeners are bound before
//! the runtime starts (the Unix socket under a 0177 umask, so it is 0600 from its first
//! instant); the gate is one `Arc<AnyGate>` and every engine call runs on the blocking
//! pool. SIGINT or SIGTERM stops accepting, lets in-flight requests finish (at most
//! [`SHUTDOWN_GRACE`]), removes the socket and returns.
//!
//! Connections are served by this module's own accept loop over hyper's HTTP/1.1 builder
//! (`axum::serve` cannot bound the time to read a request's head): a client must send each
//! request head within [`HEADER_TIMEOUT`] (which also closes idle kept-alive connections),
//! no connection lives past [`CONNECTION_LIFETIME`], and at most [`MAX_CONNECTIONS`] are
//! served at once (more wait in the listen queue). Hook answers are proven for the warm path
//! ([`hooks::prove`]).

pub mod admin_api;
pub mod artifacts_api;
pub mod audit_api;
pub mod auth;
pub mod command;
pub mod config_api;
pub mod error;
pub mod hooks;
pub mod limits;
pub mod lock;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod perms;
pub mod routes;

use crate::paths::Paths;
use crate::store::AnyGate;
use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::serve::{Listener, ListenerExt};
use std::net::SocketAddr;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The default socket's file name in `AIPERTURE_HOME`.
pub const SOCKET_FILE: &str = crate::warm::SOCKET_FILE;

/// Threads running engine calls at once (the store has one connection; risk rating runs in
/// parallel).
pub const MAX_ENGINE_THREADS: usize = 16;

/// How long a stopping server waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// How long a client may take to send a request's head, and how long a kept-alive
/// connection may sit idle before it is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest one connection is served (a client that never reads its answer holds one).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

/// Connections served at once, per listener.
pub const MAX_CONNECTIONS: usize = 512;

/// Where to listen.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The HTTP address, or none.
    pub http: Option<SocketAddr>,
    /// The Unix socket's path, or none.
    pub socket: Option<PathBuf>,
}

/// Where the server listens once bound (port 0 resolved).
#[derive(Debug, Clone, Default)]
pub struct Bound {
    /// The bound HTTP address.
    pub http: Option<SocketAddr>,
    /// The bound socket.
    pub socket: Option<PathBuf>,
}

/// The application: routes, then (innermost first) the key check, the request guard (size,
/// time, panics) and the JSON error shape.
pub fn router(state: Arc<routes::AppState>, key: Arc<auth::ApiKey>) -> Router {
    let mcp = mcp::http::router(state.gate.clone(), state.paths.clone(), key.clone());
    Router::new()
        .route("/health", get(routes::health))
        .route("/permissions/check", post(routes::check))
        .route("/hooks/{runtime}", post(routes::hook))
        .route("/audit/count", get(routes::audit_count))
        .route("/audit/verify-chain", get(routes::audit_verify))
        .route("/permissions/record", post(perms::record))
        .route("/permissions/patterns", get(perms::patterns))
        .route("/permissions/stats", get(perms::stats))
        .route("/permissions/similar", get(perms::similar))
        .route("/permissions/explain", get(perms::explain))
        .route("/audit/events", get(audit_api::events))
        .route("/audit/events/{id}", get(audit_api::event))
        .route("/audit/entity/{type}/{id}", get(audit_api::entity))
        .route(
            "/config",
            get(config_api::config).patch(admin_api::patch_config),
        )
        .route("/permissions/grant", post(admin_api::grant))
        .route("/permissions/revoke", post(admin_api::revoke))
        .route("/report", get(config_api::report))
        .route("/metrics", get(config_api::metrics))
        .route(
            "/artifacts",
            get(artifacts_api::list).post(artifacts_api::store),
        )
        .route("/artifacts/{id}", get(artifacts_api::show))
        .route("/artifacts/{id}/verify", post(artifacts_api::verify))
        .route("/costs", get(artifacts_api::costs))
        .route("/openapi.json", get(openapi::serve_document))
        .fallback(routes::fallback)
        .with_state(state)
        .layer(from_fn_with_state(key, auth::require_key))
        .layer(from_fn_with_state(limits::REQUEST_TIMEOUT, limits::guard))
        .layer(from_fn(error::json_errors))
        // MCP's streamable HTTP transport (docs/mcp.md): the same key, its own body limit.
        .merge(mcp)
}

/// Whether a `Content-Type` names JSON: `application/json` or `application/<x>+json`, with
/// or without parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Middleware: a request that carries a body must say it is JSON (or say nothing); another
/// declared type is a 415 before anything is read. Every body this server takes is JSON (a
/// hook payload included), so a form or text body is a client mistake, not a payload.
pub async fn json_bodies_only(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let declared = req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str());
    match declared {
        Some(Ok(t)) if has_body && !is_json(t) => error::ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be JSON (`Content-Type: application/json`), not `{t}`"),
        )
        .into_response(),
        Some(Err(_)) if has_body => error::ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the Content-Type header is not readable text",
        )
        .into_response(),
        _ => next.run(req).await,
    }
}

/// Binds a Unix socket at `path` with mode 0600 from the start; a stale socket left by a
/// server that died is replaced (the caller holds the home's lock), anything else at the
/// path is refused.
fn bind_socket(path: &Path) -> anyhow::Result<std::os::unix::net::UnixListener> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)
            .with_context(|| format!("{}: cannot remove the stale socket", path.display()))?,
        Ok(_) => bail!(
            "{}: exists and is not a socket; not replacing it",
            path.display()
        ),
        Err(_) => {}
    }
    // SAFETY: umask only swaps the process's file-creation mask; no runtime threads exist yet.
    let old = unsafe { libc::umask(0o177) };
    let bound = std::os::unix::net::UnixListener::bind(path);
    // SAFETY: as above, restoring the previous mask.
    unsafe { libc::umask(old) };
    let l = bound.map_err(|e| anyhow!("{}: cannot listen: {e}", path.display()))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Accepts connections on `listener` until `stop` turns true, serving each with hyper's
/// HTTP/1.1 connection under the per-connection bounds; then waits for the connections in
/// flight to finish (each told to close after its current request).
async fn accept_loop<L>(mut listener: L, app: Router, mut stop: tokio::sync::watch::Receiver<bool>)
where
    L: Listener,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let io = tokio::select! {
            (io, _) = listener.accept() => io,
            _ = stop.wait_for(|s| *s) => break,
        };
        let app = app.clone();
        let mut stop = stop.clone();
        let alive = alive.clone();
        tokio::spawn(async move {
            let _held = (permit, alive);
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), svc);
            tokio::pin!(conn);
            let life = tokio::time::sleep(CONNECTION_LIFETIME);
            tokio::pin!(life);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = &mut life => return,
                _ = stop.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(alive);
    drop(listener);
    let _ = all_done.recv().await;
}

/// Resolves once SIGINT or SIGTERM arrives (or at once when neither can be watched).
async fn stop_signal(
    mut term: tokio::signal::unix::Signal,
    mut int: tokio::signal::unix::Signal,
) -> &'static str {
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Serves until SIGINT or SIGTERM. `announce` is called once every listener is bound and the
/// signals are watched (the CLI prints the addresses then).
pub fn serve(
    gate: AnyGate,
    paths: Paths,
    key: auth::ApiKey,
    opts: &Options,
    announce: impl FnOnce(&Bound),
) -> anyhow::Result<()> {
    let tcp = opts
        .http
        .map(|a| {
            let l =
                std::net::TcpListener::bind(a).map_err(|e| anyhow!("{a}: cannot listen: {e}"))?;
            l.set_nonblocking(true)?;
            anyhow::Ok(l)
        })
        .transpose()?;
    let unix = opts.socket.as_deref().map(bind_socket).transpose()?;
    let bound = Bound {
        http: tcp.as_ref().map(|l| l.local_addr()).transpose()?,
        socket: opts.socket.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Engine calls beyond this wait in a queue instead of each holding a thread (and its
        // stack) while it waits for the store's one connection.
        .max_blocking_threads(MAX_ENGINE_THREADS)
        .thread_name("aiperture-serve")
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let store = crate::warm::store_id(&gate.store().describe());
    let state = Arc::new(routes::AppState {
        gate: Arc::new(gate),
        paths,
    });
    let proof_key = crate::key::load(&state.paths).context("cannot load the install key")?;
    let key = Arc::new(key);
    let proof = Arc::new(hooks::ProofKey {
        install: proof_key,
        api: key.clone(),
        store,
    });
    // Outermost first: the content type, then the proof of hook answers, then the router's
    // own layers (errors, limits, the key check).
    let app = router(state, key)
        .layer(from_fn_with_state(proof, hooks::prove))
        .layer(from_fn(json_bodies_only));
    let result = rt.block_on(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        if let Some(l) = tcp {
            let l = tokio::net::TcpListener::from_std(l)?.tap_io(|s| {
                let _ = s.set_nodelay(true);
            });
            tasks.push(tokio::spawn(accept_loop(l, app.clone(), rx.clone())));
        }
        if let Some(l) = unix {
            let l = tokio::net::UnixListener::from_std(l)?;
            tasks.push(tokio::spawn(accept_loop(l, app.clone(), rx.clone())));
        }
        announce(&bound);
        let why = stop_signal(term, int).await;
        eprintln!("aiperture serve: {why}: finishing in-flight requests");
        let _ = tx.send(true);
        let all = async {
            for t in tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            eprintln!(
                "aiperture serve: requests still running after {} s; stopping anyway",
                SHUTDOWN_GRACE.as_secs()
            );
        }
        anyhow::Ok(())
    });
    rt.shutdown_timeout(Duration::from_secs(2));
    if let Some(p) = &opts.socket {
        let _ = std::fs::remove_file(p);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types_are_recognized() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "json",
            "",
        ] {
            assert!(!is_json(no), "{no}");
        }
    }
}
