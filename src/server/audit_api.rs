//! The `/audit/*` routes that read events: the list with filters, one event by its sequence
//! number, and an entity's history. Events are shown as `aiperture audit list --json` prints
//! them ([`crate::views::audit_event`]). Ids in paths are only compared in SQL: they never
//! name a file.

use super::error::ApiError;
use super::routes::{AppState, blocking};
use crate::audit::ListFilter;
use crate::error::GateError;
use crate::views;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// The most events one answer lists.
pub const MAX_EVENTS: u64 = 1000;

fn store_err(e: anyhow::Error) -> ApiError {
    ApiError::from(GateError::classify(e))
}

/// A list's `limit`: `default` when absent, 400 outside 1 to [`MAX_EVENTS`].
fn limit_of(limit: Option<u64>, default: u64) -> Result<u64, ApiError> {
    match limit.unwrap_or(default) {
        n @ 1..=MAX_EVENTS => Ok(n),
        _ => Err(ApiError::malformed(format!(
            "`limit` must be 1 to {MAX_EVENTS}"
        ))),
    }
}

/// The query of `GET /audit/events`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct EventsQuery {
    /// Only events of this type (`permission.check`, `grant.created`, …).
    #[param(max_length = 2048)]
    event_type: Option<String>,
    /// Only events of this session.
    #[param(max_length = 2048)]
    session_id: Option<String>,
    /// Only events at or after this time, milliseconds since the epoch.
    since_ms: Option<i64>,
    /// At most this many, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// `GET /audit/events`: `{"count", "events": [...]}`, newest first.
pub async fn events(
    State(st): State<Arc<AppState>>,
    Query(q): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    for v in [&q.event_type, &q.session_id].into_iter().flatten() {
        if v.chars().count() > super::perms::MAX_PARAM {
            return Err(ApiError::malformed(format!(
                "a filter is longer than {} characters",
                super::perms::MAX_PARAM
            )));
        }
    }
    let filter = ListFilter {
        since_ms: q.since_ms,
        event_type: q.event_type,
        session_id: q.session_id,
        limit: Some(limit_of(q.limit, 100)?),
    };
    let gate = st.gate.clone();
    let events = blocking(move || gate.store().audit_list(&filter).map_err(store_err)).await?;
    let list: Vec<_> = events.iter().map(views::audit_event).collect();
    Ok(Json(serde_json::json!({"count": list.len(), "events": list})).into_response())
}

/// `GET /audit/events/{seq}`: one event; 400 when the id is not a sequence number, 404 when
/// the chain has no such event.
pub async fn event(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let seq: u64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::malformed("an event id is its sequence number, from 1"))?;
    let gate = st.gate.clone();
    let ev = blocking(move || gate.store().audit_get(seq).map_err(store_err)).await?;
    match ev {
        Some(e) => Ok(Json(views::audit_event(&e)).into_response()),
        None => Err(ApiError::not_found(format!("no audit event {seq}"))),
    }
}

/// The query of `GET /audit/entity/{type}/{id}`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct EntityQuery {
    /// At most this many, newest first (default 50, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// `GET /audit/entity/{type}/{id}`: the events whose type starts with `{type}.` and whose
/// entity is `{id}` (a grant's id, a preset's name, or `tool/action/scope` percent-encoded),
/// newest first. 400 for a type that is not lower-case letters and `_`.
pub async fn entity(
    State(st): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    Query(q): Query<EntityQuery>,
) -> Result<Response, ApiError> {
    if kind.is_empty()
        || kind.len() > 32
        || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return Err(ApiError::malformed(
            "an entity type is lower-case letters and `_` (permission, decision, pattern, grant, preset, tool, runtime)",
        ));
    }
    if id.is_empty() || id.chars().count() > super::perms::MAX_PARAM {
        return Err(ApiError::malformed(format!(
            "an entity id is 1 to {} characters",
            super::perms::MAX_PARAM
        )));
    }
    // Ids are only compared in the query, but a path-like one is refused outright, so that
    // no route ever answers 200 to a traversal probe (docs/http.md).
    if id.split(['/', '\\']).any(|seg| seg == "..") {
        return Err(ApiError::malformed("an entity id has no `..` path segment"));
    }
    let limit = limit_of(q.limit, 50)?;
    let gate = st.gate.clone();
    let prefix = format!("{kind}.");
    let shown = (kind.clone(), id.clone());
    let events = blocking(move || {
        gate.store()
            .audit_by_entity(&prefix, &id, limit)
            .map_err(store_err)
    })
    .await?;
    let list: Vec<_> = events.iter().map(views::audit_event).collect();
    Ok(Json(serde_json::json!({
        "entity_type": shown.0,
        "entity_id": shown.1,
        "count": list.len(),
        "events": list,
    }))
    .into_response())
}
