//! [`ApiError`]: every 4xx and 5xx the server answers, as one JSON shape
//! (`{"error": "<kind>", "detail": "<one line>"}`, plus `"alarm": true` when the audit chain or
//! the learned state does not verify), and the mapping from the engine's [`GateError`] kinds
//! to statuses. [`json_errors`] rewrites any error response that is not JSON yet (axum's own
//! 404, 405 and extractor rejections) into the same shape, so a client never sees plain text
//! or a stack trace.

use crate::error::{ErrorKind, GateError};
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// An error answer: a status, a stable kind and a one-line detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short stable name (`unauthorized`, `malformed`, `busy`, `integrity`, …).
    pub kind: &'static str,
    /// One line for a human.
    pub detail: String,
    /// True when the audit chain or the learned state does not verify (tampering).
    pub alarm: bool,
}

impl ApiError {
    /// An error of `status` and `kind`.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            detail: detail.into(),
            alarm: false,
        }
    }

    /// 400: the request body or its fields are unusable.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", detail)
    }

    /// 401: the API key is missing or wrong.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "invalid or missing API key (send `Authorization: Bearer <key>`)",
        )
    }

    /// 404: no such route or thing.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 413: the body is larger than the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 500: something failed inside the server (a panic, a task that did not finish).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }
}

impl From<GateError> for ApiError {
    /// Busy → 503, malformed → 400, policy → 422, not found → 404, integrity → 500 with the
    /// alarm set, store → 500.
    fn from(e: GateError) -> Self {
        let status = match e.kind {
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Malformed => StatusCode::BAD_REQUEST,
            ErrorKind::Policy => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Integrity | ErrorKind::Store => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            kind: e.kind.as_str(),
            detail: e.message,
            alarm: e.kind == ErrorKind::Integrity,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"error": self.kind, "detail": self.detail});
        if self.alarm
            && let Some(o) = body.as_object_mut()
        {
            o.insert("alarm".into(), true.into());
        }
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// The kind named for a status that no handler produced itself.
fn kind_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_client_error() => "client_error",
        _ => "internal",
    }
}

/// Middleware: an error response (4xx/5xx) whose body is not JSON becomes the JSON error
/// shape; its text, when short and printable, is kept as the detail. A 5xx is also logged,
/// one line on stderr.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    if status.is_server_error() {
        // The operator's one line; the client has the JSON body.
        eprintln!("aiperture serve: {method} {path}: {status}");
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // axum's own rejections are one short line; anything longer or unreadable is dropped.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && !t.contains('\n'))
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_string()
        });
    let mut out = ApiError::new(status, kind_of(status), text).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_errors_map_to_statuses_and_integrity_raises_the_alarm() {
        let cases = [
            (GateError::busy("locked"), 503, false),
            (GateError::malformed("no scope"), 400, false),
            (GateError::policy("bad rule"), 422, false),
            (GateError::not_found("no such ask"), 404, false),
            (GateError::integrity("head does not verify"), 500, true),
            (GateError::store("disk I/O error"), 500, false),
        ];
        for (g, status, alarm) in cases {
            let kind = g.kind.as_str();
            let a = ApiError::from(g);
            assert_eq!((a.status.as_u16(), a.alarm, a.kind), (status, alarm, kind));
        }
    }

    #[test]
    fn kinds_of_statuses() {
        assert_eq!(kind_of(StatusCode::PAYLOAD_TOO_LARGE), "too_large");
        assert_eq!(kind_of(StatusCode::IM_A_TEAPOT), "client_error");
        assert_eq!(kind_of(StatusCode::BAD_GATEWAY), "internal");
    }
}
