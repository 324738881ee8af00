//! The JSON views of aiperture's data: one typed, serializable struct and one function per
//! view, shared by every interface that prints JSON — the CLI's `--json` outputs, the HTTP
//! routes (docs/http.md) and the MCP server. The field names are a contract (docs/cli.md,
//! docs/http.md): add fields, never rename or remove one.
//!
//! Interfaces print a view through [`to_json`], which turns it into a [`serde_json::Value`]
//! first, so a view prints with the same bytes wherever it is shown.

pub mod audit;
pub mod config;
pub mod permissions;

pub use audit::{audit_event, verify_report};
pub use config::{ConfigGetView, ConfigShowView, SettingView, config_get, config_show};
pub use permissions::{
    ExplainView, GrantView, PatternView, PendingView, SegmentView, VerdictView, explain,
    explain_unreadable, grant, pattern, pending, verdict,
};

/// A view as a JSON value, the form every interface prints (objects print their keys in
/// `serde_json`'s map order). A view that cannot be serialized (none can fail today) prints
/// as `null` rather than panicking.
pub fn to_json<T: serde::Serialize>(view: &T) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// Several views as one JSON array.
pub fn to_json_array<T: serde::Serialize>(views: &[T]) -> serde_json::Value {
    serde_json::Value::Array(views.iter().map(to_json).collect())
}
