//! `aiperture config show|get|set|unset|path`. A name that is not a setting is a usage error
//! (exit 64) for `get`, `set` and `unset` alike, with a did-you-mean and the valid names.

use crate::cli::ExitCode;
use aiperture::audit;
use aiperture::clock::{Clock, SystemClock};
use aiperture::config::{self, SETTINGS, Settings};
use aiperture::engine::state::AuditNote;
use aiperture::engine::store::Store;
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::{AnyStore, Location};
use clap::{Args, Subcommand};

/// Arguments of `aiperture config`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Show the effective settings and where each comes from.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print only the API key `aiperture serve` requires (on a terminal only; refused
        /// when stdout is a pipe or a file, so it does not end up in logs).
        #[arg(long, conflicts_with = "json")]
        api_key: bool,
    },
    /// Print one setting's effective value (lists comma-separated, as `set` takes them).
    Get {
        /// The setting's name, e.g. `rate_limit_per_minute`.
        key: String,
        /// Print JSON: key, value, source (default, file, env) and environment variable.
        #[arg(long)]
        json: bool,
    },
    /// Change a setting in the user config file (validated; audited).
    Set {
        /// The setting's name, e.g. `rate_limit_per_minute`.
        key: String,
        /// The new value (lists are comma-separated).
        value: String,
    },
    /// Remove a setting from the user config file, so its default applies (audited).
    Unset {
        /// The setting's name, e.g. `rate_limit_per_minute`.
        key: String,
    },
    /// Print the config file's path.
    Path,
}

/// Runs `aiperture config`.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let key = match &args.command {
        ConfigCommand::Get { key, .. }
        | ConfigCommand::Set { key, .. }
        | ConfigCommand::Unset { key } => Some(key.as_str()),
        ConfigCommand::Show { .. } | ConfigCommand::Path => None,
    };
    if let Some(key) = key
        && config::SETTINGS.iter().all(|i| i.key != key)
    {
        return Ok(unknown_key(key));
    }
    let paths = Paths::from_env()?;
    match args.command {
        ConfigCommand::Show { api_key: true, .. } => show_api_key(&paths),
        ConfigCommand::Show { json, .. } => show(&paths, json),
        ConfigCommand::Get { key, json } => get(&paths, &key, json),
        ConfigCommand::Set { key, value } => set(&paths, &key, &value),
        ConfigCommand::Unset { key } => unset(&paths, &key),
        ConfigCommand::Path => {
            println!("{}", paths.config.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Refuses a name that is not a setting: one line on stderr, exit 64 (a usage error), always
/// with the valid names.
fn unknown_key(key: &str) -> ExitCode {
    let mut msg = config::unknown_setting(key);
    if !msg.contains("valid settings") {
        let all: Vec<&str> = SETTINGS.iter().map(|i| i.key).collect();
        msg.push_str(&format!("; valid settings: {}", all.join(", ")));
    }
    eprintln!("aiperture: {msg}");
    ExitCode(crate::cli::EX_USAGE)
}

/// The effective value of `key` as `get` prints it: what `set` takes back (lists
/// comma-separated, text as is, empty text as an empty line; `api_key` only as `(set)`).
fn value_text(s: &Settings, key: &str) -> String {
    match s.json(key) {
        _ if key == "api_key" || key == "sink_webhook_token" => s.display(key).unwrap_or_default(),
        Some(serde_json::Value::String(t)) => t,
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

fn get(paths: &Paths, key: &str, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = Settings::load_with_sources(paths)?;
    if json {
        let out = aiperture::views::to_json(&aiperture::views::config_get(&loaded, key));
        println!("{out}");
    } else {
        println!("{}", value_text(&loaded.settings, key));
    }
    Ok(ExitCode::SUCCESS)
}

/// The name of the file `aiperture serve` generates its API key in, in the home.
const API_KEY_FILE: &str = aiperture::warm::API_KEY_FILE;

/// `config show --api-key`: the key `aiperture serve` requires (the `api_key` setting, else
/// the generated file), printed only when stdout is a terminal; exit 1 with the reason when
/// it is not, or when there is no key yet.
fn show_api_key(paths: &Paths) -> anyhow::Result<ExitCode> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!(
            "aiperture: refusing to print the API key: standard output is not a terminal (a \
             pipe or a file would keep it); run it in a terminal, or read {} directly",
            paths.home.join(API_KEY_FILE).display()
        );
        return Ok(ExitCode(1));
    }
    let settings = Settings::load(paths)?;
    let set = settings.api_key.trim();
    let key = if set.is_empty() {
        let file = paths.home.join(API_KEY_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) if !text.trim().is_empty() => text.trim().to_string(),
            Ok(_) => anyhow::bail!("{}: is empty", file.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "aiperture: no API key yet: `aiperture serve` creates {} on its first \
                     start (or set AIPERTURE_API_KEY)",
                    file.display()
                );
                return Ok(ExitCode(1));
            }
            Err(e) => anyhow::bail!("{}: cannot read: {e}", file.display()),
        }
    } else {
        set.to_string()
    };
    println!("{key}");
    Ok(ExitCode::SUCCESS)
}

fn show(paths: &Paths, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = Settings::load_with_sources(paths)?;
    let s = &loaded.settings;
    let source = |k: &str| {
        loaded
            .sources
            .get(k)
            .copied()
            .unwrap_or(config::Source::Default)
    };
    if json {
        let out = aiperture::views::to_json(&aiperture::views::config_show(&loaded, &paths.config));
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("# config file: {}", paths.config.display());
    let width = SETTINGS.iter().map(|i| i.key.len()).max().unwrap_or(0);
    for info in SETTINGS {
        let src = match source(info.key) {
            config::Source::Env => format!("env {}", info.env),
            other => other.as_str().to_string(),
        };
        println!(
            "{:width$} = {}  ({src})",
            info.key,
            s.display(info.key).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn set(paths: &Paths, key: &str, value: &str) -> anyhow::Result<ExitCode> {
    let shown = if key.contains("key") || key.contains("token") {
        "(hidden)"
    } else {
        value
    };
    super::human::require(paths, &format!("set {key} = {shown}"))?;
    let change = config::set(paths, key, value)?;
    println!(
        "{} = {} (was {}) in {}",
        change.key,
        change.new,
        change.old,
        paths.config.display()
    );
    if let Some(env) = change.overridden_by_env {
        eprintln!("aiperture: note: {env} is set in the environment and overrides the file");
    }
    if let Err(e) = audit_change(paths, &change) {
        eprintln!("aiperture: warning: setting saved but not audited: {e:#}");
    }
    Ok(ExitCode::SUCCESS)
}

fn unset(paths: &Paths, key: &str) -> anyhow::Result<ExitCode> {
    super::human::require(paths, &format!("unset {key}"))?;
    let Some(change) = config::unset(paths, key)? else {
        let now = Settings::load(paths)?.display(key).unwrap_or_default();
        println!(
            "{key} is not set in {}; it is {now}",
            paths.config.display()
        );
        note_env(key);
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "{} unset in {}: now {} (was {})",
        change.key,
        paths.config.display(),
        change.new,
        change.old
    );
    if let Some(env) = change.overridden_by_env {
        eprintln!("aiperture: note: {env} is set in the environment and overrides the default");
    }
    if let Err(e) = audit_unset(paths, &change) {
        eprintln!("aiperture: warning: setting removed but not audited: {e:#}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr when the environment decides `key` whatever the file says.
fn note_env(key: &str) {
    if let Some(info) = SETTINGS.iter().find(|i| i.key == key)
        && std::env::var_os(info.env).is_some()
    {
        eprintln!("aiperture: note: {} is set in the environment", info.env);
    }
}

/// Records an unset as a `config.changed` audit event (`details.unset` true).
fn audit_unset(paths: &Paths, change: &config::Change) -> anyhow::Result<()> {
    let mut ev = config::change_event(change, &actor());
    ev.summary = format!(
        "Unset {} (was {}, now {})",
        change.key, change.old, change.new
    );
    ev.details["unset"] = serde_json::Value::Bool(true);
    append_event(paths, &ev)
}

/// Who changes the settings, for the audit trail.
fn actor() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

/// Appends one event to the audit chain of the selected store (the team store when one is
/// configured, so a team has one chain; else the SQLite file).
pub(super) fn append_event(paths: &Paths, ev: &audit::NewEvent) -> anyhow::Result<()> {
    let store = AnyStore::open(&Location::from_env(paths)?)?;
    let k = key::load(paths)?;
    let now = SystemClock.now_ms();
    let note = AuditNote::of_event(ev);
    store.write(&k, |st| st.audit(&note, now))?;
    Ok(())
}

/// Records the change as a `config.changed` audit event.
fn audit_change(paths: &Paths, change: &config::Change) -> anyhow::Result<()> {
    let ev = config::change_event(change, &actor());
    append_event(paths, &ev)
}
