//! `/mcp` on the HTTP server: MCP's streamable HTTP transport, behind the same bearer key as
//! every route (checked before any of the body is read) and the same JSON error shape.
//!
//! Its own body limit ([`MAX_BODY`], 16 MiB, as a stdio line) replaces the API's 1 MiB: an
//! MCP client that sends a large argument then gets the tool's error (arguments are limited to
//! 1 MiB each, as on stdio) rather than a connection closed under it while it writes, which
//! the official SDKs surface as a transport crash. A request still has [`REQUEST_TIMEOUT`] in
//! all, the body included, and a panic is a 500 JSON error.

use super::http_service;
use crate::paths::Paths;
use crate::server::auth::{self, ApiKey};
use crate::server::error::{self, ApiError};
use crate::server::limits::REQUEST_TIMEOUT;
use crate::store::AnyGate;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The largest `/mcp` request body.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The `/mcp` route with its layers (innermost first: the key, the time limit and panic guard,
/// the JSON error shape), to be merged into the server's router.
pub fn router(gate: Arc<AnyGate>, paths: Paths, key: Arc<ApiKey>) -> Router {
    Router::new()
        .route_service("/mcp", http_service(gate, paths))
        .layer(from_fn_with_state(key, auth::require_key))
        .layer(from_fn(guard))
        .layer(from_fn(error::json_errors))
}

/// Middleware: each request runs as its own task (a panic becomes a 500) and is cut off with a
/// 503 after [`REQUEST_TIMEOUT`].
async fn guard(req: Request, next: Next) -> Response {
    let mut task = tokio::spawn(next.run(req));
    match tokio::time::timeout(REQUEST_TIMEOUT, &mut task).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) => ApiError::internal("the request hit an internal error").into_response(),
        Err(_) => {
            task.abort();
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request was not answered within {} s",
                    REQUEST_TIMEOUT.as_secs()
                ),
            )
            .into_response()
        }
    }
}
