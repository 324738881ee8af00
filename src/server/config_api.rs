//! `GET /config`, `GET /report` and `GET /metrics`: read-only views of the settings, the
//! compliance report and the server's counters.

use super::error::ApiError;
use super::metrics;
use super::routes::{AppState, blocking};
use crate::config::Settings;
use crate::error::GateError;
use crate::report::{self, ReportOptions};
use crate::views;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

fn store_err(e: anyhow::Error) -> ApiError {
    ApiError::from(GateError::classify(e))
}

/// `GET /config`: every setting with its value, source and variable, as `aiperture config
/// show --json` prints it, read from the config file and the server's environment now (the
/// running engine keeps the settings it started with). `api_key` shows only whether it is set.
pub async fn config(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let paths = st.paths.clone();
    let v = blocking(move || {
        let loaded = Settings::load_with_sources(&paths)
            .map_err(|e| ApiError::from(GateError::policy(format!("{e:#}"))))?;
        Ok(views::config_show(&loaded, &paths.config))
    })
    .await?;
    Ok(Json(views::to_json(&v)).into_response())
}

/// The report's formats.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// `application/json`.
    Json,
    /// `text/markdown`.
    Md,
    /// `text/html`.
    Html,
}

/// The query of `GET /report`.
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ReportQuery {
    /// `json` (default), `md` or `html`.
    #[param(value_type = Option<ReportFormat>)]
    format: Option<ReportFormat>,
    /// Only this project (as the store keys it).
    #[param(max_length = 2048)]
    project: Option<String>,
    /// Only events at or after this time, milliseconds since the epoch.
    since_ms: Option<i64>,
    /// Items per list (default 50, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `GET /report?format=json|md|html`: the compliance report `aiperture report` writes.
pub async fn report(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.unwrap_or(ReportFormat::Json);
    let content_type = match format {
        ReportFormat::Json => "application/json",
        ReportFormat::Md => "text/markdown; charset=utf-8",
        ReportFormat::Html => "text/html; charset=utf-8",
    };
    let max_items = match q.limit.unwrap_or(50) {
        n @ 1..=1000 => n,
        _ => return Err(ApiError::malformed("`limit` must be 1 to 1000")),
    };
    if q.project
        .as_ref()
        .is_some_and(|p| p.chars().count() > super::perms::MAX_PARAM)
    {
        return Err(ApiError::malformed(
            "`project` is longer than 2048 characters",
        ));
    }
    let gate = st.gate.clone();
    let paths = st.paths.clone();
    let text = blocking(move || {
        let opts = ReportOptions {
            since_ms: q.since_ms,
            project: q.project.filter(|p| !p.is_empty()),
            engine: gate.config().clone(),
            key: crate::key::load_existing(&paths).map_err(store_err)?,
            max_items,
            ..ReportOptions::default()
        };
        let now = gate.now_ms();
        let r = gate
            .store()
            .with_sqlite_copy(&paths.home, |db| report::build(db, &opts, now))
            .map_err(store_err)?;
        match format {
            ReportFormat::Json => report::json(&r).map_err(store_err),
            ReportFormat::Html => Ok(report::html::render(&r)),
            ReportFormat::Md => Ok(report::markdown::render(&r)),
        }
    })
    .await?;
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(resp)
}

/// `GET /metrics`: Prometheus text exposition (docs/http.md lists the series). A gauge the
/// store cannot answer is left without a sample, and counted as a store error.
pub async fn metrics(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let gate = st.gate.clone();
    let gauges = blocking(move || {
        let store = gate.store();
        let patterns = store.pattern_count().ok();
        let chain_length = store.audit_count().ok();
        if patterns.is_none() || chain_length.is_none() {
            metrics::store_error("store");
        }
        Ok(metrics::Gauges {
            patterns,
            chain_length,
        })
    })
    .await?;
    let mut resp = (StatusCode::OK, metrics::render(gauges)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}
