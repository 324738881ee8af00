//! The MCP tools aiperture serves: each one's name, one-line description, input type (its JSON
//! Schema is derived from the type) and output schema.
//!
//! What is here is all there is: no tool approves, denies, grants, revokes, changes the
//! configuration, bootstraps or reports a tool's execution (SPEC §10.1: an agent holding such a
//! tool approves itself). `request_permission` only records a request that a human answers
//! with `aiperture approve ID` in a terminal. `tests/mcp.rs` holds the exact list.

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The MCP server's name: runtimes show its tools as `mcp__aiperture__<tool>`.
pub const SERVER_NAME: &str = "aiperture";

/// The tools, in the order `tools/list` gives them.
pub const TOOL_NAMES: &[&str] = &[
    "check_permission",
    "request_permission",
    "explain_action",
    "get_permission_patterns",
    "list_auto_approved_patterns",
    "get_audit_trail",
    "verify_audit_chain",
    "get_compliance_report",
    "get_config",
    "store_artifact",
    "verify_artifact",
    "get_cost_summary",
];

/// The longest string any argument may hold (the HTTP API's body limit; stdio lines may be
/// longer, so the tools enforce it themselves).
pub const MAX_ARGUMENT_BYTES: usize = 1024 * 1024;

/// The arguments of `check_permission` and the request part of `request_permission`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CheckInput {
    /// Tool family: `shell` (default), `filesystem`, `web`, `agent`, or an MCP server's name.
    pub tool: Option<String>,
    /// Action: `execute` (default), `read`, `write`, `fetch`, `search`, `spawn`, or an MCP tool.
    pub action: Option<String>,
    /// What the action is on: the command, absolute path, URL, query, ….
    pub scope: String,
    /// The working directory of the action (absolute); the project is found from it.
    pub cwd: Option<String>,
    /// A session id of the agent's choosing: kept as `mcp:<id>`, apart from its runtime's
    /// sessions (rate limit, session budget and memory are per session).
    pub session_id: Option<String>,
    /// SHA-256 (hex) of the content being written, for writes.
    pub content_hash: Option<String>,
}

/// The arguments of `request_permission`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RequestInput {
    /// The action asked for.
    #[serde(flatten)]
    pub request: CheckInput,
    /// Why the agent needs it, for the human who decides (at most 2000 characters).
    pub justification: String,
}

/// The arguments of `explain_action`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ExplainInput {
    /// Tool family (default `shell`).
    pub tool: Option<String>,
    /// Action (default `execute`).
    pub action: Option<String>,
    /// The command, path, URL, … to rate.
    pub scope: String,
    /// The working directory the action runs in (absolute).
    pub cwd: Option<String>,
}

/// The arguments of the pattern tools.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PatternsInput {
    /// The project (its root directory, or `global`); default: found from the server's
    /// working directory.
    pub project: Option<String>,
}

/// The arguments of `get_audit_trail`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct AuditInput {
    /// Only events of this type (`permission.check`, `decision.human`, …).
    pub event_type: Option<String>,
    /// Only events of this session.
    pub session_id: Option<String>,
    /// At most this many events, newest first (default 20, at most 500).
    pub limit: Option<u32>,
}

/// The arguments of `get_compliance_report`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReportInput {
    /// Only activity of the last this many days (default: all of it).
    pub since_days: Option<u32>,
    /// Only this project (its root directory, or `global`).
    pub project: Option<String>,
    /// At most this many items per list (default 50, at most 500); counts stay exact.
    pub limit: Option<u32>,
}

/// The arguments of `store_artifact` (the reference's names).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ArtifactInput {
    /// The content to store (text; at most 1 MiB).
    pub content: String,
    /// Its type (default `custom`).
    pub artifact_type: Option<String>,
    /// One line about it.
    pub summary: Option<String>,
    /// The task it belongs to.
    pub task_id: Option<String>,
    /// The tool that produced it.
    pub tool_name: Option<String>,
    /// The model that produced it.
    pub model_used: Option<String>,
    /// The model's provider.
    pub provider_used: Option<String>,
    /// Input tokens spent.
    pub tokens_input: Option<u64>,
    /// Output tokens spent.
    pub tokens_output: Option<u64>,
    /// What it cost, in US dollars (finite, at least 0).
    pub cost_usd: Option<f64>,
}

/// The arguments of `verify_artifact`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct VerifyArtifactInput {
    /// The artifact's id (16 hex characters, as `store_artifact` returned it).
    pub artifact_id: String,
}

/// The arguments of `get_cost_summary`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CostInput {
    /// Only this task's artifacts.
    pub task_id: Option<String>,
    /// Only artifacts of the last this many days (default: all).
    pub since_days: Option<u32>,
}

/// The arguments of tools that take none.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NoInput {}

/// The output schema of a verdict (`check_permission`).
fn verdict_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "decision": {"type": "string", "enum": ["allow", "deny", "ask"]},
            "decided_by": {"type": "string"},
            "risk": {"type": "object"},
            "reason": {"type": "string"},
            "explanation": {"type": "string"},
            "segments": {"type": "array"},
            "project": {"type": "string"},
            "scope": {"type": "string"},
            "pending_id": {"type": ["string", "null"]}
        },
        "required": ["decision", "decided_by", "risk", "reason"]
    })
}

/// An object output with these required properties of these JSON types.
fn object_schema(props: &[(&str, &str)]) -> Value {
    let mut properties = serde_json::Map::new();
    for (name, ty) in props {
        properties.insert((*name).to_string(), json!({"type": ty}));
    }
    let required: Vec<&str> = props.iter().map(|(n, _)| *n).collect();
    json!({"type": "object", "properties": properties, "required": required})
}

fn to_object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

/// The JSON Schema of an input type (draft 2020-12, an object, as MCP requires).
fn input<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    rmcp::handler::server::common::schema_for_input::<T>()
        .unwrap_or_else(|_| rmcp::handler::server::common::schema_for_empty_input())
}

/// One tool's definition.
fn tool(
    name: &'static str,
    description: &'static str,
    input_schema: Arc<JsonObject>,
    output: Value,
    read_only: bool,
) -> Tool {
    Tool::new(name, description, input_schema)
        .with_raw_output_schema(to_object(output))
        .with_annotations(
            ToolAnnotations::new()
                .read_only(read_only)
                .destructive(false)
                .idempotent(read_only)
                .open_world(false),
        )
}

/// Every tool, in [`TOOL_NAMES`] order.
pub fn list() -> Vec<Tool> {
    vec![
        tool(
            "check_permission",
            "Ask aiperture whether an action (a shell command, file read or write, URL, MCP tool call) is allowed, denied or needs a human; the check is recorded.",
            input::<CheckInput>(),
            verdict_schema(),
            false,
        ),
        tool(
            "request_permission",
            "Ask a human for permission for an action, with your justification; returns a pending id that only a human can approve (`aiperture approve ID` in a terminal).",
            input::<RequestInput>(),
            json!({
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["pending", "allowed", "denied"]},
                    "pending_id": {"type": ["string", "null"]},
                    "approve_with": {"type": ["string", "null"]},
                    "verdict": verdict_schema()
                },
                "required": ["status", "pending_id", "verdict"]
            }),
            false,
        ),
        tool(
            "explain_action",
            "Rate an action's risk (tier, score, factors) and explain it, without checking or recording anything.",
            input::<ExplainInput>(),
            json!({"type": "object", "properties": {"risk": {"type": "object"}}, "required": ["risk"]}),
            true,
        ),
        tool(
            "get_permission_patterns",
            "List the patterns aiperture has learned from human decisions for a project, with each one's status (auto-approve, auto-deny, learning, expired, revoked, never).",
            input::<PatternsInput>(),
            object_schema(&[("project", "string"), ("patterns", "array")]),
            true,
        ),
        tool(
            "list_auto_approved_patterns",
            "List the learned patterns the engine auto-approves right now (risk floor, expiry and revocation applied).",
            input::<PatternsInput>(),
            object_schema(&[
                ("project", "string"),
                ("patterns", "array"),
                ("count", "integer"),
            ]),
            true,
        ),
        tool(
            "get_audit_trail",
            "List the newest audit events (checks, human decisions, grants, revocations), optionally of one type or session.",
            input::<AuditInput>(),
            object_schema(&[("events", "array"), ("count", "integer")]),
            true,
        ),
        tool(
            "verify_audit_chain",
            "Verify the audit hash chain, its signed head and the learned state against it; says whether it is intact.",
            input::<NoInput>(),
            object_schema(&[("intact", "boolean"), ("alarm", "boolean")]),
            true,
        ),
        tool(
            "get_compliance_report",
            "The compliance report as JSON: checks and decisions, tool runs that were never checked, CRITICAL denials, patterns, and whether the audit chain verifies.",
            input::<ReportInput>(),
            json!({"type": "object"}),
            true,
        ),
        tool(
            "get_config",
            "Show aiperture's effective settings and where each comes from (read-only; secrets are not shown).",
            input::<NoInput>(),
            json!({"type": "object"}),
            true,
        ),
        tool(
            "store_artifact",
            "Store something you produced (text) content-addressed with SHA-256, with its tokens and cost; returns its id and hash.",
            input::<ArtifactInput>(),
            object_schema(&[("id", "string"), ("sha256", "string"), ("status", "string")]),
            false,
        ),
        tool(
            "verify_artifact",
            "Re-hash a stored artifact's content and say whether it still matches the SHA-256 recorded when it was stored.",
            input::<VerifyArtifactInput>(),
            object_schema(&[("id", "string"), ("status", "string")]),
            false,
        ),
        tool(
            "get_cost_summary",
            "Sum the tokens and cost of stored artifacts, in all and by model, provider, task, session and runtime.",
            input::<CostInput>(),
            object_schema(&[("artifacts", "integer"), ("cost_usd", "number")]),
            true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_one_line_an_object_schema_and_an_output_schema() {
        let tools = list();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, TOOL_NAMES);
        for t in &tools {
            let d = t.description.as_deref().unwrap_or("");
            assert!(!d.is_empty() && !d.contains('\n'), "{}", t.name);
            assert_eq!(
                t.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                t.name
            );
            let out = t.output_schema.as_ref().map(|s| s.get("type").cloned());
            assert_eq!(out, Some(Some(json!("object"))), "{}", t.name);
        }
    }

    #[test]
    fn input_schemas_name_their_fields() {
        let tools = list();
        let check = &tools[0];
        let props = check
            .input_schema
            .get("properties")
            .cloned()
            .unwrap_or_default();
        for f in ["tool", "action", "scope", "cwd", "session_id"] {
            assert!(props.get(f).is_some(), "check_permission lacks {f}");
        }
        let req = &tools[1];
        let props = req
            .input_schema
            .get("properties")
            .cloned()
            .unwrap_or_default();
        assert!(props.get("justification").is_some() && props.get("scope").is_some());
    }
}
