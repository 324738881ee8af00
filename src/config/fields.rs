//! The table of settings: names, environment variables, types, ranges, and the one place
//! that parses and renders each field.

use super::{Raw, Settings};
use crate::request::Decision;

/// The type and range of a setting, for validation messages and docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// An integer in `[min, max]`.
    Int {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A finite number in `[min, max]`.
    Float {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// One of the listed decisions.
    Decision(&'static [Decision]),
    /// Free text.
    Text,
    /// A comma-separated list (a TOML array in the file).
    List,
    /// `error`, `warning`, `info` or `debug`.
    LogLevel,
}

/// One setting: its config key, environment variable, type and one-line description.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SettingInfo {
    /// The key in `config.toml` and for `config set`.
    pub key: &'static str,
    /// The environment variable (`AIPERTURE_` + upper-case key).
    pub env: &'static str,
    /// Type and range.
    pub kind: Kind,
    /// What it does.
    pub help: &'static str,
}

const fn int(min: u64, max: u64) -> Kind {
    Kind::Int { min, max }
}

/// Every setting, in display order.
pub const SETTINGS: &[SettingInfo] = &[
    SettingInfo {
        key: "permission_learning_enabled",
        env: "AIPERTURE_PERMISSION_LEARNING_ENABLED",
        kind: Kind::Bool,
        help: "Learn from human approval and denial decisions",
    },
    SettingInfo {
        key: "permission_learning_min_decisions",
        env: "AIPERTURE_PERMISSION_LEARNING_MIN_DECISIONS",
        kind: int(1, 1_000_000),
        help: "Human decisions needed before a pattern auto-decides (MEDIUM risk)",
    },
    SettingInfo {
        key: "learning_min_decisions_low",
        env: "AIPERTURE_LEARNING_MIN_DECISIONS_LOW",
        kind: int(1, 1_000_000),
        help: "Human decisions needed before a pattern auto-decides a LOW-risk request",
    },
    SettingInfo {
        key: "learning_min_humans",
        env: "AIPERTURE_LEARNING_MIN_HUMANS",
        kind: int(1, 1_000),
        help: "Distinct humans who must have decided a pattern before it auto-allows (team quorum)",
    },
    SettingInfo {
        key: "auto_approve_threshold",
        env: "AIPERTURE_AUTO_APPROVE_THRESHOLD",
        kind: Kind::Float { min: 0.0, max: 1.0 },
        help: "Approval rate (0.0-1.0) at or above which a pattern auto-allows",
    },
    SettingInfo {
        key: "auto_deny_threshold",
        env: "AIPERTURE_AUTO_DENY_THRESHOLD",
        kind: Kind::Float { min: 0.0, max: 1.0 },
        help: "Approval rate (0.0-1.0) at or below which a pattern auto-denies",
    },
    SettingInfo {
        key: "default_decision",
        env: "AIPERTURE_DEFAULT_DECISION",
        kind: Kind::Decision(&[Decision::Ask, Decision::Deny]),
        help: "Answer when no rule, grant or learned pattern decides: ask or deny",
    },
    SettingInfo {
        key: "critical_decision",
        env: "AIPERTURE_CRITICAL_DECISION",
        kind: Kind::Decision(&[Decision::Deny, Decision::Ask]),
        help: "Answer for CRITICAL risk: deny or ask",
    },
    SettingInfo {
        key: "allow_project_reads",
        env: "AIPERTURE_ALLOW_PROJECT_READS",
        kind: Kind::Bool,
        help: "Allow LOW-risk file reads inside the project without asking",
    },
    SettingInfo {
        key: "auto_mode_prompts",
        env: "AIPERTURE_AUTO_MODE_PROMPTS",
        kind: Kind::Bool,
        help: "In a runtime's auto mode, ask about unlearned actions below HIGH instead of leaving them to the runtime's classifier",
    },
    SettingInfo {
        key: "allow_read_only_commands",
        env: "AIPERTURE_ALLOW_READ_ONLY_COMMANDS",
        kind: Kind::Bool,
        help: "Allow LOW-risk read-only shell commands inside the project without asking",
    },
    SettingInfo {
        key: "learning_across_projects",
        env: "AIPERTURE_LEARNING_ACROSS_PROJECTS",
        kind: Kind::Bool,
        help: "Let decisions on commands of bare words (git status, cargo test) count in the other projects the human works in",
    },
    SettingInfo {
        key: "sensitive_patterns",
        env: "AIPERTURE_SENSITIVE_PATTERNS",
        kind: Kind::List,
        help: "Globs of sensitive targets, never generalized into patterns",
    },
    SettingInfo {
        key: "pattern_max_age_days",
        env: "AIPERTURE_PATTERN_MAX_AGE_DAYS",
        kind: int(1, 36_500),
        help: "Days before a learned pattern needs fresh human decisions",
    },
    SettingInfo {
        key: "rapid_approval_window_seconds",
        env: "AIPERTURE_RAPID_APPROVAL_WINDOW_SECONDS",
        kind: int(1, 86_400),
        help: "Window (seconds) for rubber-stamping detection",
    },
    SettingInfo {
        key: "rapid_approval_min_count",
        env: "AIPERTURE_RAPID_APPROVAL_MIN_COUNT",
        kind: int(1, 1_000_000),
        help: "Approvals within the window that count as rubber-stamping",
    },
    SettingInfo {
        key: "rate_limit_per_minute",
        env: "AIPERTURE_RATE_LIMIT_PER_MINUTE",
        kind: int(0, 1_000_000),
        help: "Checks per session per minute (0 = unlimited)",
    },
    SettingInfo {
        key: "session_risk_budget",
        env: "AIPERTURE_SESSION_RISK_BUDGET",
        kind: Kind::Float {
            min: -1e9,
            max: 1e9,
        },
        help: "Cumulative risk per session before allows escalate to ask (<= 0 disables)",
    },
    SettingInfo {
        key: "budget_idle_reset_minutes",
        env: "AIPERTURE_BUDGET_IDLE_RESET_MINUTES",
        kind: int(0, 525_600),
        help: "Idle minutes after which a session's risk budget resets (0 = never)",
    },
    SettingInfo {
        key: "challenge_ttl_seconds",
        env: "AIPERTURE_CHALLENGE_TTL_SECONDS",
        kind: int(1, 86_400),
        help: "Lifetime (seconds) of an HTTP approval challenge",
    },
    SettingInfo {
        key: "project_id",
        env: "AIPERTURE_PROJECT_ID",
        kind: Kind::Text,
        help: "Explicit project id overriding detection (empty = detect)",
    },
    SettingInfo {
        key: "log_level",
        env: "AIPERTURE_LOG_LEVEL",
        kind: Kind::LogLevel,
        help: "Logging verbosity: error, warning, info or debug",
    },
    SettingInfo {
        key: "api_host",
        env: "AIPERTURE_API_HOST",
        kind: Kind::Text,
        help: "Address `aiperture serve` binds to",
    },
    SettingInfo {
        key: "api_port",
        env: "AIPERTURE_API_PORT",
        kind: int(1, 65_535),
        help: "Port `aiperture serve` binds to",
    },
    SettingInfo {
        key: "api_key",
        env: "AIPERTURE_API_KEY",
        kind: Kind::Text,
        help: "Bearer key required by `aiperture serve` (empty = none)",
    },
    SettingInfo {
        key: "artifacts_store_tool_outputs",
        env: "AIPERTURE_ARTIFACTS_STORE_TOOL_OUTPUTS",
        kind: Kind::Bool,
        help: "Store each tool's output as an artifact from the Claude Code PostToolUse hook",
    },
    SettingInfo {
        key: "artifacts_inline_max_bytes",
        env: "AIPERTURE_ARTIFACTS_INLINE_MAX_BYTES",
        kind: int(0, 64 * 1024 * 1024),
        help: "Artifacts up to this many bytes are kept in the store; larger ones as files under AIPERTURE_HOME/artifacts",
    },
    SettingInfo {
        key: "hook_warm_timeout_ms",
        env: "AIPERTURE_HOOK_WARM_TIMEOUT_MS",
        kind: int(0, 10_000),
        help: "How long `aiperture hook` waits for a running server before deciding itself (0 = off)",
    },
    SettingInfo {
        key: "sink_jsonl_path",
        env: "AIPERTURE_SINK_JSONL_PATH",
        kind: Kind::Text,
        help: "Audit sink: absolute path of a JSON Lines file to append events to (empty = off)",
    },
    SettingInfo {
        key: "sink_syslog",
        env: "AIPERTURE_SINK_SYSLOG",
        kind: Kind::Text,
        help: "Audit sink: syslog target, `default`, `unix:/path` or `udp:HOST:PORT` (empty = off)",
    },
    SettingInfo {
        key: "sink_webhook_url",
        env: "AIPERTURE_SINK_WEBHOOK_URL",
        kind: Kind::Text,
        help: "Audit sink: http:// URL to POST batches of events to (empty = off)",
    },
    SettingInfo {
        key: "sink_webhook_token",
        env: "AIPERTURE_SINK_WEBHOOK_TOKEN",
        kind: Kind::Text,
        help: "Audit sink: bearer token sent to the webhook (empty = none)",
    },
    SettingInfo {
        key: "sink_batch_size",
        env: "AIPERTURE_SINK_BATCH_SIZE",
        kind: int(1, 10_000),
        help: "Audit sinks: events per batch",
    },
    SettingInfo {
        key: "sink_timeout_ms",
        env: "AIPERTURE_SINK_TIMEOUT_MS",
        kind: int(100, 60_000),
        help: "Audit sinks: milliseconds each network step (connect, send, answer) may take",
    },
    SettingInfo {
        key: "store.url",
        env: "AIPERTURE_DB_URL",
        kind: Kind::Text,
        help: "The team store: a postgres:// URL (empty = the SQLite file at AIPERTURE_DB_PATH)",
    },
    SettingInfo {
        key: "store.pool_size",
        env: "AIPERTURE_DB_POOL_SIZE",
        kind: int(1, 64),
        help: "The team store: connections `aiperture serve` keeps (a hook keeps one)",
    },
];

/// Settings of the Python reference we dropped, with the reason given to the user.
pub const REMOVED: &[(&str, &str)] = &[
    (
        "hook_auto_allowed_tools",
        "removed: aiperture never skips its checks by tool name; use allow rules or a bootstrap preset, which still pass the risk floor",
    ),
    (
        "intelligence_enabled",
        "removed: cross-org intelligence is not part of aiperture",
    ),
    (
        "intelligence_epsilon",
        "removed: cross-org intelligence is not part of aiperture",
    ),
    (
        "intelligence_min_orgs",
        "removed: cross-org intelligence is not part of aiperture",
    ),
    (
        "db_path",
        "set the AIPERTURE_DB_PATH environment variable instead",
    ),
    (
        "db_backend",
        "removed: set store.url (or AIPERTURE_DB_URL) to a postgres:// URL for the team store",
    ),
    (
        "postgres_url",
        "renamed: set store.url (or AIPERTURE_DB_URL) to a postgres:// URL",
    ),
    ("log_file", "removed: aiperture writes no log file"),
    ("artifact_storage_dir", "removed: unused in the reference"),
    (
        "compliance_tracking_enabled",
        "removed: unused in the reference",
    ),
];

/// The setting named `key`.
pub fn find(key: &str) -> Option<&'static SettingInfo> {
    SETTINGS.iter().find(|i| i.key == key)
}

/// Why `key` is no longer a setting, if it was one in the reference.
pub fn removed(key: &str) -> Option<&'static str> {
    REMOVED.iter().find(|(k, _)| *k == key).map(|(_, why)| *why)
}

fn text_of<'a>(raw: &'a Raw<'a>, what: &str) -> Result<std::borrow::Cow<'a, str>, String> {
    match raw {
        Raw::Text(t) => Ok(std::borrow::Cow::Borrowed(t.trim())),
        Raw::Toml(toml::Value::String(s)) => Ok(std::borrow::Cow::Borrowed(s.trim())),
        Raw::Toml(toml::Value::Integer(i)) => Ok(std::borrow::Cow::Owned(i.to_string())),
        Raw::Toml(toml::Value::Float(f)) => Ok(std::borrow::Cow::Owned(f.to_string())),
        Raw::Toml(v) => Err(format!("expected {what}, got a TOML {}", v.type_str())),
    }
}

fn parse_bool(raw: Raw) -> Result<bool, String> {
    if let Raw::Toml(toml::Value::Boolean(b)) = raw {
        return Ok(*b);
    }
    let t = text_of(&raw, "a boolean")?.to_ascii_lowercase();
    match t.as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "expected a boolean (true/false, yes/no, on/off, 1/0), got `{t}`"
        )),
    }
}

fn parse_int(raw: Raw, min: u64, max: u64) -> Result<u64, String> {
    let t = text_of(&raw, "an integer")?;
    let n: i128 = t
        .parse()
        .map_err(|_| format!("expected an integer, got `{t}`"))?;
    if n < i128::from(min) || n > i128::from(max) {
        return Err(format!("must be between {min} and {max}, got {n}"));
    }
    u64::try_from(n).map_err(|_| format!("out of range: {n}"))
}

fn parse_float(raw: Raw, min: f64, max: f64) -> Result<f64, String> {
    let t = text_of(&raw, "a number")?;
    let f: f64 = t
        .parse()
        .map_err(|_| format!("expected a number, got `{t}`"))?;
    if !f.is_finite() || f < min || f > max {
        return Err(format!("must be a number between {min} and {max}, got {t}"));
    }
    Ok(f)
}

fn parse_decision(raw: Raw, allowed: &[Decision]) -> Result<Decision, String> {
    let t = text_of(&raw, "a decision")?.to_ascii_lowercase();
    let names: Vec<&str> = allowed.iter().map(|d| d.as_str()).collect();
    Decision::parse(&t)
        .filter(|d| allowed.contains(d))
        .ok_or_else(|| format!("must be one of {}, got `{t}`", names.join(", ")))
}

fn parse_text(raw: Raw) -> Result<String, String> {
    Ok(text_of(&raw, "a string")?.into_owned())
}

fn parse_list(raw: Raw) -> Result<Vec<String>, String> {
    let split = |s: &str| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    match raw {
        Raw::Text(t) => Ok(split(t)),
        Raw::Toml(toml::Value::String(s)) => Ok(split(s)),
        Raw::Toml(toml::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| format!("expected a list of strings, found a {}", v.type_str()))
            })
            .collect(),
        Raw::Toml(v) => Err(format!(
            "expected a list of strings, got a TOML {}",
            v.type_str()
        )),
    }
}

fn parse_log_level(raw: Raw) -> Result<String, String> {
    let t = text_of(&raw, "a log level")?.to_ascii_lowercase();
    match t.as_str() {
        "error" | "warning" | "info" | "debug" => Ok(t),
        "warn" => Ok("warning".into()),
        _ => Err(format!(
            "must be one of error, warning, info, debug, got `{t}`"
        )),
    }
}

fn parse_host(raw: Raw) -> Result<String, String> {
    let t = parse_text(raw)?;
    if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("expected a host name or IP address, got `{t}`"));
    }
    Ok(t)
}

/// An absolute path, or empty (off).
fn parse_abs_path(raw: Raw) -> Result<String, String> {
    let t = parse_text(raw)?;
    if !t.is_empty() && !t.starts_with('/') {
        return Err(format!("expected an absolute path (or empty), got `{t}`"));
    }
    Ok(t)
}

/// A syslog target (`default`, `unix:/path`, `udp:HOST:PORT`), or empty (off).
fn parse_syslog(raw: Raw) -> Result<String, String> {
    let t = parse_text(raw)?;
    if !t.is_empty() {
        crate::audit::forward::Target::syslog(&t)?;
    }
    Ok(t)
}

/// An `http://` URL, or empty (off).
fn parse_webhook(raw: Raw) -> Result<String, String> {
    let t = parse_text(raw)?;
    if !t.is_empty() {
        crate::audit::forward::Target::webhook(&t, "")?;
    }
    Ok(t)
}

fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses `raw` for `info` and stores it in `s`; the message says what was expected.
pub fn apply(s: &mut Settings, info: &SettingInfo, raw: Raw) -> Result<(), String> {
    let (lo, hi) = match info.kind {
        Kind::Int { min, max } => (min, max),
        _ => (0, 0),
    };
    let (flo, fhi) = match info.kind {
        Kind::Float { min, max } => (min, max),
        _ => (0.0, 0.0),
    };
    let allowed: &[Decision] = match info.kind {
        Kind::Decision(a) => a,
        _ => &[],
    };
    match info.key {
        "permission_learning_enabled" => s.permission_learning_enabled = parse_bool(raw)?,
        "permission_learning_min_decisions" => {
            s.permission_learning_min_decisions = small(parse_int(raw, lo, hi)?)
        }
        "learning_min_decisions_low" => {
            s.learning_min_decisions_low = small(parse_int(raw, lo, hi)?)
        }
        "learning_min_humans" => s.learning_min_humans = small(parse_int(raw, lo, hi)?),
        "auto_approve_threshold" => s.auto_approve_threshold = parse_float(raw, flo, fhi)?,
        "auto_deny_threshold" => s.auto_deny_threshold = parse_float(raw, flo, fhi)?,
        "default_decision" => s.default_decision = parse_decision(raw, allowed)?,
        "critical_decision" => s.critical_decision = parse_decision(raw, allowed)?,
        "allow_project_reads" => s.allow_project_reads = parse_bool(raw)?,
        "auto_mode_prompts" => s.auto_mode_prompts = parse_bool(raw)?,
        "allow_read_only_commands" => s.allow_read_only_commands = parse_bool(raw)?,
        "learning_across_projects" => s.learning_across_projects = parse_bool(raw)?,
        "sensitive_patterns" => s.sensitive_patterns = parse_list(raw)?,
        "pattern_max_age_days" => s.pattern_max_age_days = small(parse_int(raw, lo, hi)?),
        "rapid_approval_window_seconds" => {
            s.rapid_approval_window_seconds = small(parse_int(raw, lo, hi)?)
        }
        "rapid_approval_min_count" => s.rapid_approval_min_count = small(parse_int(raw, lo, hi)?),
        "rate_limit_per_minute" => s.rate_limit_per_minute = small(parse_int(raw, lo, hi)?),
        "session_risk_budget" => s.session_risk_budget = parse_float(raw, flo, fhi)?,
        "budget_idle_reset_minutes" => s.budget_idle_reset_minutes = small(parse_int(raw, lo, hi)?),
        "challenge_ttl_seconds" => s.challenge_ttl_seconds = small(parse_int(raw, lo, hi)?),
        "project_id" => s.project_id = parse_text(raw)?,
        "log_level" => s.log_level = parse_log_level(raw)?,
        "api_host" => s.api_host = parse_host(raw)?,
        "api_port" => s.api_port = u16::try_from(parse_int(raw, lo, hi)?).unwrap_or(8100),
        "api_key" => s.api_key = parse_text(raw)?,
        "artifacts_store_tool_outputs" => s.artifacts_store_tool_outputs = parse_bool(raw)?,
        "artifacts_inline_max_bytes" => s.artifacts_inline_max_bytes = parse_int(raw, lo, hi)?,
        "hook_warm_timeout_ms" => s.hook_warm_timeout_ms = small(parse_int(raw, lo, hi)?),
        "sink_jsonl_path" => s.sink_jsonl_path = parse_abs_path(raw)?,
        "sink_syslog" => s.sink_syslog = parse_syslog(raw)?,
        "sink_webhook_url" => s.sink_webhook_url = parse_webhook(raw)?,
        "sink_webhook_token" => s.sink_webhook_token = parse_text(raw)?,
        "sink_batch_size" => s.sink_batch_size = small(parse_int(raw, lo, hi)?),
        "sink_timeout_ms" => s.sink_timeout_ms = small(parse_int(raw, lo, hi)?),
        "store.url" => s.store_url = parse_text(raw)?,
        "store.pool_size" => s.store_pool_size = small(parse_int(raw, lo, hi)?),
        other => return Err(format!("unknown setting `{other}`")),
    }
    Ok(())
}

/// The value of `key` in `s` as it is written to the config file.
pub fn to_toml(s: &Settings, key: &str) -> Option<toml::Value> {
    use toml::Value as V;
    Some(match key {
        "permission_learning_enabled" => V::Boolean(s.permission_learning_enabled),
        "permission_learning_min_decisions" => {
            V::Integer(s.permission_learning_min_decisions.into())
        }
        "learning_min_decisions_low" => V::Integer(s.learning_min_decisions_low.into()),
        "learning_min_humans" => V::Integer(s.learning_min_humans.into()),
        "auto_approve_threshold" => V::Float(s.auto_approve_threshold),
        "auto_deny_threshold" => V::Float(s.auto_deny_threshold),
        "default_decision" => V::String(s.default_decision.as_str().into()),
        "critical_decision" => V::String(s.critical_decision.as_str().into()),
        "allow_project_reads" => V::Boolean(s.allow_project_reads),
        "auto_mode_prompts" => V::Boolean(s.auto_mode_prompts),
        "allow_read_only_commands" => V::Boolean(s.allow_read_only_commands),
        "learning_across_projects" => V::Boolean(s.learning_across_projects),
        "sensitive_patterns" => V::Array(
            s.sensitive_patterns
                .iter()
                .cloned()
                .map(V::String)
                .collect(),
        ),
        "pattern_max_age_days" => V::Integer(s.pattern_max_age_days.into()),
        "rapid_approval_window_seconds" => V::Integer(s.rapid_approval_window_seconds.into()),
        "rapid_approval_min_count" => V::Integer(s.rapid_approval_min_count.into()),
        "rate_limit_per_minute" => V::Integer(s.rate_limit_per_minute.into()),
        "session_risk_budget" => V::Float(s.session_risk_budget),
        "budget_idle_reset_minutes" => V::Integer(s.budget_idle_reset_minutes.into()),
        "challenge_ttl_seconds" => V::Integer(s.challenge_ttl_seconds.into()),
        "project_id" => V::String(s.project_id.clone()),
        "log_level" => V::String(s.log_level.clone()),
        "api_host" => V::String(s.api_host.clone()),
        "api_port" => V::Integer(s.api_port.into()),
        "api_key" => V::String(s.api_key.clone()),
        "artifacts_store_tool_outputs" => V::Boolean(s.artifacts_store_tool_outputs),
        "artifacts_inline_max_bytes" => {
            V::Integer(s.artifacts_inline_max_bytes.min(i64::MAX as u64) as i64)
        }
        "hook_warm_timeout_ms" => V::Integer(s.hook_warm_timeout_ms.into()),
        "sink_jsonl_path" => V::String(s.sink_jsonl_path.clone()),
        "sink_syslog" => V::String(s.sink_syslog.clone()),
        "sink_webhook_url" => V::String(s.sink_webhook_url.clone()),
        "sink_webhook_token" => V::String(s.sink_webhook_token.clone()),
        "sink_batch_size" => V::Integer(s.sink_batch_size.into()),
        "sink_timeout_ms" => V::Integer(s.sink_timeout_ms.into()),
        "store.url" => V::String(s.store_url.clone()),
        "store.pool_size" => V::Integer(s.store_pool_size.into()),
        _ => return None,
    })
}
