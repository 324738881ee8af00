//! The routes and their handlers. Every engine call runs on tokio's blocking pool
//! (`spawn_blocking`) against the one shared gate; a handler never blocks a worker thread and
//! never panics into the connection (a panic in the blocking call is a 500 JSON error).

use super::error::ApiError;
use super::hooks;
use super::limits::read_body;
use crate::engine::CheckOutcome;
use crate::paths::Paths;
use crate::request::Request;
use crate::store::AnyGate;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// What every handler shares.
pub struct AppState {
    /// The gate every request decides on, on the store the environment selects (the SQLite
    /// file or the team store): every route reads that store, never another.
    pub gate: Arc<AnyGate>,
    /// Where the key and the store are (the audit verification reads the key).
    pub paths: Paths,
}

/// Runs `f` on the blocking pool; a panic or a cancelled task is a 500. A store, busy or
/// integrity error is counted for `GET /metrics`.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let r = match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(ApiError::internal("the request hit an internal error")),
        Err(_) => Err(ApiError::internal("the request was cancelled")),
    };
    if let Err(e) = &r
        && matches!(e.kind, "store" | "busy" | "integrity")
    {
        super::metrics::store_error(e.kind);
    }
    r
}

/// `GET /health`: the service, its version and the store's schema version; always 200, with
/// `"status": "degraded"` when the store cannot be read.
pub async fn health(State(st): State<Arc<AppState>>) -> Response {
    let gate = st.gate.clone();
    let schema = blocking(move || {
        let store = gate.store();
        store
            .schema_version()
            .map(|v| (v, store.kind()))
            .map_err(|e| ApiError::internal(format!("{e:#}")))
    })
    .await;
    let mut body = serde_json::json!({
        "service": "aiperture",
        "version": env!("CARGO_PKG_VERSION"),
        "schema_version_supported": crate::store::current_version(),
    });
    if let Some(o) = body.as_object_mut() {
        match schema {
            Ok((v, kind)) => {
                o.insert("status".into(), "ok".into());
                o.insert("store".into(), kind.into());
                o.insert("database".into(), "connected".into());
                o.insert("schema_version".into(), v.into());
            }
            Err(e) => {
                o.insert("status".into(), "degraded".into());
                o.insert("database".into(), "error".into());
                o.insert("detail".into(), e.detail.into());
            }
        }
    }
    Json(body).into_response()
}

/// The body of `POST /permissions/check`: the reference's fields where they make sense, the
/// CLI's `check` input otherwise. Only the scope (or `command`) is required; `tool` defaults
/// to `shell`, `action` to `execute`, `runtime` to `http`. Unknown fields (the reference's
/// `permissions`, `organization_id`, `task_id`) are ignored.
#[derive(Deserialize, Default, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct CheckBody {
    tool: Option<String>,
    action: Option<String>,
    /// The command, path or URL (`command` is taken as another name for it).
    #[schema(value_type = String, required = true)]
    scope: Option<String>,
    #[schema(ignore)]
    command: Option<String>,
    cwd: Option<String>,
    project: Option<String>,
    session_id: Option<String>,
    session: Option<String>,
    runtime: Option<String>,
    runtime_id: Option<String>,
    tool_use_id: Option<String>,
    content_hash: Option<String>,
    content: Option<String>,
}

impl CheckBody {
    /// The request this body asks about.
    pub fn into_request(self) -> Result<Request, ApiError> {
        let scope = self
            .scope
            .or(self.command)
            .ok_or_else(|| ApiError::malformed("the request has no `scope` (or `command`)"))?;
        let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Ok(Request {
            runtime: nonempty(self.runtime)
                .or(nonempty(self.runtime_id))
                .unwrap_or_else(|| "http".into()),
            event: "check".into(),
            session_id: self.session_id.or(self.session).unwrap_or_default(),
            tool_use_id: self.tool_use_id,
            cwd: self.cwd.unwrap_or_default(),
            project: self.project.unwrap_or_default(),
            tool: nonempty(self.tool).unwrap_or_else(|| "shell".into()),
            action: nonempty(self.action).unwrap_or_else(|| "execute".into()),
            scope,
            content_hash: self.content_hash,
            content: self.content,
            ..Request::default()
        })
    }
}

/// The verdict as `aiperture check --json` prints it ([`crate::views::verdict`], never a
/// challenge over HTTP), with `pending_id` always present (`null` unless an ask was stored).
pub fn verdict_json(out: &CheckOutcome) -> serde_json::Value {
    let mut v = crate::views::to_json(&crate::views::verdict(out, None));
    if let Some(obj) = v.as_object_mut() {
        obj.entry("pending_id").or_insert(serde_json::Value::Null);
    }
    v
}

/// Parses a JSON object body into `T`; anything else is a 400. A body that is an object and
/// reads as `T` straight away is parsed once; any other body takes the slower path through a
/// `Value`, which words the error (so the answer is the same either way).
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if is_object && let Ok(t) = serde_json::from_slice::<T>(bytes) {
        return Ok(t);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed(format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::malformed("the body must be a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| ApiError::malformed(format!("bad field: {e}")))
}

/// `POST /permissions/check`: the full pipeline, recorded; answers the verdict.
pub async fn check(State(st): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let req = parse_json::<CheckBody>(&bytes)?.into_request()?;
    let gate = st.gate.clone();
    let started = std::time::Instant::now();
    let out = blocking(move || gate.check_full(&req, false).map_err(ApiError::from)).await?;
    super::metrics::check(&out.request.runtime, &out.verdict, started.elapsed());
    Ok(Json(verdict_json(&out)).into_response())
}

/// The query of `POST /hooks/{runtime}`: Copilot CLI's event, as `aiperture hook --event`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct HookQuery {
    /// Copilot CLI's event (`preToolUse`, the default, or `postToolUse`); other runtimes
    /// ignore it.
    event: Option<String>,
}

/// `POST /hooks/{runtime}`: exactly `aiperture hook <runtime>`'s stdout for the payload.
pub async fn hook(
    State(st): State<Arc<AppState>>,
    Path(runtime): Path<String>,
    Query(q): Query<HookQuery>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let env = hooks::client_env_of(&headers);
    if !crate::runtimes::is_runtime(&runtime) {
        return Err(ApiError::not_found(format!(
            "unknown runtime `{runtime}` (expected one of claude-code, cursor, gemini, codex, \
             copilot, openclaw)"
        )));
    }
    let payload = read_body(body).await?;
    let gate = st.gate.clone();
    let started = std::time::Instant::now();
    let label = runtime.clone();
    let out = blocking(move || {
        hooks::answer(&gate, &runtime, q.event.as_deref(), &env, &payload)
            .ok_or_else(|| ApiError::not_found("unknown runtime"))
    })
    .await?;
    super::metrics::hook(&label, out.exit_code, started.elapsed());
    Ok(hooks::response(&out))
}

/// `GET /audit/count`: how many events the chain holds.
pub async fn audit_count(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let gate = st.gate.clone();
    let n = blocking(move || {
        gate.store()
            .audit_count()
            .map_err(|e| ApiError::from(crate::error::GateError::classify(e)))
    })
    .await?;
    Ok(Json(serde_json::json!({"count": n})).into_response())
}

/// `GET /audit/verify-chain`: the same verification as `aiperture audit verify` (the chain,
/// the signed head, then the learned state against the chain). 200 with `"intact": false`
/// and `"alarm": true` when it does not verify.
pub async fn audit_verify(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let gate = st.gate.clone();
    let paths = st.paths.clone();
    let report = blocking(move || {
        let run = || -> anyhow::Result<crate::audit::VerifyReport> {
            let key = crate::key::load_existing(&paths)?;
            gate.store().verify_audit(key.as_ref())
        };
        run().map_err(|e| ApiError::from(crate::error::GateError::classify(e)))
    })
    .await?;
    let mut v = serde_json::to_value(&report).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("alarm".into(), (!report.intact).into());
    }
    Ok(Json(v).into_response())
}

/// Unknown routes: a 404 JSON error.
pub async fn fallback() -> ApiError {
    ApiError::not_found("no such route")
}

#[cfg(test)]
mod tests {
    use super::{CheckBody, parse_json};

    /// The one-pass parse answers what the parse through a `Value` answers.
    #[test]
    fn the_fast_parse_agrees_with_the_value_parse() {
        let scope = |b: &[u8]| {
            parse_json::<CheckBody>(b)
                .map(|c| c.scope)
                .map_err(|e| e.detail)
        };
        assert_eq!(scope(b" \n{\"scope\": \"ls\"}"), Ok(Some("ls".into())));
        // Duplicate keys: the last wins, as through a `Value`.
        assert_eq!(
            scope(b"{\"scope\": \"a\", \"scope\": \"b\"}"),
            Ok(Some("b".into()))
        );
        // A struct also reads from an array; the body must still be an object.
        let arr = scope(b"[null, null, \"ls\"]");
        assert!(arr.is_err_and(|d| d.contains("JSON object")));
        assert!(scope(b"{\"scope\": 5}").is_err_and(|d| d.starts_with("bad field")));
        assert!(scope(b"{\"scope\": \"ls\"} x").is_err_and(|d| d.contains("not JSON")));
    }
}
