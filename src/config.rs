//! Settings: environment (`AIPERTURE_*`) over the user config file over defaults.
//!
//! The only file read is the user's `AIPERTURE_HOME/config.toml`; nothing is ever read from
//! the current directory or the project (an agent can write files there, so a project file
//! must never loosen the user's settings). Every setting is described once in [`SETTINGS`];
//! values are validated the same way whether they come from the environment, the file or
//! `config set`, and the thresholds are checked on the merged result.

mod fields;

pub use fields::{Kind, SETTINGS, SettingInfo};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;

use crate::paths::Paths;
use crate::paths::io_problem;
use crate::request::Decision;

/// The effective settings. `Default` gives the documented defaults (docs/configuration.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Learn from human decisions.
    pub permission_learning_enabled: bool,
    /// Human decisions needed before a pattern may auto-decide (≥ 1).
    pub permission_learning_min_decisions: u32,
    /// Human decisions needed for a LOW-risk request (at most
    /// `permission_learning_min_decisions`, which applies to MEDIUM).
    pub learning_min_decisions_low: u32,
    /// Distinct humans who must have decided a pattern before it auto-allows (1: solo).
    pub learning_min_humans: u32,
    /// Approval rate at or above which a pattern auto-allows.
    pub auto_approve_threshold: f64,
    /// Approval rate at or below which a pattern auto-denies.
    pub auto_deny_threshold: f64,
    /// The answer when nothing else decides: ask or deny.
    pub default_decision: Decision,
    /// The answer for CRITICAL risk: deny or ask.
    pub critical_decision: Decision,
    /// Allow LOW-risk file reads inside the project without asking (the runtimes' own
    /// default for reads); secrets and anything outside the project are never covered.
    pub allow_project_reads: bool,
    /// In a runtime's auto mode, ask about unlearned actions below HIGH (default: leave them
    /// to the runtime's classifier).
    pub auto_mode_prompts: bool,
    /// Allow LOW-risk read-only shell commands inside the project without asking (each
    /// simple command on its own; anything naming a path outside the project is asked).
    pub allow_read_only_commands: bool,
    /// Let decisions on commands made only of bare words (`git status`, `cargo test`) count in
    /// the other projects the human has decided in.
    pub learning_across_projects: bool,
    /// Globs of sensitive targets that are never generalized into patterns.
    pub sensitive_patterns: Vec<String>,
    /// Days after which a learned pattern needs a fresh human decision.
    pub pattern_max_age_days: u32,
    /// Window in which many approvals count as rubber-stamping.
    pub rapid_approval_window_seconds: u32,
    /// Approvals within the window that count as rubber-stamping.
    pub rapid_approval_min_count: u32,
    /// Checks per session per minute; 0 = unlimited.
    pub rate_limit_per_minute: u32,
    /// Cumulative risk a session may spend before allows escalate to ask; ≤ 0 disables.
    pub session_risk_budget: f64,
    /// Minutes of inactivity after which a session's risk budget resets; 0 = never.
    pub budget_idle_reset_minutes: u32,
    /// Lifetime of an HTTP approval challenge.
    pub challenge_ttl_seconds: u32,
    /// Explicit project id, overriding detection; empty = detect.
    pub project_id: String,
    /// `error`, `warning`, `info` or `debug`.
    pub log_level: String,
    /// Address `aiperture serve` binds to.
    pub api_host: String,
    /// Port `aiperture serve` binds to.
    pub api_port: u16,
    /// Bearer key for `aiperture serve`; empty = the generated `api_key` file in the home.
    pub api_key: String,
    /// Store each tool's output as an artifact from the Claude Code PostToolUse hook.
    pub artifacts_store_tool_outputs: bool,
    /// Artifacts up to this many bytes are kept in the store; larger ones as files.
    pub artifacts_inline_max_bytes: u64,
    /// How long `aiperture hook` waits for a running server's answer before deciding
    /// in-process, in milliseconds; 0 = never ask a server.
    pub hook_warm_timeout_ms: u32,
    /// Audit sink: absolute path of a JSON Lines file events are appended to; empty = off.
    pub sink_jsonl_path: String,
    /// Audit sink: syslog target (`default`, `unix:/path`, `udp:HOST:PORT`); empty = off.
    pub sink_syslog: String,
    /// Audit sink: `http://` URL events are POSTed to in batches; empty = off.
    pub sink_webhook_url: String,
    /// Audit sink: bearer token for the webhook; empty = none.
    pub sink_webhook_token: String,
    /// Audit sinks: events per batch.
    pub sink_batch_size: u32,
    /// Audit sinks: milliseconds each network step may take.
    pub sink_timeout_ms: u32,
    /// The team store's `postgres://` URL (`store.url`, `AIPERTURE_DB_URL`); empty = SQLite.
    pub store_url: String,
    /// Connections `aiperture serve` keeps to the team store (`store.pool_size`,
    /// `AIPERTURE_DB_POOL_SIZE`).
    pub store_pool_size: u32,
}

/// The reference's default sensitive patterns.
pub const DEFAULT_SENSITIVE_PATTERNS: &[&str] = &[
    "*secret*",
    "*credential*",
    "*password*",
    "*.env",
    "*.pem",
    "*.key",
    "*token*",
    ".env*",
    "*id_rsa*",
    "*private*",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            permission_learning_enabled: true,
            permission_learning_min_decisions: 10,
            learning_min_decisions_low: 3,
            learning_min_humans: 1,
            auto_approve_threshold: 0.95,
            auto_deny_threshold: 0.05,
            default_decision: Decision::Ask,
            critical_decision: Decision::Deny,
            allow_project_reads: true,
            auto_mode_prompts: false,
            allow_read_only_commands: true,
            learning_across_projects: true,
            sensitive_patterns: DEFAULT_SENSITIVE_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            pattern_max_age_days: 90,
            rapid_approval_window_seconds: 60,
            rapid_approval_min_count: 5,
            rate_limit_per_minute: 200,
            session_risk_budget: 50.0,
            budget_idle_reset_minutes: 30,
            challenge_ttl_seconds: 300,
            project_id: String::new(),
            log_level: "warning".into(),
            api_host: "127.0.0.1".into(),
            api_port: 8100,
            api_key: String::new(),
            artifacts_store_tool_outputs: false,
            artifacts_inline_max_bytes: 64 * 1024,
            hook_warm_timeout_ms: 200,
            sink_jsonl_path: String::new(),
            sink_syslog: String::new(),
            sink_webhook_url: String::new(),
            sink_webhook_token: String::new(),
            sink_batch_size: 100,
            sink_timeout_ms: 3000,
            store_url: String::new(),
            store_pool_size: 8,
        }
    }
}

/// Where a setting's effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The built-in default.
    Default,
    /// The user config file.
    File,
    /// An `AIPERTURE_*` environment variable.
    Env,
}

impl Source {
    /// `default`, `file` or `env`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "file",
            Source::Env => "env",
        }
    }
}

/// Settings with the source of each value, keyed by setting name.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The effective settings.
    pub settings: Settings,
    /// The source of every setting in [`SETTINGS`].
    pub sources: BTreeMap<&'static str, Source>,
}

/// A raw value before validation: text (environment, command line) or a TOML value (file).
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    /// From the environment or the command line.
    Text(&'a str),
    /// From the config file.
    Toml(&'a toml::Value),
}

impl Settings {
    /// Loads the effective settings: environment > `paths.config` > defaults.
    pub fn load(paths: &Paths) -> anyhow::Result<Settings> {
        Ok(Self::load_with_sources(paths)?.settings)
    }

    /// Like [`Settings::load`], also saying where each value came from.
    pub fn load_with_sources(paths: &Paths) -> anyhow::Result<Loaded> {
        let file = read_file(paths)?;
        resolve(file.as_ref(), &|name| std::env::var(name).ok(), paths)
    }

    /// The value of setting `key` as display text (`api_key` masked); `None` if unknown.
    pub fn display(&self, key: &str) -> Option<String> {
        let v = fields::to_toml(self, key)?;
        Some(match (key, &v) {
            ("api_key" | "sink_webhook_token", toml::Value::String(s)) if !s.is_empty() => {
                "(set)".into()
            }
            ("api_key", toml::Value::String(s)) if !s.is_empty() => "(set)".into(),
            ("store.url", toml::Value::String(s)) => mask_password(s),
            (_, toml::Value::String(s)) if s.is_empty() => "\"\"".into(),
            (_, toml::Value::String(s)) => s.clone(),
            (_, toml::Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join(","),
            _ => v.to_string(),
        })
    }

    /// The value of setting `key` as JSON (`api_key` masked); `None` if unknown.
    pub fn json(&self, key: &str) -> Option<serde_json::Value> {
        if key == "api_key" {
            return Some(serde_json::Value::Bool(!self.api_key.is_empty()));
        }
        if key == "sink_webhook_token" {
            return Some(serde_json::Value::Bool(!self.sink_webhook_token.is_empty()));
        }
        let v = fields::to_toml(self, key)?;
        serde_json::to_value(v).ok()
    }

    /// Checks the rules that involve several settings.
    pub fn validate(&self) -> Result<(), String> {
        let (d, a) = (self.auto_deny_threshold, self.auto_approve_threshold);
        if !(0.0 <= d && d < a && a <= 1.0) {
            return Err(format!(
                "thresholds must satisfy 0.0 <= auto_deny_threshold ({d}) < \
                 auto_approve_threshold ({a}) <= 1.0"
            ));
        }
        Ok(())
    }
}

/// A URL with the password of its user-info replaced by `***`, for display.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// Reads and parses the user config file; `None` when it does not exist.
fn read_file(paths: &Paths) -> anyhow::Result<Option<toml::Table>> {
    let shown = paths.config.display();
    let text = match std::fs::read_to_string(&paths.config) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("config {shown}: cannot read: {}", io_problem(&e)),
    };
    parse_file(&text)
        .map(Some)
        .map_err(|e| anyhow!("config {shown}: {e}"))
}

/// Parses config file text; errors carry the line number and the problem, on one line.
fn parse_file(text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let msg = e.message().replace('\n', " ");
        match line {
            Some(l) => format!("line {l}: {msg}"),
            None => msg,
        }
    })
}

/// Merges defaults, the file and the environment (through `env`), validating everything.
fn resolve(
    file: Option<&toml::Table>,
    env: &dyn Fn(&str) -> Option<String>,
    paths: &Paths,
) -> anyhow::Result<Loaded> {
    let loaded = merge(file, env, paths)?;
    loaded.settings.validate().map_err(|e| {
        anyhow!(
            "settings (config {} and environment): {e}",
            paths.config.display()
        )
    })?;
    Ok(loaded)
}

/// Merges defaults, the file and the environment, validating each value on its own.
fn merge(
    file: Option<&toml::Table>,
    env: &dyn Fn(&str) -> Option<String>,
    paths: &Paths,
) -> anyhow::Result<Loaded> {
    let mut s = Settings::default();
    let mut sources: BTreeMap<&'static str, Source> =
        SETTINGS.iter().map(|i| (i.key, Source::Default)).collect();
    if let Some(table) = file {
        // `[store] url = …` is the setting `store.url`.
        let flat = table.iter().flat_map(|(k, v)| match v {
            toml::Value::Table(t) => t
                .iter()
                .map(|(sub, v)| (format!("{k}.{sub}"), v))
                .collect::<Vec<_>>(),
            _ => vec![(k.clone(), v)],
        });
        for (k, v) in flat {
            let k = k.as_str();
            let info = fields::find(k).ok_or_else(|| {
                anyhow!(
                    "config {}: unknown setting `{k}`{}",
                    paths.config.display(),
                    suggestion(k)
                )
            })?;
            fields::apply(&mut s, info, Raw::Toml(v))
                .map_err(|e| anyhow!("config {}: {}: {e}", paths.config.display(), info.key))?;
            sources.insert(info.key, Source::File);
        }
    }
    for info in SETTINGS {
        if let Some(v) = env(info.env) {
            fields::apply(&mut s, info, Raw::Text(&v))
                .map_err(|e| anyhow!("environment {}: {e}", info.env))?;
            sources.insert(info.key, Source::Env);
        }
    }
    Ok(Loaded {
        settings: s,
        sources,
    })
}

/// What `config set` changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The setting.
    pub key: &'static str,
    /// The effective value before (display form).
    pub old: String,
    /// The value written (display form).
    pub new: String,
    /// Set when an environment variable overrides the file for this key.
    pub overridden_by_env: Option<&'static str>,
}

/// Parses `value` for setting `key` as `config set` would, without writing anything: the
/// value as the file would hold it, or what was expected (for `aiperture configure`).
pub fn parse_value(key: &str, value: &str) -> Result<toml::Value, String> {
    let info = fields::find(key).ok_or_else(|| unknown_setting(key))?;
    let mut s = Settings::default();
    fields::apply(&mut s, info, Raw::Text(value))?;
    fields::to_toml(&s, key).ok_or_else(|| unknown_setting(key))
}

/// Sets `key` to `value` in the user config file: validated (known key, type, range,
/// thresholds against the merged values), written atomically under a lock (temp + fsync + rename,
/// 0600 or the file's mode), other keys preserved. Auditing is the caller's job ([`change_event`]).
pub fn set(paths: &Paths, key: &str, value: &str) -> anyhow::Result<Change> {
    let info =
        fields::find(key).ok_or_else(|| anyhow!("unknown setting `{key}`{}", suggestion(key)))?;
    // Read-modify-write under an exclusive lock: two `config set` at once both land.
    ensure_home(paths)?;
    let _lock = crate::atomic::lock(&paths.config).map_err(|e| {
        anyhow!(
            "config {}: cannot lock: {}",
            paths.config.display(),
            io_problem(&e)
        )
    })?;
    let mut table = read_file(paths)?.unwrap_or_default();
    let before = resolve(Some(&table), &|n| std::env::var(n).ok(), paths)?;
    let mut probe = before.settings.clone();
    fields::apply(&mut probe, info, Raw::Text(value)).map_err(|e| anyhow!("{key}: {e}"))?;
    let new_value =
        fields::to_toml(&probe, info.key).ok_or_else(|| anyhow!("{key}: cannot be written"))?;
    table.insert(info.key.to_string(), new_value);
    // Validate the file merged with the environment, as the next load will see it, and the
    // file alone, so unsetting an environment variable never makes the file invalid.
    let with_env = |n: &str| std::env::var(n).ok();
    let without_env = |_: &str| None;
    for env in [&with_env as &dyn Fn(&str) -> Option<String>, &without_env] {
        merge(Some(&table), env, paths)?
            .settings
            .validate()
            .map_err(|e| anyhow!("{key} = {value} refused: {e}"))?;
    }
    write_atomic(paths, &table)?;
    let old = before.settings.display(info.key).unwrap_or_default();
    let new = probe.display(info.key).unwrap_or_default();
    Ok(Change {
        key: info.key,
        old,
        new,
        overridden_by_env: std::env::var_os(info.env).map(|_| info.env),
    })
}

/// Removes `key` from the user config file, so its default (or its environment variable)
/// applies again: under the same lock and atomic write as [`set`], and refused when the file
/// without it would be invalid (the thresholds against each other). `Ok(None)` when the file
/// does not set `key`: nothing is written. The value before may be one the file holds but
/// cannot be loaded with (then shown as written), so `unset` can repair a bad entry.
pub fn unset(paths: &Paths, key: &str) -> anyhow::Result<Option<Change>> {
    let info = fields::find(key).ok_or_else(|| anyhow!("{}", unknown_setting(key)))?;
    if !paths.config.exists() {
        return Ok(None);
    }
    let _lock = crate::atomic::lock(&paths.config).map_err(|e| {
        anyhow!(
            "config {}: cannot lock: {}",
            paths.config.display(),
            io_problem(&e)
        )
    })?;
    let mut table = read_file(paths)?.unwrap_or_default();
    let with_env = |n: &str| std::env::var(n).ok();
    let old = match resolve(Some(&table), &with_env, paths) {
        Ok(before) => before.settings.display(info.key).unwrap_or_default(),
        Err(_) => table
            .get(info.key)
            .map(|v| v.to_string())
            .unwrap_or_default(),
    };
    if table.remove(info.key).is_none() {
        return Ok(None);
    }
    let without_env = |_: &str| None;
    for env in [&with_env as &dyn Fn(&str) -> Option<String>, &without_env] {
        merge(Some(&table), env, paths)?
            .settings
            .validate()
            .map_err(|e| anyhow!("unset {key} refused: {e}"))?;
    }
    let after = resolve(Some(&table), &with_env, paths)?;
    write_atomic(paths, &table)?;
    Ok(Some(Change {
        key: info.key,
        old,
        new: after.settings.display(info.key).unwrap_or_default(),
        overridden_by_env: std::env::var_os(info.env).map(|_| info.env),
    }))
}

/// The refusal for a name that is not a setting: `unknown setting `x``, then a did-you-mean,
/// the reason it was removed, or the list of valid settings.
pub fn unknown_setting(key: &str) -> String {
    format!("unknown setting `{key}`{}", suggestion(key))
}

/// The audit event for a config change (`config.changed`, with old and new values).
pub fn change_event(change: &Change, actor: &str) -> crate::audit::NewEvent {
    let mut ev = crate::audit::NewEvent::new("config.changed", crate::audit::ActorType::Human);
    ev.actor = actor.to_string();
    ev.runtime = "cli".into();
    ev.entity = change.key.to_string();
    ev.summary = format!("Set {} from {} to {}", change.key, change.old, change.new);
    ev.details = serde_json::json!({ "key": change.key, "old": change.old, "new": change.new });
    ev
}

/// Creates aiperture's home directory (0700) when it is missing.
fn ensure_home(paths: &Paths) -> anyhow::Result<()> {
    let home = &paths.home;
    if !home.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(home)
            .map_err(|e| anyhow!("home {}: cannot create: {}", home.display(), io_problem(&e)))?;
    }
    Ok(())
}

/// Writes the config file atomically and durably ([`crate::atomic::replace`]): through a
/// link to its target, keeping its mode (0600 for a new file).
fn write_atomic(paths: &Paths, table: &toml::Table) -> anyhow::Result<()> {
    let text = toml::to_string(table).context("cannot serialize the config")?;
    let body = format!("# aiperture user settings; see docs/configuration.md\n{text}");
    crate::atomic::replace(&paths.config, body.as_bytes(), 0o600).map_err(|e| {
        anyhow!(
            "config {}: cannot write: {}",
            paths.config.display(),
            io_problem(&e)
        )
    })
}

/// ` (did you mean `x`?)` or the list of valid keys.
fn suggestion(key: &str) -> String {
    if let Some(why) = fields::removed(key) {
        return format!(" ({why})");
    }
    let best = SETTINGS
        .iter()
        .map(|i| (edit_distance(key, i.key), i.key))
        .min();
    match best {
        Some((d, k)) if d <= 3 || k.contains(key) => format!(" (did you mean `{k}`?)"),
        _ => {
            let all: Vec<&str> = SETTINGS.iter().map(|i| i.key).collect();
            format!("; valid settings: {}", all.join(", "))
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests;
