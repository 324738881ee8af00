//! The `/permissions/*` routes beyond `check`: recording a human decision with its challenge,
//! and the read-only views of the learned state (patterns, stats, similar patterns, the
//! classifier's explanation). Every answer is built by [`crate::views`], the same functions
//! the CLI's `--json` prints.

use super::error::ApiError;
use super::limits::read_body;
use super::routes::{AppState, blocking, parse_json};
use crate::engine::learning;
use crate::request::{Decision, Request};
use crate::views;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The longest text accepted in a query parameter or a body's text field.
pub const MAX_FIELD: usize = 64 * 1024;

fn bounded(name: &str, s: &str) -> Result<(), ApiError> {
    if s.len() > MAX_FIELD || s.contains('\0') {
        return Err(ApiError::malformed(format!(
            "`{name}` is longer than {MAX_FIELD} bytes or holds a NUL"
        )));
    }
    Ok(())
}

/// The body of `POST /permissions/record`: a human decision on one exact request, carried by
/// the challenge `aiperture check` showed that human (on a terminal). The reference's
/// `decided_by` names who decided (default `http`); `challenge_nonce` and
/// `challenge_issued_at` are part of our token and are not separate fields.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct RecordBody {
    tool: Option<String>,
    action: Option<String>,
    scope: Option<String>,
    decision: Option<String>,
    challenge: Option<String>,
    decided_by: Option<String>,
    cwd: Option<String>,
    project: Option<String>,
    session_id: Option<String>,
    content_hash: Option<String>,
}

/// The answer of `POST /permissions/record`.
#[derive(Serialize, Debug)]
pub struct Recorded {
    /// Always true (a refusal is an error answer).
    pub recorded: bool,
    /// The decision row's id.
    pub log_id: i64,
    /// A rubber stamp (too many approvals too fast): recorded, not counted.
    pub rapid: bool,
    /// Decisions counted toward learning and decisions needed, for the deciding key.
    pub progress: [u32; 2],
}

/// `POST /permissions/record`: 400 without a challenge, or with one that is malformed,
/// expired, replayed or issued for another request.
pub async fn record(State(st): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let b: RecordBody = parse_json(&bytes)?;
    let scope = b
        .scope
        .ok_or_else(|| ApiError::malformed("the request has no `scope`"))?;
    let decision = match b.decision.as_deref() {
        Some("allow") => Decision::Allow,
        Some("deny") => Decision::Deny,
        _ => return Err(ApiError::malformed("`decision` must be `allow` or `deny`")),
    };
    let token = b.challenge.filter(|c| !c.is_empty()).ok_or_else(|| {
        ApiError::malformed("a human decision needs the `challenge` of the verdict it answers")
    })?;
    let who = b.decided_by.unwrap_or_else(|| "http".into());
    for (n, v) in [
        ("scope", &scope),
        ("challenge", &token),
        ("decided_by", &who),
    ] {
        bounded(n, v)?;
    }
    let req = crate::callsite::located(Request {
        runtime: "http".into(),
        event: "record".into(),
        session_id: b.session_id.unwrap_or_default(),
        cwd: b.cwd.unwrap_or_default(),
        project: b.project.unwrap_or_default(),
        tool: b.tool.unwrap_or_else(|| "shell".into()),
        action: b.action.unwrap_or_else(|| "execute".into()),
        scope,
        content_hash: b.content_hash,
        ..Request::default()
    });
    let gate = st.gate.clone();
    let rec = blocking(move || {
        gate.record_with_challenge(&req, decision, &token, &who)
            .map_err(ApiError::from)
    })
    .await?;
    Ok(Json(Recorded {
        recorded: true,
        log_id: rec.id,
        rapid: rec.rapid,
        progress: [rec.progress.0, rec.progress.1],
    })
    .into_response())
}

/// The query of `GET /permissions/patterns` and `/permissions/stats`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct ProjectQuery {
    /// The project (default `global`); its patterns and the global ones.
    project: Option<String>,
}

fn project_of(q: Option<String>) -> Result<String, ApiError> {
    let p = q
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| learning::GLOBAL.to_string());
    bounded("project", &p)?;
    Ok(p)
}

/// `GET /permissions/patterns?project=P`: `{"project", "count", "patterns": [...]}`, each
/// pattern as `aiperture patterns --json` prints it.
pub async fn patterns(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ProjectQuery>,
) -> Result<Response, ApiError> {
    let project = project_of(q.project)?;
    let gate = st.gate.clone();
    let shown = project.clone();
    let rows = blocking(move || {
        let ps = gate.patterns(&project).map_err(ApiError::from)?;
        Ok(ps
            .iter()
            .map(|p| views::pattern(&gate, p))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(serde_json::json!({
        "project": shown,
        "count": rows.len(),
        "patterns": views::to_json_array(&rows),
    }))
    .into_response())
}

/// `GET /permissions/stats?project=P`: the project's learned patterns counted by status,
/// and the live grants and pending asks (every project).
pub async fn stats(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ProjectQuery>,
) -> Result<Response, ApiError> {
    let project = project_of(q.project)?;
    let gate = st.gate.clone();
    let shown = project.clone();
    let (by_status, grants, pending) = blocking(move || {
        let ps = gate.patterns(&project).map_err(ApiError::from)?;
        let mut by: BTreeMap<&'static str, u64> = BTreeMap::new();
        for p in &ps {
            *by.entry(views::pattern(&gate, p).status).or_default() += 1;
        }
        let grants = gate.grants().map_err(ApiError::from)?.len();
        let pending = gate.pending_recent(1000).map_err(ApiError::from)?.len();
        Ok((by, grants, pending))
    })
    .await?;
    Ok(Json(serde_json::json!({
        "project": shown,
        "patterns": by_status.values().sum::<u64>(),
        "patterns_by_status": by_status,
        "live_grants": grants,
        "pending_asks": pending,
    }))
    .into_response())
}

/// The query of `GET /permissions/similar` and `/permissions/explain`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct RequestQuery {
    tool: Option<String>,
    action: Option<String>,
    scope: Option<String>,
    cwd: Option<String>,
    project: Option<String>,
    limit: Option<u32>,
}

impl RequestQuery {
    fn request(&self) -> Result<Request, ApiError> {
        let scope = self
            .scope
            .clone()
            .ok_or_else(|| ApiError::malformed("the query has no `scope`"))?;
        let tool = self.tool.clone().unwrap_or_else(|| "shell".into());
        let action = self.action.clone().unwrap_or_else(|| "execute".into());
        let cwd = self.cwd.clone().unwrap_or_default();
        let project = self.project.clone().unwrap_or_default();
        for (n, v) in [
            ("scope", &scope),
            ("tool", &tool),
            ("action", &action),
            ("cwd", &cwd),
            ("project", &project),
        ] {
            bounded(n, v)?;
        }
        Ok(Request {
            runtime: "http".into(),
            tool,
            action,
            scope,
            cwd,
            project,
            ..Request::default()
        })
    }
}

/// `GET /permissions/explain?tool&action&scope&cwd&project`: the classifier's rating, as
/// `aiperture explain --json` prints it. Records nothing.
pub async fn explain(
    State(st): State<Arc<AppState>>,
    Query(q): Query<RequestQuery>,
) -> Result<Response, ApiError> {
    let req = q.request()?;
    let gate = st.gate.clone();
    let v = blocking(move || {
        let req = gate.resolve(&req);
        let a = gate.assess(&req);
        Ok(views::explain(&req.tool, &req.action, &req.scope, &a))
    })
    .await?;
    Ok(Json(views::to_json(&v)).into_response())
}

/// How alike two pattern texts are: the length of their common prefix (with the pattern's
/// final `*` matching the rest) over the longer length, in `[0, 1]`.
pub fn similarity(pattern: &str, scope: &str) -> f64 {
    if let Some(stem) = pattern.strip_suffix('*')
        && scope.starts_with(stem)
    {
        return 1.0;
    }
    let common = pattern
        .chars()
        .zip(scope.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let longest = pattern.chars().count().max(scope.chars().count());
    if longest == 0 {
        return 0.0;
    }
    ((common as f64 / longest as f64) * 1000.0).round() / 1000.0
}

/// `GET /permissions/similar?tool&action&scope&project&limit`: the learned patterns of the
/// same tool and action in the project (and global) nearest to `scope`, most similar first
/// (`limit` default 5, at most 100), each with its `similarity` and its pattern view.
pub async fn similar(
    State(st): State<Arc<AppState>>,
    Query(q): Query<RequestQuery>,
) -> Result<Response, ApiError> {
    let req = q.request()?;
    let limit = q.limit.unwrap_or(5).clamp(1, 100) as usize;
    let gate = st.gate.clone();
    let rows = blocking(move || {
        let req = gate.resolve(&req);
        let project = if req.project.is_empty() {
            learning::GLOBAL.to_string()
        } else {
            req.project.clone()
        };
        let ps = gate.patterns(&project).map_err(ApiError::from)?;
        let mut rows: Vec<(f64, views::PatternView)> = ps
            .iter()
            .filter(|p| p.tool == req.tool && p.action == req.action)
            .map(|p| (similarity(&p.key.key, &req.scope), views::pattern(&gate, p)))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        rows.truncate(limit);
        Ok(rows)
    })
    .await?;
    let out: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|(s, v)| {
            let mut j = views::to_json(&v);
            if let Some(o) = j.as_object_mut() {
                o.insert("similarity".into(), s.into());
            }
            j
        })
        .collect();
    Ok(Json(serde_json::json!({"count": out.len(), "patterns": out})).into_response())
}

#[cfg(test)]
mod tests {
    use super::similarity;

    #[test]
    fn similarity_is_a_prefix_ratio_and_a_matching_star_is_one() {
        assert_eq!(similarity("git log *", "git log --oneline"), 1.0);
        assert_eq!(similarity("abcd", "abxy"), 0.5);
        assert_eq!(similarity("", ""), 0.0);
        assert_eq!(similarity("npm *", "git status"), 0.0);
    }
}
