//! `aiperture report`: the compliance report in Markdown, JSON or HTML.
//!
//! Exit codes: 0 written; 4 written, and a `--fail-on` condition holds; 1 usage or I/O error
//! (nothing useful written).

use crate::cli::ExitCode;
use aiperture::clock::{Clock, ManualClock, SystemClock};
use aiperture::config::Settings;
use aiperture::engine::config::EngineConfig;
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::report::{self, FailOn, ReportOptions};
use aiperture::store::postgres::PgStore;
use aiperture::store::{Db, Location};
use anyhow::{anyhow, bail};
use clap::Args;
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;

/// The exit code when a `--fail-on` condition holds (after the report was written).
pub const EXIT_FAIL_ON: u8 = 4;

/// Arguments of `aiperture report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output format: md, json or html.
    #[arg(long, default_value = "md", value_parser = ["md", "json", "html"])]
    pub format: String,
    /// Only activity since an age (7d, 24h, 30m, 2w) or a UTC date (2026-11-01).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this project (its root directory, or `global`).
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    /// Write to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 4 (after writing the report) when a condition holds: gaps, critical, unverified.
    /// Repeatable, or a comma-separated list.
    #[arg(long, value_name = "COND", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// At most N items per list (sessions, CRITICAL denies, patterns, …); counts stay exact.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
}

/// The clock: the system clock, or in debug builds (tests) a fixed `AIPERTURE_NOW_MS`.
fn now_ms() -> i64 {
    if cfg!(debug_assertions)
        && let Some(ms) = std::env::var("AIPERTURE_NOW_MS")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return ManualClock::new(ms).now_ms();
    }
    SystemClock.now_ms()
}

/// Runs `aiperture report`.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let fail_on = args
        .fail_on
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            FailOn::parse(s)
                .ok_or_else(|| anyhow!("--fail-on {s}: expected gaps, critical or unverified"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // 21 KB of HTML on a terminal helps nobody: name a file, or pipe it.
    if args.format == "html" && args.out.is_none() && std::io::stdout().is_terminal() {
        bail!("--format html: refusing to write HTML to a terminal; use --out FILE (or pipe it)");
    }
    let now = now_ms();
    let since_ms = args
        .since
        .as_deref()
        .map(|s| super::audit::parse_since(s, now))
        .transpose()?;
    let paths = Paths::from_env()?;
    let settings = Settings::load(&paths)?;
    // On a team store, the report reads a copy taken on one snapshot of the database (the
    // report's queries are SQLite's); the copy is removed when the report is written.
    let team = match Location::from_env(&paths)? {
        Location::Postgres(url) => Some(TeamCopy::take(&paths, &url)?),
        Location::Sqlite(_) => None,
    };
    let db = match &team {
        Some(t) => Db::open_existing(&t.db)?,
        None => Db::open_existing(&paths.db)?,
    };
    let project = args.project.map(|p| project_key(&p));
    let opts = ReportOptions {
        since_ms,
        project,
        engine: EngineConfig::from(&settings),
        key: key::load_existing(&paths)?,
        max_items: args.limit,
        ..ReportOptions::default()
    };
    let r = report::build(&db, &opts, now)?;
    let text = match args.format.as_str() {
        "json" => report::json(&r)?,
        "html" => report::html::render(&r),
        "md" => report::markdown::render(&r),
        other => bail!("--format {other}: expected md, json or html"),
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut w = stdout.lock();
            w.write_all(text.as_bytes())?;
            w.flush()?;
        }
        Some(path) => write_file(path, &text)?,
    }
    if !r.integrity.verified {
        eprintln!(
            "aiperture: WARNING: the audit chain does not verify: {}",
            r.integrity.problem.as_deref().unwrap_or("unknown problem")
        );
    }
    let held: Vec<&str> = fail_on
        .iter()
        .filter(|c| c.holds(&r))
        .map(|c| match c {
            FailOn::Gaps => "gaps",
            FailOn::Critical => "critical",
            FailOn::Unverified => "unverified",
        })
        .collect();
    if held.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "aiperture: report: --fail-on condition holds: {}",
            held.join(", ")
        );
        Ok(ExitCode::from(EXIT_FAIL_ON))
    }
}

/// The project as the store keys it: an existing directory's canonical path, else as given.
fn project_key(p: &str) -> String {
    if p == "global" {
        return p.to_string();
    }
    match std::fs::canonicalize(p) {
        Ok(c) if c.is_dir() => c.display().to_string(),
        _ => p.to_string(),
    }
}

fn write_file(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow!("report {shown}: cannot create: {e}"))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.flush())
        .map_err(|e| anyhow!("report {shown}: cannot write: {e}"))?;
    Ok(())
}

/// A copy of the team store in a private directory under aiperture's home, removed on drop.
struct TeamCopy {
    dir: std::path::PathBuf,
    db: std::path::PathBuf,
}

impl TeamCopy {
    /// Copies the team store at `url` into a fresh SQLite file.
    fn take(paths: &Paths, url: &str) -> anyhow::Result<TeamCopy> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = paths
            .home
            .join(format!("report-copy-{}-{}", std::process::id(), now_ms()));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        let copy = TeamCopy {
            db: dir.join("team.db"),
            dir,
        };
        let pg = PgStore::open(url)?;
        let db = Db::open(&copy.db)?;
        aiperture::store::postgres::export::to_sqlite(&pg, &db)?;
        Ok(copy)
    }
}

impl Drop for TeamCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
