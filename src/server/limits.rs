//! What bounds one request: the body's size ([`MAX_BODY`], 413), the time to send it
//! ([`BODY_TIMEOUT`], 408), and the time to answer it ([`REQUEST_TIMEOUT`], 503); and the
//! guard that turns a panic anywhere in a request's handling into a 500 JSON error.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::Duration;

/// The largest request body read (1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// How long a client may take to send its body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one request may take in all before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads a whole body of at most [`MAX_BODY`] bytes within [`BODY_TIMEOUT`].
pub async fn read_body(body: Body) -> Result<Vec<u8>, ApiError> {
    let collect = Limited::new(body, MAX_BODY).collect();
    match tokio::time::timeout(BODY_TIMEOUT, collect).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            ),
        )),
        Ok(Ok(c)) => Ok(c.to_bytes().to_vec()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::too_large(MAX_BODY))
        }
        Ok(Err(e)) => Err(ApiError::malformed(format!(
            "the request body could not be read: {e}"
        ))),
    }
}

/// Middleware: a body announced larger than [`MAX_BODY`] is refused before it is read (a
/// client that sent `Expect: 100-continue` never sends it); each request runs as its own task
/// so that a panic becomes a 500 JSON error, and is cut off with a 503 after
/// [`REQUEST_TIMEOUT`].
pub async fn guard(req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return ApiError::too_large(MAX_BODY).into_response();
    }
    let mut task = tokio::spawn(next.run(req));
    match tokio::time::timeout(REQUEST_TIMEOUT, &mut task).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) => ApiError::internal("the request hit an internal error").into_response(),
        Err(_) => {
            // An engine call already on the blocking pool still finishes (and commits).
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
