//! `aiperture store migrate`: copies a whole store into another one (a solo SQLite store into
//! the team's PostgreSQL store, or back into a SQLite file for an offline audit). An admin
//! act: a human at a terminal, or a signed challenge. See `aiperture::store::migrate`.

use crate::cli::ExitCode;
use aiperture::paths::Paths;
use aiperture::store::Location;
use aiperture::store::migrate::{self, Options, merge};
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
    /// store; idempotent, refuses a target holding other data unless `--merge`.
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
        /// Merge into a store (SQLite or the team store) that has its own history: the source's events are
        /// appended to the target's chain (original seq and hash kept in their details), then
        /// one `store.merged` event; decisions renumbered, learned counts added up, a
        /// revocation in either store wins. Merging the same source again adds only what is new.
        #[arg(long)]
        merge: bool,
    },
}

/// Runs `aiperture store`.
pub fn run(args: StoreArgs) -> anyhow::Result<ExitCode> {
    let StoreCommand::Migrate {
        to,
        from,
        dry_run,
        merge,
    } = args.command;
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
        let act = if merge { "merge" } else { "copy" };
        super::human::require(&paths, &format!("{act} the store {from_s} into {to_s}"))?;
    }
    let key = aiperture::key::load(&paths)?;
    let opts = Options { key: &key, dry_run };
    if merge {
        return run_merge(&from, &to, opts, &from_s, &to_s);
    }
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

/// Runs `aiperture store migrate --merge` and prints what was (or would be) merged.
fn run_merge(
    from: &Location,
    to: &Location,
    opts: Options,
    from_s: &str,
    to_s: &str,
) -> anyhow::Result<ExitCode> {
    let out = merge::merge(from, to, opts, from_s, &mut |line| eprintln!("{line}"))?;
    let verb = if opts.dry_run {
        "would append"
    } else {
        "appended"
    };
    if out.events == 0 {
        println!("{to_s} already holds every event of {from_s}: nothing to merge");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{verb} {} events of {from_s} to the chain of {to_s}, then one store.merged event",
        out.events
    );
    for (table, n) in &out.rows {
        println!("{table}: {n} rows");
    }
    if out.revoked > 0 {
        println!(
            "{} decisions revoked by a revocation in the other store",
            out.revoked
        );
    }
    if !opts.dry_run {
        println!("the target's audit chain and learned state verify");
    }
    Ok(ExitCode::SUCCESS)
}
