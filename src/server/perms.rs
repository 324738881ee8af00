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

/// The longest text accepted in a body's text field, in characters.
pub const MAX_FIELD: usize = 64 * 1024;

/// The longest text accepted in a query parameter or a path segment, in characters (a
/// request line must stay under the HTTP parser's limit).
pub const MAX_PARAM: usize = 2048;

fn bounded_to(name: &str, s: &str, max: usize) -> Result<(), ApiError> {
    if s.chars().count() > max {
        return Err(ApiError::malformed(format!(
            "`{name}` is longer than {max} characters"
        )));
    }
    Ok(())
}

fn bounded(name: &str, s: &str) -> Result<(), ApiError> {
    bounded_to(name, s, MAX_FIELD)
}

fn param(name: &str, s: &str) -> Result<(), ApiError> {
    bounded_to(name, s, MAX_PARAM)
}

/// True for the form of a challenge token: `v1.<ask|deny>.<seconds>.<32 hex>.<64 hex>`.
pub fn token_form(t: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let p: Vec<&str> = t.split('.').collect();
    p.len() == 5
        && p[0] == "v1"
        && (p[1] == "ask" || p[1] == "deny")
        && !p[2].is_empty()
        && p[2].len() <= 20
        && p[2].bytes().all(|b| b.is_ascii_digit())
        && hex(p[3], 32)
        && hex(p[4], 64)
}

/// The body of `POST /permissions/record`: a human decision on one exact request, carried by
/// the challenge `aiperture check` showed that human (on a terminal). The reference's
/// `decided_by` names who decided (default `http`); `challenge_nonce` and
/// `challenge_issued_at` are part of our token and are not separate fields.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordBody {
    tool: Option<String>,
    action: Option<String>,
    /// The exact scope the challenge was issued for.
    #[schema(value_type = String, required = true, max_length = 65536)]
    scope: Option<String>,
    /// `allow` or `deny`.
    #[schema(value_type = DecisionName, required = true)]
    decision: Option<String>,
    /// The verdict's challenge, as `aiperture check --json` showed it on a terminal.
    #[schema(value_type = String, required = true,
             pattern = r"^v1\.(ask|deny)\.[0-9]{1,20}\.[0-9a-fA-F]{32}\.[0-9a-fA-F]{64}$")]
    challenge: Option<String>,
    decided_by: Option<String>,
    cwd: Option<String>,
    project: Option<String>,
    session_id: Option<String>,
    content_hash: Option<String>,
}

/// A human decision's name in a record.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DecisionName {
    /// Approve.
    Allow,
    /// Deny.
    Deny,
}

/// The answer of `POST /permissions/record`.
#[derive(Serialize, Debug, utoipa::ToSchema)]
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

/// `POST /permissions/record`: 400 without a challenge or with one that is not a token, 403
/// with one that is expired, replayed, forged or issued for another request.
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
    if !token_form(&token) {
        return Err(ApiError::malformed(
            "`challenge` is not a challenge token (v1.<decision>.<issued>.<nonce>.<mac>)",
        ));
    }
    let who = b.decided_by.unwrap_or_else(|| "http".into());
    for (n, v) in [("scope", &scope), ("decided_by", &who)] {
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
    // A well-formed token that does not verify (forged, expired, used, or issued for another
    // request) is refused as forbidden: the caller is authenticated but holds no human's consent.
    let rec = blocking(move || {
        gate.record_with_challenge(&req, decision, &token, &who)
            .map_err(|e| match e.kind {
                crate::error::ErrorKind::Malformed => {
                    ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", e.message)
                }
                _ => ApiError::from(e),
            })
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
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ProjectQuery {
    /// The project (default `global`); its patterns and the global ones.
    #[param(max_length = 2048)]
    project: Option<String>,
}

fn project_of(q: Option<String>) -> Result<String, ApiError> {
    let p = q
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| learning::GLOBAL.to_string());
    param("project", &p)?;
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
#[derive(Deserialize, Debug, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct RequestQuery {
    /// Tool (default `shell`).
    #[param(max_length = 2048)]
    tool: Option<String>,
    /// Action (default `execute`).
    #[param(max_length = 2048)]
    action: Option<String>,
    /// The command, path or URL.
    #[param(required = true, value_type = String, max_length = 2048)]
    scope: Option<String>,
    /// The working directory (the project is found from it).
    #[param(max_length = 2048)]
    cwd: Option<String>,
    /// The project.
    #[param(max_length = 2048)]
    project: Option<String>,
    /// `similar` only: at most this many (default 5).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

impl RequestQuery {
    fn request(&self) -> Result<Request, ApiError> {
        if self.limit.is_some_and(|n| !(1..=100).contains(&n)) {
            return Err(ApiError::malformed("`limit` must be 1 to 100"));
        }
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
            param(n, v)?;
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
    let limit = match q.limit.unwrap_or(5) {
        n @ 1..=100 => n as usize,
        _ => return Err(ApiError::malformed("`limit` must be 1 to 100")),
    };
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
    use super::{similarity, token_form};

    #[test]
    fn only_the_token_form_passes_the_form_check() {
        let good = format!("v1.ask.1772366400.{}.{}", "a".repeat(32), "0".repeat(64));
        assert!(token_form(&good));
        assert!(!token_form("v1.ask.1.00.00"));
        assert!(!token_form(&good.replace("ask", "allow")));
        assert!(!token_form(&format!("{good}.x")));
        assert!(!token_form(""));
    }

    #[test]
    fn similarity_is_a_prefix_ratio_and_a_matching_star_is_one() {
        assert_eq!(similarity("git log *", "git log --oneline"), 1.0);
        assert_eq!(similarity("abcd", "abxy"), 0.5);
        assert_eq!(similarity("", ""), 0.0);
        assert_eq!(similarity("npm *", "git status"), 0.0);
    }
}
