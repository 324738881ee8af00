//! One tool call, on the blocking pool: the engine first checks the call itself, as the tool
//! `mcp__aiperture__<name>` (`aiperture/<name>/<the arguments as canonical JSON>`, mapped as the
//! hooks map any MCP call), and records it in the audit chain; a deny refuses the call. Then the
//! arguments are read into the tool's input type and the tool runs.
//!
//! The server asks no one: the check is made as by a runtime that runs every call unasked
//! (`Unasked::Everything`), so an `ask` keeps no pending ask and the call runs. That is safe
//! because no tool here changes what aiperture decides (see `tools.rs`); where a human should
//! be asked first, the calling runtime's own hook asks (Claude Code's PreToolUse gates
//! `mcp__aiperture__*` like any MCP tool). A deny (a policy rule, the risk floor, the rate
//! limit) is enforced here.

use super::tools::{
    ArtifactInput, AuditInput, CheckInput, CostInput, ExplainInput, MAX_ARGUMENT_BYTES, NoInput,
    PatternsInput, ReportInput, RequestInput, SERVER_NAME, VerifyArtifactInput,
};
use crate::engine::CheckOutcome;
use crate::engine::decide::session_key;
use crate::engine::state::AuditNote;
use crate::engine::store::Store;
use crate::error::GateError;
use crate::paths::Paths;
use crate::request::{Decision, Request, Unasked};
use crate::runtimes::mapping::Target;
use crate::store::AnyGate;
use crate::views;
use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// The verdict of a check as every interface shows it (`views::verdict`).
fn verdict_json(out: &CheckOutcome) -> Value {
    views::to_json(&views::verdict(out, None))
}

/// What the sessions an agent names in `check_permission` and `request_permission` are
/// prefixed with.
pub const MCP_SESSION_PREFIX: &str = "mcp:";

/// The longest justification kept (characters).
pub const MAX_JUSTIFICATION_CHARS: usize = 2000;

/// Where calls come from and what they run on.
#[derive(Clone)]
pub struct Ctx {
    /// The gate every call is checked on.
    pub gate: Arc<AnyGate>,
    /// Where the key and the store are.
    pub paths: Paths,
    /// The session the server's own checks are made in (empty: `anon:mcp`).
    pub session: String,
    /// The working directory the checks default to (the stdio server's; empty over HTTP).
    pub cwd: String,
}

/// What a call gives back.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The tool ran: its structured result.
    Done(Value),
    /// The engine refused the call, or its arguments are unusable: a tool error the agent
    /// reads (structured detail, one line).
    Refused(Value, String),
}

impl Outcome {
    fn error(kind: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Outcome::Refused(json!({"error": kind, "detail": detail}), detail)
    }
}

/// The request the engine checks for a call of `name` with `args`: what a hook sends for
/// `mcp__aiperture__<name>`.
pub fn self_request(ctx: &Ctx, name: &str, args: &JsonObject) -> Request {
    Target::mcp(SERVER_NAME, name, args).into_request(Request {
        runtime: "mcp".into(),
        event: "tools/call".into(),
        session_id: ctx.session.clone(),
        cwd: ctx.cwd.clone(),
        raw_tool_name: format!("mcp__{SERVER_NAME}__{name}"),
        unasked: Unasked::Everything,
        ..Request::default()
    })
}

/// Runs a call of a known tool: the engine's check of the call, then the tool.
pub fn call(ctx: &Ctx, name: &str, args: &JsonObject) -> Outcome {
    let too_long = oversized(args);
    let mut req = self_request(ctx, name, args);
    if too_long.is_some() {
        // Refused below whatever the verdict: it is checked and recorded by its shortened
        // scope (the start and the SHA-256 of the whole), not rated whole.
        req.arguments = None;
    }
    let checked = ctx.gate.check_full(&req, false);
    let out = match checked {
        Ok(out) => out,
        Err(e) => return gate_error(e),
    };
    if out.verdict.decision == Decision::Deny {
        let reason = format!("aiperture denied this call: {}", out.verdict.reason);
        return Outcome::Refused(
            json!({"error": "denied", "detail": reason, "verdict": verdict_json(&out)}),
            reason,
        );
    }
    if let Some(too_long) = too_long {
        return Outcome::error(
            "invalid_arguments",
            format!("argument `{too_long}` is longer than {MAX_ARGUMENT_BYTES} bytes"),
        );
    }
    let result = match name {
        "check_permission" => parse(args).and_then(|i| check_permission(ctx, i)),
        "request_permission" => parse(args).and_then(|i| request_permission(ctx, i)),
        "explain_action" => parse(args).and_then(|i| explain_action(ctx, i)),
        "get_permission_patterns" => parse(args).and_then(|i| patterns(ctx, i, false)),
        "list_auto_approved_patterns" => parse(args).and_then(|i| patterns(ctx, i, true)),
        "get_audit_trail" => parse(args).and_then(|i| audit_trail(ctx, i)),
        "verify_audit_chain" => parse::<NoInput>(args).and_then(|_| verify_chain(ctx)),
        "get_compliance_report" => parse(args).and_then(|i| compliance_report(ctx, i)),
        "get_config" => parse::<NoInput>(args).and_then(|_| config(ctx)),
        "store_artifact" => parse(args).and_then(|i| store_artifact(ctx, i)),
        "verify_artifact" => parse(args).and_then(|i| verify_artifact(ctx, i)),
        "get_cost_summary" => parse(args).and_then(|i| cost_summary(ctx, i)),
        other => Err(Outcome::error("unknown_tool", format!("no tool `{other}`"))),
    };
    match result {
        Ok(v) => Outcome::Done(v),
        Err(o) => o,
    }
}

/// A gate error as the tool error the agent reads; the call did not run (fail closed).
fn gate_error(e: GateError) -> Outcome {
    let detail = format!(
        "aiperture could not check this call ({}): {}",
        e.kind.as_str(),
        e.message
    );
    Outcome::Refused(
        json!({"error": e.kind.as_str(), "detail": detail, "alarm": e.kind == crate::error::ErrorKind::Integrity}),
        detail,
    )
}

/// The first key or string argument (at any depth) longer than [`MAX_ARGUMENT_BYTES`], by
/// its key (the start of a key that is itself too long).
fn oversized(args: &JsonObject) -> Option<String> {
    let mut stack: Vec<(&str, &Value)> = args.iter().map(|(k, v)| (k.as_str(), v)).collect();
    while let Some((k, v)) = stack.pop() {
        if k.len() > MAX_ARGUMENT_BYTES {
            return Some(format!("{}…", k.chars().take(20).collect::<String>()));
        }
        match v {
            Value::String(s) if s.len() > MAX_ARGUMENT_BYTES => return Some(k.to_string()),
            Value::Array(a) => stack.extend(a.iter().map(|v| (k, v))),
            Value::Object(m) => stack.extend(m.iter().map(|(k, v)| (k.as_str(), v))),
            _ => {}
        }
    }
    None
}

/// Reads the arguments into the tool's input type; unusable arguments are a tool error (the
/// agent can correct them), as MCP asks.
fn parse<T: DeserializeOwned>(args: &JsonObject) -> Result<T, Outcome> {
    serde_json::from_value(Value::Object(args.clone()))
        .map_err(|e| Outcome::error("invalid_arguments", format!("invalid arguments: {e}")))
}

/// An engine error as a tool error.
fn failed(e: GateError) -> Outcome {
    Outcome::error(e.kind.as_str(), e.message)
}

/// The request an agent asks about (`check_permission`, `request_permission`).
fn asked(ctx: &Ctx, i: CheckInput, event: &str) -> Result<Request, Outcome> {
    if i.scope.trim().is_empty() {
        return Err(Outcome::error(
            "invalid_arguments",
            "`scope` is empty: name the command, path or URL",
        ));
    }
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    Ok(Request {
        runtime: "mcp".into(),
        event: event.into(),
        // The agent's session, kept apart from its runtime's: an ask kept here must never be
        // taken for the ask of the runtime's own call (its run would then count as a human's
        // approval), nor spend that session's budget.
        session_id: nonempty(i.session_id)
            .map(|s| format!("{MCP_SESSION_PREFIX}{s}"))
            .unwrap_or_else(|| ctx.session.clone()),
        cwd: nonempty(i.cwd).unwrap_or_else(|| ctx.cwd.clone()),
        tool: nonempty(i.tool).unwrap_or_else(|| "shell".into()),
        action: nonempty(i.action).unwrap_or_else(|| "execute".into()),
        scope: i.scope,
        content_hash: nonempty(i.content_hash),
        ..Request::default()
    })
}

/// `check_permission`: the full pipeline, recorded, as `POST /permissions/check`.
fn check_permission(ctx: &Ctx, i: CheckInput) -> Result<Value, Outcome> {
    let req = asked(ctx, i, "check")?;
    let out = ctx.gate.check_full(&req, false).map_err(failed)?;
    Ok(verdict_json(&out))
}

/// `request_permission`: the check, recorded; an ask is kept pending for a human, with the
/// agent's justification in the audit chain. Nothing here approves.
fn request_permission(ctx: &Ctx, i: RequestInput) -> Result<Value, Outcome> {
    let justification = i.justification.trim().to_string();
    if justification.is_empty() {
        return Err(Outcome::error(
            "invalid_arguments",
            "`justification` is empty: say why the action is needed",
        ));
    }
    let justification: String = justification
        .chars()
        .take(MAX_JUSTIFICATION_CHARS)
        .collect();
    let req = asked(ctx, i.request, "request")?;
    let out = ctx.gate.check_full(&req, false).map_err(failed)?;
    let verdict = verdict_json(&out);
    let (status, id) = match (out.verdict.decision, &out.pending_id) {
        (Decision::Allow, _) => ("allowed", None),
        (Decision::Deny, _) => ("denied", None),
        (Decision::Ask, Some(id)) => ("pending", Some(id.clone())),
        (Decision::Ask, None) => {
            return Err(Outcome::error(
                "not_recorded",
                "the engine kept no pending request for this ask",
            ));
        }
    };
    if let Some(id) = &id {
        record_justification(ctx, &out, id, &justification).map_err(failed)?;
    }
    Ok(json!({
        "status": status,
        "pending_id": id,
        "approve_with": id.as_ref().map(|id| format!("aiperture approve {id}")),
        "verdict": verdict,
    }))
}

/// Appends the `permission.requested` event: the pending id and the agent's justification.
fn record_justification(
    ctx: &Ctx,
    out: &CheckOutcome,
    id: &str,
    justification: &str,
) -> Result<(), GateError> {
    let key = crate::key::load(&ctx.paths).map_err(GateError::classify)?;
    let req = &out.request;
    let note = AuditNote {
        event_type: "permission.requested".into(),
        actor_type: "agent".into(),
        actor_id: "mcp".into(),
        principal: AuditNote::principal_of(req),
        host: AuditNote::host_of(req),
        runtime: req.runtime.clone(),
        session: session_key(req),
        project: req.project.clone(),
        entity: format!("{}/{}/{}", req.tool, req.action, req.scope),
        summary: format!("agent asks for {}/{} (pending {id})", req.tool, req.action),
        details: json!({"pending_id": id, "justification": justification,
            "tool": req.tool, "action": req.action, "scope": req.scope}),
    };
    let now = ctx.gate.now_ms();
    ctx.gate.store().write(&key, |st| st.audit(&note, now))
}

/// `explain_action`: the risk as the gate rates it for this request (`explain --json`);
/// nothing is recorded.
fn explain_action(ctx: &Ctx, i: ExplainInput) -> Result<Value, Outcome> {
    if i.scope.trim().is_empty() {
        return Err(Outcome::error(
            "invalid_arguments",
            "`scope` is empty: name the command, path or URL",
        ));
    }
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let req = ctx.gate.resolve(&Request {
        runtime: "mcp".into(),
        event: "explain".into(),
        cwd: nonempty(i.cwd).unwrap_or_else(|| ctx.cwd.clone()),
        tool: nonempty(i.tool).unwrap_or_else(|| "shell".into()),
        action: nonempty(i.action).unwrap_or_else(|| "execute".into()),
        scope: i.scope,
        ..Request::default()
    });
    let a = ctx.gate.assess(&req);
    Ok(views::to_json(&views::explain(
        &req.tool,
        &req.action,
        &req.scope,
        &a,
    )))
}

/// The project a pattern tool lists: the one named, else the server's working directory's,
/// else the global patterns.
fn project_of(ctx: &Ctx, named: Option<String>) -> String {
    let project = named.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| {
        ctx.gate
            .resolve(&Request {
                cwd: ctx.cwd.clone(),
                ..Request::default()
            })
            .project
    });
    if project.is_empty() {
        crate::callsite::GLOBAL.to_string()
    } else {
        project
    }
}

/// `get_permission_patterns` (`patterns --json`) and `list_auto_approved_patterns`: the same
/// views, kept only where the engine's own evaluation (risk floor, expiry, revocation, the
/// decisions needed) says auto-approve.
fn patterns(ctx: &Ctx, i: PatternsInput, auto_only: bool) -> Result<Value, Outcome> {
    let project = project_of(ctx, i.project);
    let rows: Vec<views::PatternView> = ctx
        .gate
        .patterns(&project)
        .map_err(failed)?
        .iter()
        .map(|p| views::pattern(&ctx.gate, p))
        .filter(|v| !auto_only || v.status == "auto-approve")
        .collect();
    let count = rows.len();
    Ok(json!({"project": project, "patterns": views::to_json_array(&rows), "count": count}))
}

/// `get_audit_trail`: the newest events (`audit list --json`), from the gate's store.
fn audit_trail(ctx: &Ctx, i: AuditInput) -> Result<Value, Outcome> {
    let filter = crate::audit::ListFilter {
        since_ms: None,
        event_type: i.event_type.filter(|s| !s.trim().is_empty()),
        session_id: i.session_id.filter(|s| !s.trim().is_empty()),
        limit: Some(u64::from(i.limit.unwrap_or(20).clamp(1, 500))),
    };
    let events = ctx
        .gate
        .store()
        .audit_list(&filter)
        .map_err(|e| failed(GateError::classify(e)))?;
    let rows: Vec<&crate::audit::AuditEvent> = events.iter().map(views::audit_event).collect();
    Ok(json!({"events": views::to_json_array(&rows), "count": rows.len()}))
}

/// `verify_audit_chain`: as `GET /audit/verify-chain`.
fn verify_chain(ctx: &Ctx) -> Result<Value, Outcome> {
    let run = || -> anyhow::Result<crate::audit::VerifyReport> {
        let key = crate::key::load_existing(&ctx.paths)?;
        ctx.gate.store().verify_audit(key.as_ref())
    };
    let report = run().map_err(|e| failed(GateError::classify(e)))?;
    let mut v = views::to_json(views::verify_report(&report));
    if let Some(o) = v.as_object_mut() {
        o.insert("alarm".into(), (!report.intact).into());
    }
    Ok(v)
}

/// `get_compliance_report`: `aiperture report --format json` on the gate's store: on SQLite
/// through a connection of its own so checks do not wait for it, on the team store from a
/// copy taken on one snapshot.
fn compliance_report(ctx: &Ctx, i: ReportInput) -> Result<Value, Outcome> {
    let now = ctx.gate.now_ms();
    let since_ms = i
        .since_days
        .map(|d| now.saturating_sub(i64::from(d).saturating_mul(86_400_000)));
    let run = || -> anyhow::Result<Value> {
        let opts = crate::report::ReportOptions {
            since_ms,
            project: i.project.clone().filter(|p| !p.trim().is_empty()),
            engine: ctx.gate.config().clone(),
            key: crate::key::load_existing(&ctx.paths)?,
            max_items: i.limit.map_or(50, |n| n.clamp(1, 500) as usize),
            ..crate::report::ReportOptions::default()
        };
        let build = |db: &crate::store::Db| crate::report::build(db, &opts, now);
        let r = match ctx.gate.store() {
            crate::store::AnyStore::Sqlite(s) => {
                let path = s.db().path().to_path_buf();
                build(&crate::store::Db::open_existing(&path)?)?
            }
            team => team.with_sqlite_copy(&ctx.paths.home, build)?,
        };
        Ok(serde_json::to_value(&r)?)
    };
    run().map_err(|e| failed(GateError::classify(e)))
}

/// `get_config`: the effective settings and their sources (`config show --json`), read
/// from the config file and environment as they are now; the API key shows only whether it
/// is set.
fn config(ctx: &Ctx) -> Result<Value, Outcome> {
    let loaded = crate::config::Settings::load_with_sources(&ctx.paths)
        .map_err(|e| failed(GateError::classify(e)))?;
    Ok(views::to_json(&views::config_show(
        &loaded,
        &ctx.paths.config,
    )))
}

/// An artifacts error as a tool error (a refusal, such as a negative cost, is the agent's
/// to correct; the store's own failures keep their kind).
fn artifact_failed(e: anyhow::Error) -> Outcome {
    failed(GateError::classify(e))
}

/// `store_artifact`: the content, content-addressed, with its context; `artifact.stored` in
/// the chain. The view is the artifact as `aiperture artifact show --json` prints it.
fn store_artifact(ctx: &Ctx, i: ArtifactInput) -> Result<Value, Outcome> {
    let opt = |s: Option<String>| s.unwrap_or_default();
    let mut new = crate::artifacts::NewArtifact {
        content: i.content.into_bytes(),
        kind: opt(i.artifact_type),
        task: opt(i.task_id),
        tool: opt(i.tool_name),
        summary: opt(i.summary),
        model: opt(i.model_used),
        provider: opt(i.provider_used),
        tokens_in: i.tokens_input.unwrap_or(0),
        tokens_out: i.tokens_output.unwrap_or(0),
        cost_usd: i.cost_usd.unwrap_or(0.0),
        ..crate::artifacts::NewArtifact::default()
    };
    crate::artifacts::place(&ctx.gate, &mut new, "mcp", &ctx.session, &ctx.cwd);
    if !new.cost_usd.is_finite() || new.cost_usd < 0.0 {
        return Err(Outcome::error(
            "invalid_arguments",
            "`cost_usd` must be a finite amount of at least 0",
        ));
    }
    let a = crate::artifacts::store(&ctx.gate, new).map_err(artifact_failed)?;
    Ok(views::to_json(&a))
}

/// `verify_artifact`: re-hashes the content (`artifact.verified` in the chain).
fn verify_artifact(ctx: &Ctx, i: VerifyArtifactInput) -> Result<Value, Outcome> {
    let id = i.artifact_id.trim();
    let known = crate::artifacts::valid_id(id)
        && crate::artifacts::get(&ctx.gate, id)
            .map_err(artifact_failed)?
            .is_some();
    if !known {
        return Err(Outcome::error(
            "not_found",
            format!("no artifact `{}`", id.chars().take(40).collect::<String>()),
        ));
    }
    let v = crate::artifacts::verify(&ctx.gate, id).map_err(artifact_failed)?;
    Ok(views::to_json(&v))
}

/// `get_cost_summary`: the sums of `aiperture costs --json`.
fn cost_summary(ctx: &Ctx, i: CostInput) -> Result<Value, Outcome> {
    let now = ctx.gate.now_ms();
    let filter = crate::engine::state::ArtifactFilter {
        task: i.task_id.filter(|t| !t.trim().is_empty()),
        since_ms: i
            .since_days
            .map(|d| now.saturating_sub(i64::from(d).saturating_mul(86_400_000))),
        ..Default::default()
    };
    let s = crate::artifacts::cost_summary(&ctx.gate, &filter).map_err(artifact_failed)?;
    Ok(views::to_json(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_check_is_the_hooks_request_for_the_same_mcp_call() {
        let args: JsonObject = serde_json::from_value(json!({"scope": "ls", "a": [1, {"b": "c"}]}))
            .unwrap_or_default();
        let target = Target::mcp("aiperture", "check_permission", &args);
        // What a runtime's adapter builds for `mcp__aiperture__check_permission`.
        assert_eq!(target.tool, "aiperture");
        assert_eq!(target.action, "check_permission");
        assert_eq!(target.scope, r#"{"a":[1,{"b":"c"}],"scope":"ls"}"#);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::at(dir.path(), &dir.path().join("a.db"));
        let store = crate::store::SqliteStore::open(&paths.db).unwrap_or_else(|e| panic!("{e:#}"));
        let gate = crate::engine::Gate::new(
            crate::store::AnyStore::Sqlite(store),
            paths.clone(),
            crate::config::Settings::default(),
            crate::engine::clock_from_env(),
        );
        let ctx = Ctx {
            gate: Arc::new(gate),
            paths,
            session: "s".into(),
            cwd: "/w".into(),
        };
        let req = self_request(&ctx, "check_permission", &args);
        assert_eq!(
            (req.tool.as_str(), req.action.as_str()),
            ("aiperture", "check_permission")
        );
        assert_eq!(req.scope, target.scope);
        assert_eq!(req.arguments, target.arguments);
        assert_eq!(req.raw_tool_name, "mcp__aiperture__check_permission");
        assert_eq!(
            (req.runtime.as_str(), req.session_id.as_str()),
            ("mcp", "s")
        );
        assert_eq!(req.unasked, Unasked::Everything);
        // Recorded, and no pending ask is left for a call nobody was asked about.
        let out = call(&ctx, "verify_audit_chain", &JsonObject::new());
        assert!(
            matches!(out, Outcome::Done(ref v) if v["intact"] == true),
            "{out:?}"
        );
        let pending = ctx.gate.pending_recent(10).unwrap_or_default();
        assert!(pending.is_empty(), "{pending:?}");
    }

    #[test]
    fn oversized_keys_and_values_are_found_at_any_depth() {
        let big = "x".repeat(MAX_ARGUMENT_BYTES + 1);
        let of = |v: Value| oversized(&serde_json::from_value(v).unwrap_or_default());
        assert_eq!(of(json!({"scope": "ls"})), None);
        assert_eq!(of(json!({"scope": big})), Some("scope".into()));
        assert_eq!(of(json!({"a": [{"deep": big}]})), Some("deep".into()));
        let mut m = JsonObject::new();
        m.insert(big.clone(), json!(1));
        assert!(oversized(&m).is_some_and(|k| k.ends_with('…')));
        assert_eq!(of(json!({"scope": "x".repeat(MAX_ARGUMENT_BYTES)})), None);
    }
}
