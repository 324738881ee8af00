//! `aiperture config show|set|path`.

use crate::cli::ExitCode;
use aiperture::clock::{Clock, SystemClock};
use aiperture::config::{self, SETTINGS, Settings};
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::{Db, audit_sql};
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
    },
    /// Change a setting in the user config file (validated; audited).
    Set {
        /// The setting's name, e.g. `rate_limit_per_minute`.
        key: String,
        /// The new value (lists are comma-separated).
        value: String,
    },
    /// Print the config file's path.
    Path,
}

/// Runs `aiperture config`.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    match args.command {
        ConfigCommand::Show { json } => show(&paths, json),
        ConfigCommand::Set { key, value } => set(&paths, &key, &value),
        ConfigCommand::Path => {
            println!("{}", paths.config.display());
            Ok(ExitCode::SUCCESS)
        }
    }
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
        let mut settings = serde_json::Map::new();
        for info in SETTINGS {
            settings.insert(
                info.key.to_string(),
                serde_json::json!({
                    "value": s.json(info.key),
                    "source": source(info.key).as_str(),
                    "env": info.env,
                }),
            );
        }
        let out = serde_json::json!({
            "config_file": paths.config,
            "settings": settings,
        });
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

/// Records the change as a `config.changed` audit event.
fn audit_change(paths: &Paths, change: &config::Change) -> anyhow::Result<()> {
    let db = Db::open(&paths.db)?;
    let k = key::load(paths)?;
    let actor = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let ev = config::change_event(change, &actor);
    let now = SystemClock.now_ms();
    db.write(|tx| audit_sql::append(tx, &k, &ev, now))?;
    Ok(())
}
