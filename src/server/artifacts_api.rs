//! `/artifacts` and `/costs`: artifacts and their costs over HTTP (issue 16), through the same
//! library calls as `aiperture artifact …`, `aiperture costs` and the MCP tools
//! ([`crate::artifacts`]); each answer is the JSON those commands print with `--json`.

use super::error::ApiError;
use super::limits::read_body;
use super::routes::{AppState, blocking, parse_json};
use crate::artifacts::{self, NewArtifact};
use crate::engine::state::ArtifactFilter;
use crate::error::GateError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// Longest content `POST /artifacts` takes (the request body is capped at 1 MiB in all; larger
/// artifacts go through `aiperture artifact store`).
pub const MAX_HTTP_CONTENT: usize = 512 * 1024;
/// Longest context field (kind, summary, model, …).
pub const MAX_FIELD: usize = 1024;
/// Largest token count taken.
pub const MAX_TOKENS: u64 = 1_000_000_000_000_000;
/// Largest cost taken, in US dollars.
pub const MAX_COST: f64 = 1_000_000_000.0;
/// Longest query parameter.
const MAX_PARAM: usize = super::perms::MAX_PARAM;

fn store_err(e: anyhow::Error) -> ApiError {
    ApiError::from(GateError::classify(e))
}

fn longest(name: &str, s: &str, max: usize) -> Result<(), ApiError> {
    if s.chars().count() > max {
        return Err(ApiError::malformed(format!(
            "`{name}` is longer than {max} characters"
        )));
    }
    Ok(())
}

/// The body of `POST /artifacts`: the reference's `store_artifact` fields.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct StoreBody {
    /// The content, as text.
    #[schema(value_type = String, required = true, max_length = 524288)]
    content: Option<String>,
    /// Free type (`tool_output`, `report`, …); empty = `custom`.
    #[schema(max_length = 1024)]
    artifact_type: Option<String>,
    /// One line.
    #[schema(max_length = 1024)]
    summary: Option<String>,
    /// The task it belongs to.
    #[schema(max_length = 1024)]
    task_id: Option<String>,
    /// The session it belongs to.
    #[schema(max_length = 1024)]
    session_id: Option<String>,
    /// Where the agent works (its project is found from it).
    #[schema(max_length = 1024)]
    cwd: Option<String>,
    /// The tool that produced it.
    #[schema(max_length = 1024)]
    tool_name: Option<String>,
    /// The model that produced it.
    #[schema(max_length = 1024)]
    model_used: Option<String>,
    /// The model's provider.
    #[schema(max_length = 1024)]
    provider_used: Option<String>,
    /// Input tokens (a JSON number with no fraction: `12.0` is 12, as JSON Schema counts it).
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    tokens_input: Option<f64>,
    /// Output tokens.
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    tokens_output: Option<f64>,
    /// Cost in US dollars.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    cost_usd: Option<f64>,
}

/// `POST /artifacts`: stores the content, content-addressed (`artifact.stored` in the chain);
/// 201 with the artifact as `aiperture artifact show --json` prints it.
pub async fn store(State(st): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let b: StoreBody = parse_json(&bytes)?;
    let content = b
        .content
        .ok_or_else(|| ApiError::malformed("the request has no `content`"))?;
    longest("content", &content, MAX_HTTP_CONTENT)?;
    let text = |name: &str, v: Option<String>| -> Result<String, ApiError> {
        let v = v.unwrap_or_default();
        longest(name, &v, MAX_FIELD)?;
        Ok(v)
    };
    let tokens = |name: &str, v: Option<f64>| -> Result<u64, ApiError> {
        match v.unwrap_or(0.0) {
            n if n.fract() == 0.0 && (0.0..=MAX_TOKENS as f64).contains(&n) => Ok(n as u64),
            _ => Err(ApiError::malformed(format!(
                "`{name}` is a whole number from 0 to {MAX_TOKENS}"
            ))),
        }
    };
    let cost_usd = b.cost_usd.unwrap_or(0.0);
    if !(0.0..=MAX_COST).contains(&cost_usd) {
        return Err(ApiError::malformed(format!(
            "`cost_usd` must be 0 to {MAX_COST}"
        )));
    }
    let session_id = text("session_id", b.session_id)?;
    let cwd = text("cwd", b.cwd)?;
    let mut new = NewArtifact {
        content: content.into_bytes(),
        kind: text("artifact_type", b.artifact_type)?,
        task: text("task_id", b.task_id)?,
        tool: text("tool_name", b.tool_name)?,
        summary: text("summary", b.summary)?,
        model: text("model_used", b.model_used)?,
        provider: text("provider_used", b.provider_used)?,
        tokens_in: tokens("tokens_input", b.tokens_input)?,
        tokens_out: tokens("tokens_output", b.tokens_output)?,
        cost_usd,
        ..NewArtifact::default()
    };
    let gate = st.gate.clone();
    let stored = blocking(move || {
        artifacts::place(&gate, &mut new, "http", &session_id, &cwd);
        artifacts::store(&gate, new).map_err(store_err)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// The query of `GET /artifacts`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// Only this session (as the store keys it).
    #[param(max_length = 2048)]
    session: Option<String>,
    /// Only this task.
    #[param(max_length = 2048)]
    task: Option<String>,
    /// Only this runtime.
    #[param(max_length = 2048)]
    runtime: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// `GET /artifacts`: the stored artifacts, newest first, as `aiperture artifact list --json`.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    for (name, v) in [
        ("session", &q.session),
        ("task", &q.task),
        ("runtime", &q.runtime),
    ] {
        longest(name, v.as_deref().unwrap_or_default(), MAX_PARAM)?;
    }
    let limit = match q.limit.unwrap_or(100) {
        n @ 1..=1000 => n,
        _ => return Err(ApiError::malformed("`limit` must be 1 to 1000")),
    };
    let filter = ArtifactFilter {
        session: q.session.filter(|s| !s.is_empty()),
        task: q.task.filter(|s| !s.is_empty()),
        runtime: q.runtime.filter(|s| !s.is_empty()),
        limit,
        ..ArtifactFilter::default()
    };
    let gate = st.gate.clone();
    let items = blocking(move || artifacts::list(&gate, &filter).map_err(store_err)).await?;
    Ok(Json(items).into_response())
}

/// An artifact id from a path: 16 lower-case hex characters, else 400.
fn id_of(id: &str) -> Result<String, ApiError> {
    if artifacts::valid_id(id) {
        Ok(id.to_string())
    } else {
        Err(ApiError::malformed(
            "an artifact id is 16 lower-case hex characters",
        ))
    }
}

/// `GET /artifacts/{id}`: one artifact, as `aiperture artifact show --json` (no content).
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let gate = st.gate.clone();
    let found = blocking(move || artifacts::get(&gate, &id).map_err(store_err)).await?;
    match found {
        Some(a) => Ok(Json(a).into_response()),
        None => Err(ApiError::not_found("no such artifact")),
    }
}

/// `POST /artifacts/{id}/verify`: re-hashes the content (`artifact.verified` in the chain), as
/// `aiperture artifact verify --json`.
pub async fn verify(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let gate = st.gate.clone();
    let v = blocking(move || {
        if artifacts::get(&gate, &id).map_err(store_err)?.is_none() {
            return Err(ApiError::not_found("no such artifact"));
        }
        artifacts::verify(&gate, &id).map_err(store_err)
    })
    .await?;
    Ok(Json(v).into_response())
}

/// The query of `GET /costs`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CostsQuery {
    /// Only this task.
    #[param(max_length = 2048)]
    task: Option<String>,
    /// Only the last this many days (at most 36,500).
    #[param(minimum = 0, maximum = 36500)]
    since_days: Option<u32>,
}

/// `GET /costs`: tokens and dollars by model, provider, task, session and runtime, as
/// `aiperture costs --json`.
pub async fn costs(
    State(st): State<Arc<AppState>>,
    Query(q): Query<CostsQuery>,
) -> Result<Response, ApiError> {
    longest("task", q.task.as_deref().unwrap_or_default(), MAX_PARAM)?;
    if q.since_days.is_some_and(|d| d > 36_500) {
        return Err(ApiError::malformed("`since_days` must be 0 to 36500"));
    }
    let gate = st.gate.clone();
    let s = blocking(move || {
        let now = gate.now_ms();
        let filter = ArtifactFilter {
            task: q.task.filter(|t| !t.trim().is_empty()),
            since_ms: q
                .since_days
                .map(|d| now.saturating_sub(i64::from(d).saturating_mul(86_400_000))),
            ..ArtifactFilter::default()
        };
        artifacts::cost_summary(&gate, &filter).map_err(store_err)
    })
    .await?;
    Ok(Json(s).into_response())
}
