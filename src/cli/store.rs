//! `aiperture store migrate`: copies a whole store into another one (a solo SQLite store into
//! the team's PostgreSQL store, or back into a SQLite file for an offline audit). An admin
//! act: a human at a terminal, or a signed challenge. See `aiperture::store::migrate`.

use crate::cli::ExitCode;
use aiperture::paths::Paths;
use aiperture::store::Location;
use aiperture::store::migrate::{self, Options};
use clap::{Args, Subcommand};

/// Arguments of `aiperture store`.
#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Subcommand, Debug)]
enum StoreCommand {
    /// Copy every table (the audit chain with its hashes, patterns, grants, etc.) into another
    /// store; idempotent, refuses a target holding other data.
    Migrate {
        /// The target: `postgres://URL` or `sqlite:PATH`.
        #[arg(long)]
        to: String,
        /// The source: `sqlite:PATH` or `postgres://URL` (default: the store this home selects).
        #[arg(long)]
        from: Option<String>,
        /// Say what would be copied; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `aiperture store`.
pub fn run(args: StoreArgs) -> anyhow::Result<ExitCode> {
    let StoreCommand::Migrate { to, from, dry_run } = args.command;
    let paths = Paths::from_env()?;
    let from = match from {
        Some(url) => Location::parse(&url)?,
        None => Location::from_env(&paths)?,
    };
    let to = Location::parse(&to)?;
    let shown = |l: &Location| match l {
        Location::Sqlite(p) => format!("sqlite:{}", p.display()),
        Location::Postgres(u) => aiperture::store::postgres::redact(u),
    };
    let (from_s, to_s) = (shown(&from), shown(&to));
    if !dry_run {
        super::human::require(&paths, &format!("copy the store {from_s} into {to_s}"))?;
    }
    let key = aiperture::key::load(&paths)?;
    let opts = Options { key: &key, dry_run };
    let out = migrate::migrate(&from, &to, opts, &mut |line| eprintln!("{line}"))?;
    let verb = if dry_run { "would write" } else { "wrote" };
    if out.total() == 0 {
        println!("{to_s} already holds everything in {from_s}: nothing to copy");
    } else {
        for (table, n) in &out.written {
            println!("{table}: {verb} {n} rows");
        }
        println!(
            "{verb} {} rows from {from_s} into {to_s} (audit events: {} in the source, {} in the \
             target before)",
            out.total(),
            out.source_events,
            out.target_events_before
        );
    }
    if !dry_run {
        println!("the target's audit chain verifies");
    }
    Ok(ExitCode::SUCCESS)
}
