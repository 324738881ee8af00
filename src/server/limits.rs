//! What bounds one request: the body's size ([`MAX_BODY`], 413), the time to send it
//! ([`BODY_TIMEOUT`], 408), and the time to answer it ([`REQUEST_TIMEOUT`], 503); and the
//! guard that turns a panic anywhere in a request's handling into a 500 JSON error.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
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
        Ok(Ok(c)) => Ok(c.to_bytes().into()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::too_large(MAX_BODY))
        }
        Ok(Err(e)) => Err(ApiError::malformed(format!(
            "the request body could not be read: {e}"
        ))),
    }
}

/// Middleware: a body announced larger than [`MAX_BODY`] is refused before it is read (a
/// client that sent `Expect: 100-continue` never sends it); a panic while the request is
/// polled becomes a 500 JSON error ([`CatchPanic`], on the connection's own task: no task
/// spawned per request), and the request is cut off with a 503 after `limit` (the server uses
/// [`REQUEST_TIMEOUT`]).
pub async fn guard(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return ApiError::too_large(MAX_BODY).into_response();
    }
    let task = CatchPanic(Box::pin(next.run(req)));
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(())) => ApiError::internal("the request hit an internal error").into_response(),
        Err(_) => {
            // Dropping the request drops its handler; an engine call already on the blocking
            // pool still finishes (and commits).
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request was not answered within {} ms",
                    limit.as_millis()
                ),
            )
            .into_response()
        }
    }
}

/// A future that turns a panic while polling the one it wraps into `Err(())`, on the task
/// that polls it (what `tokio::spawn` + `JoinError::is_panic` gave, without a task and a wake
/// per request). A panicked future is never polled again.
struct CatchPanic<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::{get, post};
    use tower::ServiceExt;

    async fn panics() -> &'static str {
        panic!("handler bug")
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    }

    async fn echo_len(body: Body) -> Result<String, ApiError> {
        Ok(read_body(body).await?.len().to_string())
    }

    fn app() -> Router {
        Router::new()
            .route("/panic", get(panics))
            .route("/slow", get(slow))
            .route("/echo", post(echo_len))
            .layer(from_fn_with_state(Duration::from_millis(100), guard))
            .layer(from_fn(super::super::error::json_errors))
    }

    fn call(req: Request) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async {
            let resp = app().oneshot(req).await.unwrap_or_else(|e| match e {});
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
            (status, v)
        })
    }

    fn get_req(path: &str) -> Request {
        Request::builder()
            .uri(path)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_panic_is_a_500_json_error() {
        let (status, v) = call(get_req("/panic"));
        assert_eq!((status, v["error"].as_str()), (500, Some("internal")));
        assert!(!v["detail"].as_str().unwrap_or("").contains("handler bug"));
    }

    #[test]
    fn a_slow_answer_is_a_503_json_error() {
        let (status, v) = call(get_req("/slow"));
        assert_eq!((status, v["error"].as_str()), (503, Some("timeout")));
    }

    #[test]
    fn bodies_are_capped_announced_or_not() {
        let body = vec![b'x'; MAX_BODY + 1];
        let announced = Request::builder()
            .method("POST")
            .uri("/echo")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(call(announced).0, 413);
        let unannounced = Request::builder()
            .method("POST")
            .uri("/echo")
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, v) = call(unannounced);
        assert_eq!((status, v["error"].as_str()), (413, Some("too_large")));
        let fits = Request::builder()
            .method("POST")
            .uri("/echo")
            .body(Body::from(vec![b'x'; MAX_BODY]))
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, _) = call(fits);
        assert_eq!(status, 200);
    }
}
