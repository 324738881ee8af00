//! `aiperture audit verify|list|export`.

use crate::cli::ExitCode;
use aiperture::audit::{self, ListFilter, VerifyReport};
use aiperture::clock::{Clock, SystemClock, days_from_civil, format_rfc3339};
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::postgres::chain;
use aiperture::store::{Db, Location, audit_sql};
use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `aiperture audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Verify the hash chain (exit 0 intact, 1 broken, naming the first bad seq).
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Verify an export file instead of the store.
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
    },
    /// List audit events, newest first.
    List {
        /// Print JSON Lines.
        #[arg(long)]
        json: bool,
        /// At most this many events.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only events since an age (7d, 12h, 30m, 2w) or a date (2026-11-01).
        #[arg(long)]
        since: Option<String>,
        /// Only events of this type (e.g. config.changed).
        #[arg(long = "type", value_name = "T")]
        event_type: Option<String>,
        /// Only events of this session.
        #[arg(long, value_name = "S")]
        session: Option<String>,
    },
    /// Export the chain as JSON Lines plus a manifest line (verify with `verify --file`).
    Export {
        /// Write to this file (mode 0600) instead of stdout.
        #[arg(long, value_name = "F")]
        out: Option<PathBuf>,
    },
    /// Re-anchor a chain head that no longer verifies (key replaced, head tampered), so
    /// writes work again; the break stays on record as an `audit.resealed` event.
    Reseal {
        /// Required: you have read `aiperture audit verify` and accept the break.
        #[arg(long)]
        confirm: bool,
    },
}

/// Runs `aiperture audit`.
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    match args.command {
        AuditCommand::Verify { json, file } => verify(&paths, json, file),
        AuditCommand::List {
            json,
            limit,
            since,
            event_type,
            session,
        } => {
            let since_ms = since
                .map(|s| parse_since(&s, SystemClock.now_ms()))
                .transpose()?;
            let filter = ListFilter {
                since_ms,
                event_type,
                session_id: session,
                limit: Some(limit),
            };
            list(&paths, json, &filter)
        }
        AuditCommand::Export { out } => export(&paths, out),
        AuditCommand::Reseal { confirm } => reseal(&paths, confirm),
    }
}

fn reseal(paths: &Paths, confirm: bool) -> anyhow::Result<ExitCode> {
    if !confirm {
        bail!(
            "reseal re-anchors the audit chain with the current key; check              `aiperture audit verify` first, then run `aiperture audit reseal --confirm`"
        );
    }
    let team = Location::team_store(paths)?;
    let k = key::load(paths)?;
    let actor = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let now = SystemClock.now_ms();
    let resealed = match &team {
        Some(pg) => chain::reseal(pg, &k, &actor, now)?,
        None => Db::open_existing(&paths.db)?.write(|tx| audit_sql::reseal(tx, &k, &actor, now))?,
    };
    match resealed {
        None => println!("the chain head verifies; nothing to reseal"),
        Some(ev) => println!("resealed at seq {}: {}", ev.seq, ev.summary),
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(paths: &Paths, json: bool, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let key = key::load_existing(paths)?;
    let report = match &file {
        Some(f) => audit::verify_file(f, key.as_ref())?,
        None => match Location::team_store(paths)? {
            Some(pg) => chain::verify_store(&pg, key.as_ref())?,
            None => aiperture::store::integrity::verify_store(
                &Db::open_existing(&paths.db)?,
                key.as_ref(),
            )?,
        },
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(aiperture::views::verify_report(&report))?
        );
    } else {
        print_report(&report);
    }
    Ok(if report.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(r: &VerifyReport) {
    if r.intact {
        let mac = if r.mac_checked {
            "head signature checked"
        } else {
            "head signature NOT checked: no key"
        };
        println!("audit chain intact: {} events ({mac})", r.events);
        if r.reseals > 0 {
            println!(
                "note: resealed {} time(s); see `aiperture audit list --type audit.resealed`",
                r.reseals
            );
        }
    } else {
        let at = r
            .first_bad_seq
            .map(|s| format!(" at seq {s}"))
            .unwrap_or_default();
        println!(
            "audit chain BROKEN{at}: {} ({} events read)",
            r.problem.as_deref().unwrap_or("unknown problem"),
            r.events
        );
    }
}

fn list(paths: &Paths, json: bool, filter: &ListFilter) -> anyhow::Result<ExitCode> {
    let events = match Location::team_store(paths)? {
        Some(pg) => chain::list(&pg, filter)?,
        None => audit_sql::list(&Db::open_existing(&paths.db)?, filter)?,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for e in &events {
        if json {
            serde_json::to_writer(&mut out, aiperture::views::audit_event(e))?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:>6}  {}  {:<18} {:<7} {}{}",
                e.seq,
                format_rfc3339(e.ts_ms),
                e.event_type,
                e.actor_type,
                e.summary,
                what_ran(e).map(|w| format!(": {w}")).unwrap_or_default()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// For a `tool.executed` event, the command or target that ran (its entity is
/// `tool/action/scope`, its summary `tool/action ran (outcome)`), credentials redacted with the
/// report's filter and control characters replaced so the line stays one terminal line.
fn what_ran(e: &audit::AuditEvent) -> Option<String> {
    if e.event_type != "tool.executed" {
        return None;
    }
    let tool_action = e.summary.split(" ran (").next()?;
    let scope = e.entity.strip_prefix(tool_action)?.strip_prefix('/')?;
    let shown = aiperture::risk::redact_secrets(scope);
    Some(
        shown
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect(),
    )
}

fn export(paths: &Paths, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let team = Location::team_store(paths)?;
    let db = match team {
        Some(_) => None,
        None => Some(Db::open_existing(&paths.db)?),
    };
    // The chain of whichever store is selected, in the same format.
    let export = |w: &mut dyn Write, now: i64| match (&team, &db) {
        (Some(pg), _) => chain::export(pg, w, now),
        (None, Some(db)) => audit_sql::export(db, w, now),
        (None, None) => bail!("no store"),
    };
    let now = SystemClock.now_ms();
    match out {
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            export(&mut w, now)?;
        }
        Some(path) => {
            use std::os::unix::fs::OpenOptionsExt;
            let shown = path.display().to_string();
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| anyhow!("export {shown}: cannot create: {e}"))?;
            let mut w = std::io::BufWriter::new(f);
            let m = export(&mut w, now).map_err(|e| anyhow!("export {shown}: {e:#}"))?;
            eprintln!(
                "exported {} events (seq {}..{}) to {shown}",
                m.count, m.first_seq, m.last_seq
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `--since`: an age (`7d`, `12h`, `30m`, `2w`) before `now_ms`, or a UTC date
/// (`2026-11-01`), into milliseconds since the epoch.
pub fn parse_since(text: &str, now_ms: i64) -> anyhow::Result<i64> {
    let t = text.trim();
    let bad =
        || anyhow!("--since {t}: expected an age like 7d, 12h, 30m, 2w or a date like 2026-11-01");
    if let Some(unit) = t.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let n: i64 = t[..t.len() - 1].parse().map_err(|_| bad())?;
        let ms = match unit {
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => return Err(bad()),
        };
        if n < 0 {
            return Err(bad());
        }
        return Ok(now_ms.saturating_sub(n.saturating_mul(ms)));
    }
    let parts: Vec<&str> = t.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i64, u32, u32) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        bail!("--since {t}: not a valid date");
    }
    let at = days_from_civil(y, m, d) * 86_400_000;
    if at > now_ms {
        // Nothing can have happened yet: an empty ("clean") answer would mislead.
        bail!("--since {t}: that date is in the future");
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_parses_ages_and_dates() {
        let now = 10 * 86_400_000;
        assert_eq!(parse_since("7d", now).unwrap(), 3 * 86_400_000);
        assert_eq!(parse_since("1w", now).unwrap(), 3 * 86_400_000);
        assert_eq!(parse_since("2h", now).unwrap(), now - 7_200_000);
        assert_eq!(parse_since("1970-01-02", now).unwrap(), 86_400_000);
        for bad in ["", "x", "7y", "-3d", "2026-13-01", "2026-11"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }
}
