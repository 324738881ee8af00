//! `aiperture sinks flush|run|status`: deliver the audit chain's events to the configured
//! sinks (JSON Lines file, syslog, HTTP webhook) — never from a hook.
//!
//! The store's chain is the queue. Each sink has a state file
//! `$AIPERTURE_HOME/sinks/<name>.json` holding its cursor (the last `seq` it took), counts and
//! its last error; a flush sends the events after the cursor in batches of `sink_batch_size`,
//! retries a failed batch twice (0.2 s, then 1 s later), and moves the cursor only past a
//! batch the sink took. A sink that still fails keeps its cursor and records the error, which
//! `sinks status` (exit 1) and `doctor` report; the next flush starts from the same event, so
//! none is lost (a sink may see an event twice after a crash between send and save: each
//! event carries its `seq` and `hash` to deduplicate). One deliverer per sink at a time (a
//! lock file); a second one skips it.

use crate::cli::ExitCode;
use aiperture::audit::forward::{self, Target};
use aiperture::config::Settings;
use aiperture::paths::{Paths, io_problem};
use aiperture::store::{Db, audit_sql};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `aiperture sinks`.
#[derive(Args, Debug)]
pub struct SinksArgs {
    #[command(subcommand)]
    command: SinksCommand,
}

#[derive(Subcommand, Debug)]
enum SinksCommand {
    /// Deliver every event not yet delivered to each configured sink, then exit (exit 1 when
    /// a sink failed; its events stay queued in the store).
    Flush,
    /// Deliver continuously: flush, sleep, repeat until killed (for a service or a timer).
    Run {
        /// Seconds between flushes.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
        interval: u64,
    },
    /// Show each sink's cursor, backlog and last error (exit 1 when a sink is failing).
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A sink's saved progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SinkState {
    /// The last `seq` the sink took.
    pub cursor: u64,
    /// Events delivered so far.
    pub delivered: u64,
    /// Failed attempts so far (each retry counts).
    pub failures: u64,
    /// The last failure, if the last attempt failed; empty after a success.
    pub last_error: String,
    /// When the last failure happened (ms since the epoch), 0 if never.
    pub last_error_ms: i64,
    /// When the last batch was taken (ms since the epoch), 0 if never.
    pub last_ok_ms: i64,
}

/// The sinks the settings turn on, each with its target (or why its setting is unusable).
pub fn configured(s: &Settings) -> Vec<(&'static str, Result<Target, String>)> {
    let mut out = Vec::new();
    if !s.sink_jsonl_path.is_empty() {
        out.push((
            "jsonl",
            Ok(Target::JsonLines(s.sink_jsonl_path.clone().into())),
        ));
    }
    if !s.sink_syslog.is_empty() {
        out.push(("syslog", Target::syslog(&s.sink_syslog)));
    }
    if !s.sink_webhook_url.is_empty() {
        out.push((
            "webhook",
            Target::webhook(&s.sink_webhook_url, &s.sink_webhook_token),
        ));
    }
    out
}

fn dir(paths: &Paths) -> PathBuf {
    paths.home.join("sinks")
}

/// Reads a sink's state (a missing file is a fresh sink).
pub fn load_state(paths: &Paths, name: &str) -> anyhow::Result<SinkState> {
    let file = dir(paths).join(format!("{name}.json"));
    match std::fs::read_to_string(&file) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| anyhow::anyhow!("{}: corrupt ({e})", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SinkState::default()),
        Err(e) => anyhow::bail!("{}: cannot read: {}", file.display(), io_problem(&e)),
    }
}

fn save_state(paths: &Paths, name: &str, st: &SinkState) -> anyhow::Result<()> {
    let file = dir(paths).join(format!("{name}.json"));
    aiperture::atomic::replace(&file, serde_json::to_string(st)?.as_bytes(), 0o600)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {}", file.display(), io_problem(&e)))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Runs `aiperture sinks`.
pub fn run(args: SinksArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    match args.command {
        SinksCommand::Flush => flush_all(&paths),
        SinksCommand::Run { interval } => loop {
            if let Err(e) = flush_all(&paths) {
                eprintln!("aiperture: sinks: {e:#}");
            }
            std::thread::sleep(Duration::from_secs(interval));
        },
        SinksCommand::Status { json } => status(&paths, json),
    }
}

/// Flushes every configured sink; exit 1 when one failed.
fn flush_all(paths: &Paths) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(paths)?;
    let sinks = configured(&settings);
    if sinks.is_empty() {
        println!("no audit sinks configured (docs/sinks.md)");
        return Ok(ExitCode::SUCCESS);
    }
    if !paths.db.exists() {
        println!("no store yet; nothing to deliver");
        return Ok(ExitCode::SUCCESS);
    }
    let db = Db::open(&paths.db)?;
    let mut failed = false;
    for (name, target) in sinks {
        match flush_one(paths, &db, &settings, name, target) {
            Ok(Flushed::Sent(n, cursor)) => {
                println!("{name}: {n} event(s) delivered, at seq {cursor}")
            }
            Ok(Flushed::Busy) => println!("{name}: another deliverer holds it; skipped"),
            Err(e) => {
                failed = true;
                eprintln!("aiperture: sink {name} failed: {e}");
            }
        }
    }
    Ok(ExitCode::from(u8::from(failed)))
}

enum Flushed {
    Sent(u64, u64),
    Busy,
}

/// Delivers one sink's backlog; the error says why it stopped (its state records it too).
fn flush_one(
    paths: &Paths,
    db: &Db,
    settings: &Settings,
    name: &str,
    target: Result<Target, String>,
) -> Result<Flushed, String> {
    std::fs::create_dir_all(dir(paths)).map_err(|e| io_problem(&e))?;
    let lock_path = dir(paths).join(format!("{name}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("{}: {}", lock_path.display(), io_problem(&e)))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(Flushed::Busy),
        Err(std::fs::TryLockError::Error(e)) => return Err(io_problem(&e)),
    }
    let mut st = load_state(paths, name).map_err(|e| format!("{e:#}"))?;
    let record = |st: &mut SinkState, err: String| {
        st.failures += 1;
        st.last_error = err.clone();
        st.last_error_ms = now_ms();
        let _ = save_state(paths, name, st);
        err
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => return Err(record(&mut st, e)),
    };
    let timeout = Duration::from_millis(settings.sink_timeout_ms.into());
    let mut sent = 0;
    loop {
        let batch = audit_sql::events_after(db, st.cursor, settings.sink_batch_size)
            .map_err(|e| format!("reading the store: {e:#}"))?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            break;
        };
        let mut result = forward::send(&target, &batch, timeout);
        for wait_ms in [200, 1000] {
            if result.is_ok() {
                break;
            }
            st.failures += 1;
            std::thread::sleep(Duration::from_millis(wait_ms));
            result = forward::send(&target, &batch, timeout);
        }
        if let Err(e) = result {
            return Err(record(&mut st, e));
        }
        st.cursor = last;
        st.delivered += batch.len() as u64;
        st.last_error.clear();
        st.last_ok_ms = now_ms();
        save_state(paths, name, &st).map_err(|e| format!("{e:#}"))?;
        sent += batch.len() as u64;
    }
    Ok(Flushed::Sent(sent, st.cursor))
}

/// One line per sink for `doctor`: name, cursor, backlog, last error. Empty when no sink is
/// configured. Never fails (a problem is the line's text).
pub fn doctor_lines(paths: &Paths, settings: &Settings) -> Vec<(String, bool)> {
    let head = if paths.db.exists() {
        Db::open_existing(&paths.db)
            .and_then(|db| audit_sql::count(&db))
            .unwrap_or(0)
    } else {
        0
    };
    configured(settings)
        .into_iter()
        .map(|(name, target)| {
            let st = load_state(paths, name);
            match (target, st) {
                (Err(e), _) => (format!("{name}: misconfigured: {e}"), false),
                (_, Err(e)) => (format!("{name}: {e:#}"), false),
                (Ok(_), Ok(st)) => {
                    let backlog = head.saturating_sub(st.cursor);
                    if st.last_error.is_empty() {
                        (
                            format!("{name}: ok, at seq {}, {backlog} queued", st.cursor),
                            true,
                        )
                    } else {
                        (
                            format!(
                                "{name}: FAILING since {} ({}), {backlog} queued in the store; \
                                 `aiperture sinks flush` retries",
                                aiperture::clock::format_rfc3339(st.last_error_ms),
                                st.last_error
                            ),
                            false,
                        )
                    }
                }
            }
        })
        .collect()
}

fn status(paths: &Paths, json: bool) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(paths)?;
    let lines = doctor_lines(paths, &settings);
    let healthy = lines.iter().all(|(_, ok)| *ok);
    if json {
        let mut sinks = serde_json::Map::new();
        for (name, _) in configured(&settings) {
            let st = load_state(paths, name).unwrap_or_default();
            sinks.insert(name.into(), serde_json::to_value(&st)?);
        }
        println!(
            "{}",
            serde_json::json!({ "healthy": healthy, "sinks": sinks })
        );
    } else if lines.is_empty() {
        println!("no audit sinks configured (docs/sinks.md)");
    } else {
        for (line, _) in &lines {
            println!("{line}");
        }
    }
    Ok(ExitCode::from(u8::from(!healthy)))
}
