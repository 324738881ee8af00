//! The admin routes: `POST /permissions/grant`, `POST /permissions/revoke` and `PATCH
//! /config`, the HTTP twins of `aiperture grant`, `aiperture revoke` (and `grant --revoke`)
//! and `aiperture config set|unset`.
//!
//! The API key alone (which an agent may hold) never changes what the gate allows: each act
//! needs an admin challenge in the `Aiperture-Admin-Challenge` header, signed with the
//! install key over [`admin_proof::http_args`] (method, path, SHA-256 of the exact body),
//! valid once within `challenge_ttl_seconds` — the same verifier and nonce store as the
//! CLI's ([`crate::admin_proof`]). Order: a body that is not a JSON object or a
//! missing / malformed challenge is a 400; then the challenge is verified and consumed (403
//! when it is forged, expired, used or for another act); only then are the fields judged
//! (400 malformed, 422 an invalid setting, value or grant) and the act done (200/201). So
//! an agent with the API key learns nothing about what would be accepted, and a challenge
//! spent on a refused body is gone (sign again). A refused act writes nothing to the store
//! or the config file; an accepted one is audited like its CLI twin, its actor `http:<who>`.

use super::error::ApiError;
use super::limits::read_body;
use super::routes::{AppState, blocking, parse_json};
use crate::admin_proof::{self, VerifyError};
use crate::config;
use crate::engine::state::AuditNote;
use crate::error::GateError;
use crate::request::{Decision, Request};
use crate::views;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The header that carries the admin challenge of an HTTP admin act.
pub const CHALLENGE_HEADER: &str = "aiperture-admin-challenge";

/// The longest text accepted in an admin body's field, in characters.
const MAX_FIELD: usize = super::perms::MAX_FIELD;

/// The longest time to live of a grant over HTTP: 30 days.
pub const MAX_TTL_SECONDS: i64 = 30 * 86_400;

fn unprocessable(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "policy", detail)
}

fn bounded(name: &str, s: &str) -> Result<(), ApiError> {
    if s.chars().count() > MAX_FIELD {
        return Err(ApiError::malformed(format!(
            "`{name}` is longer than {MAX_FIELD} characters"
        )));
    }
    Ok(())
}

/// The challenge of the request: 400 when it is missing or not of the token's form.
fn challenge_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(v) = headers.get(CHALLENGE_HEADER) else {
        return Err(ApiError::malformed(
            "an admin act needs an `Aiperture-Admin-Challenge` header signed with the install \
             key for exactly this act (docs/http.md, \"Admin acts\")",
        ));
    };
    let t = v.to_str().unwrap_or_default().trim().to_string();
    if !admin_proof::token_form(&t) {
        return Err(ApiError::malformed(
            "`Aiperture-Admin-Challenge` is not an admin challenge (a1.<seconds>.<nonce>.<mac>)",
        ));
    }
    Ok(t)
}

/// Verifies the challenge for this act and consumes it: 403 when it does not hold.
async fn prove(
    st: &Arc<AppState>,
    token: String,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(), ApiError> {
    let args = admin_proof::http_args(method, path, body);
    let paths = st.paths.clone();
    blocking(move || {
        admin_proof::verify(&paths, &token, &args).map_err(|e| match e {
            VerifyError::Refused(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            VerifyError::Unavailable(_) => ApiError::internal(e.to_string()),
        })
    })
    .await
}

/// Who acts, for the audit trail: `http:<name>` (the body's name, default `admin`).
fn actor(name: Option<String>) -> Result<String, ApiError> {
    let n = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "admin".into());
    bounded("by", &n)?;
    Ok(format!("http:{n}"))
}

/// The body of `POST /permissions/grant`: the reference's fields (its `task_id`,
/// `granted_by`, `ttl_seconds`) and the CLI's (`session`, `project`, `cwd`).
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct GrantBody {
    /// Tool (default `shell`).
    #[schema(max_length = 65536)]
    tool: Option<String>,
    /// Action (default `execute`).
    #[schema(max_length = 65536)]
    action: Option<String>,
    /// The scope pattern (shell: per simple command, e.g. `npm run *`).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 65536)]
    scope: Option<String>,
    /// `allow` or `deny`.
    #[schema(value_type = super::perms::DecisionName, required = true)]
    decision: Option<String>,
    /// Time to live in seconds (default 3600, at most 30 days); a grant always expires.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 2592000)]
    ttl_seconds: Option<serde_json::Value>,
    /// Only for this session id.
    #[schema(max_length = 65536)]
    session: Option<String>,
    /// The project (default: found from `cwd`).
    #[schema(max_length = 65536)]
    project: Option<String>,
    /// The working directory the project is found from.
    #[schema(max_length = 65536)]
    cwd: Option<String>,
    /// The task the grant belongs to (kept as its reason).
    #[schema(max_length = 65536)]
    task_id: Option<String>,
    /// Who grants (audited as `http:<granted_by>`, default `http:admin`).
    #[schema(max_length = 65536)]
    granted_by: Option<String>,
}

/// The answer of `POST /permissions/grant`.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct Granted {
    /// Always true (a refusal is an error answer).
    pub granted: bool,
    /// The grant's id (the reference's name for it).
    pub permission_id: String,
    /// The grant, as `aiperture grant --list --json` prints it.
    pub grant: views::GrantView,
}

/// `POST /permissions/grant`: a task grant, as `aiperture grant`; 201 with the grant.
pub async fn grant(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let b: GrantBody = parse_json(&bytes)?;
    let token = challenge_of(&headers)?;
    prove(&st, token, "POST", "/permissions/grant", &bytes).await?;
    let scope = b
        .scope
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::malformed("the grant has no `scope`"))?;
    let decision = match b.decision.as_deref() {
        Some("allow") => Decision::Allow,
        Some("deny") => Decision::Deny,
        _ => return Err(ApiError::malformed("`decision` must be `allow` or `deny`")),
    };
    let ttl = match &b.ttl_seconds {
        None | Some(serde_json::Value::Null) => 3600,
        // A whole number, also when written `7200.0` (JSON does not tell them apart).
        Some(serde_json::Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
            _ => 0,
        },
        Some(_) => return Err(ApiError::malformed("`ttl_seconds` must be a number")),
    };
    if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(unprocessable(format!(
            "`ttl_seconds` must be 1 to {MAX_TTL_SECONDS}; a grant always expires"
        )));
    }
    let tool = b
        .tool
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "shell".into());
    let action = b
        .action
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "execute".into());
    let session = b.session.filter(|s| !s.is_empty());
    let reason = b.task_id.unwrap_or_default();
    let cwd = b.cwd.unwrap_or_default();
    let project = b.project.unwrap_or_default();
    for (n, v) in [
        ("scope", &scope),
        ("tool", &tool),
        ("action", &action),
        ("cwd", &cwd),
        ("project", &project),
        ("task_id", &reason),
        ("session", session.as_ref().unwrap_or(&String::new())),
    ] {
        bounded(n, v)?;
    }
    let by = actor(b.granted_by)?;
    let req = crate::callsite::located(Request {
        runtime: "http".into(),
        event: "grant".into(),
        cwd,
        project,
        tool,
        action,
        scope,
        ..Request::default()
    });
    let gate = st.gate.clone();
    let g = blocking(move || {
        gate.grant(&req, decision, ttl, session.as_deref(), &by, &reason)
            .map_err(ApiError::from)
    })
    .await?;
    let answer = Granted {
        granted: true,
        permission_id: g.id.clone(),
        grant: views::grant(&g),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The body of `POST /permissions/revoke`: one of `grant_id` (as `aiperture grant --revoke
/// ID`), `scope` (a command: the learned pattern deciding it now, or a pattern by name; with
/// `exact_key` an exact key) or `exact_scope` (an exact scope and the patterns its decisions
/// derived), as `aiperture revoke`.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct RevokeBody {
    /// A live grant's id.
    #[schema(max_length = 65536)]
    grant_id: Option<String>,
    /// A command (`npm test`) or a pattern (`git log *`).
    #[schema(max_length = 65536)]
    scope: Option<String>,
    /// An exact scope (and every pattern derived from it).
    #[schema(max_length = 65536)]
    exact_scope: Option<String>,
    /// With `scope`: it is an exact (never generalized) key, not a pattern.
    exact_key: Option<bool>,
    /// Tool (default `shell`).
    #[schema(max_length = 65536)]
    tool: Option<String>,
    /// Action (default `execute`).
    #[schema(max_length = 65536)]
    action: Option<String>,
    /// The working directory the project is found from.
    #[schema(max_length = 65536)]
    cwd: Option<String>,
    /// Why.
    #[schema(max_length = 65536)]
    reason: Option<String>,
    /// Who revokes (audited as `http:<revoked_by>`, default `http:admin`).
    #[schema(max_length = 65536)]
    revoked_by: Option<String>,
}

/// The answer of `POST /permissions/revoke`.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct RevokedAnswer {
    /// Always true (nothing matching is a 404).
    pub revoked: bool,
    /// The grant revoked, when `grant_id` was given.
    pub grant_id: Option<String>,
    /// The pattern keys revoked.
    pub patterns: Vec<String>,
    /// Decisions marked revoked.
    pub decisions: u64,
}

/// What a revoke body asks for.
enum Target {
    Grant(String),
    ExactScope(String),
    ExactKey(String),
    Command(String),
}

/// `POST /permissions/revoke`: 200 with what was revoked; 404 when nothing matches (nothing
/// written).
pub async fn revoke(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let b: RevokeBody = parse_json(&bytes)?;
    let token = challenge_of(&headers)?;
    prove(&st, token, "POST", "/permissions/revoke", &bytes).await?;
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let target = match (
        nonempty(b.grant_id),
        nonempty(b.scope),
        nonempty(b.exact_scope),
    ) {
        (Some(id), None, None) => Target::Grant(id),
        (None, Some(s), None) if b.exact_key == Some(true) => Target::ExactKey(s),
        (None, Some(s), None) => Target::Command(s),
        (None, None, Some(s)) => Target::ExactScope(s),
        _ => {
            return Err(ApiError::malformed(
                "name exactly one of `grant_id`, `scope` or `exact_scope`",
            ));
        }
    };
    let tool = nonempty(b.tool).unwrap_or_else(|| "shell".into());
    let action = nonempty(b.action).unwrap_or_else(|| "execute".into());
    let cwd = b.cwd.unwrap_or_default();
    let reason = b.reason.unwrap_or_default();
    for (n, v) in [
        ("tool", &tool),
        ("action", &action),
        ("cwd", &cwd),
        ("reason", &reason),
    ] {
        bounded(n, v)?;
    }
    let (Target::Grant(s) | Target::ExactScope(s) | Target::ExactKey(s) | Target::Command(s)) =
        &target;
    bounded("scope", s)?;
    let by = actor(b.revoked_by)?;
    let gate = st.gate.clone();
    let req = move |scope: String| {
        crate::callsite::located(Request {
            runtime: "http".into(),
            event: "revoke".into(),
            cwd: cwd.clone(),
            tool: tool.clone(),
            action: action.clone(),
            scope,
            ..Request::default()
        })
    };
    let answer = blocking(move || {
        let none = || ApiError::not_found("nothing matches; nothing revoked");
        let out = match target {
            Target::Grant(id) => {
                if !gate.revoke_grant(&id, &by).map_err(ApiError::from)? {
                    return Err(ApiError::not_found(format!("no live grant `{id}`")));
                }
                RevokedAnswer {
                    revoked: true,
                    grant_id: Some(id),
                    patterns: Vec::new(),
                    decisions: 0,
                }
            }
            Target::ExactScope(s) => {
                let r = req(s);
                let out = gate
                    .revoke_scope(&r, &by, &reason)
                    .map_err(ApiError::from)?;
                if out.decisions == 0 {
                    return Err(none());
                }
                RevokedAnswer {
                    revoked: true,
                    grant_id: None,
                    patterns: out.keys.iter().map(|k| k.key.clone()).collect(),
                    decisions: out.decisions,
                }
            }
            Target::ExactKey(s) => {
                let r = req(s);
                let n = gate
                    .revoke_pattern(&r.tool, &r.action, &r.scope, true, &by, &reason)
                    .map_err(ApiError::from)?;
                if n == 0 {
                    return Err(none());
                }
                RevokedAnswer {
                    revoked: true,
                    grant_id: None,
                    patterns: vec![r.scope],
                    decisions: n,
                }
            }
            Target::Command(s) => {
                let r = req(s);
                let out = gate
                    .revoke_command(&r, &by, &reason)
                    .map_err(ApiError::from)?;
                if out.keys.is_empty() {
                    return Err(none());
                }
                RevokedAnswer {
                    revoked: true,
                    grant_id: None,
                    patterns: out.keys.iter().map(|(k, _, _)| k.key.clone()).collect(),
                    decisions: out.keys.iter().map(|(_, _, n)| *n).sum(),
                }
            }
        };
        Ok(out)
    })
    .await?;
    Ok(Json(answer).into_response())
}

/// The body of `PATCH /config`: the reference's `{"settings": {name: value}}`. A value is
/// what `aiperture config set NAME VALUE` takes (text; a number or boolean; a list as an
/// array or comma-separated text); `null` unsets the name (as `config unset`).
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ConfigPatch {
    /// Setting name → new value (`null`: back to its default).
    #[schema(value_type = Object, required = true)]
    settings: Option<serde_json::Map<String, serde_json::Value>>,
    /// Who changes them (audited as `http:<changed_by>`, default `http:admin`).
    #[schema(max_length = 65536)]
    changed_by: Option<String>,
}

/// One setting changed by `PATCH /config`.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct SettingChange {
    /// The setting.
    pub key: String,
    /// The effective value before (display form).
    pub old: String,
    /// The effective value now (display form).
    pub new: String,
    /// True when it was unset (back to its default).
    pub unset: bool,
    /// The environment variable that overrides the file for it, when one is set.
    pub overridden_by_env: Option<String>,
}

/// The answer of `PATCH /config`.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct ConfigPatched {
    /// Always true (a refusal is an error answer).
    pub updated: bool,
    /// Each change, in the body's order.
    pub settings: Vec<SettingChange>,
}

/// The text `config set` would take for a JSON value; `None` for `null` (unset).
fn value_text(key: &str, v: &serde_json::Value) -> Result<Option<String>, ApiError> {
    use serde_json::Value;
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ApiError::malformed(format!(
            "`settings.{key}`: a list holds text, numbers or booleans"
        ))),
    };
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => Ok(Some(
            items
                .iter()
                .map(scalar)
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
        )),
        Value::Object(_) => Err(ApiError::malformed(format!(
            "`settings.{key}` is an object; a value is text, a number, a boolean, a list or null"
        ))),
        other => scalar(other).map(Some),
    }
}

/// `PATCH /config`: sets (or unsets) settings in the user config file, validated exactly like
/// `aiperture config set` (its errors as 422), each change a `config.changed` audit event.
pub async fn patch_config(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(body).await?;
    let b: ConfigPatch = parse_json(&bytes)?;
    let token = challenge_of(&headers)?;
    prove(&st, token, "PATCH", "/config", &bytes).await?;
    let settings = b
        .settings
        .ok_or_else(|| ApiError::malformed("the body has no `settings` object"))?;
    if settings.is_empty() {
        return Err(unprocessable(
            "`settings` names no setting; nothing to change",
        ));
    }
    let mut changes: Vec<(&'static str, Option<String>)> = Vec::new();
    for (k, v) in &settings {
        let Some(info) = config::SETTINGS.iter().find(|i| i.key == k.as_str()) else {
            return Err(unprocessable(config::unknown_setting(k)));
        };
        let text = value_text(k, v)?;
        if let Some(t) = &text {
            bounded(k, t)?;
            config::parse_value(info.key, t)
                .map_err(|e| unprocessable(format!("{}: {e}", info.key)))?;
        }
        changes.push((info.key, text));
    }
    let by = actor(b.changed_by)?;
    let gate = st.gate.clone();
    let paths = st.paths.clone();
    let done = blocking(move || {
        let mut out = Vec::new();
        for (key, text) in changes {
            let (change, unset) = match text {
                Some(t) => (
                    Some(
                        config::set(&paths, key, &t)
                            .map_err(|e| unprocessable(format!("{e:#}")))?,
                    ),
                    false,
                ),
                None => (
                    config::unset(&paths, key)
                        .map_err(|e| ApiError::from(GateError::classify(e)))?,
                    true,
                ),
            };
            let Some(change) = change else {
                // Unset of a name the file does not hold: nothing changed, nothing audited.
                continue;
            };
            let mut ev = config::change_event(&change, &by);
            ev.runtime = "http".into();
            if unset {
                ev.summary = format!(
                    "Unset {} (was {}, now {})",
                    change.key, change.old, change.new
                );
                ev.details["unset"] = serde_json::Value::Bool(true);
            }
            let note = AuditNote::of_event(&ev);
            let now = gate.now_ms();
            gate.write_state(|st| st.audit(&note, now))
                .map_err(ApiError::from)?;
            out.push(SettingChange {
                key: change.key.to_string(),
                old: change.old,
                new: change.new,
                unset,
                overridden_by_env: change.overridden_by_env.map(str::to_string),
            });
        }
        Ok(out)
    })
    .await?;
    Ok(Json(ConfigPatched {
        updated: true,
        settings: done,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::value_text;
    use serde_json::json;

    #[test]
    fn json_values_become_the_text_config_set_takes() {
        assert_eq!(value_text("k", &json!("x")).unwrap(), Some("x".into()));
        assert_eq!(value_text("k", &json!(5)).unwrap(), Some("5".into()));
        assert_eq!(value_text("k", &json!(0.5)).unwrap(), Some("0.5".into()));
        assert_eq!(value_text("k", &json!(true)).unwrap(), Some("true".into()));
        assert_eq!(
            value_text("k", &json!(["a", "b"])).unwrap(),
            Some("a,b".into())
        );
        assert_eq!(value_text("k", &json!(null)).unwrap(), None);
        assert!(value_text("k", &json!({"a": 1})).is_err());
        assert!(value_text("k", &json!([{"a": 1}])).is_err());
    }
}
