//! `aiperture store migrate`: copies a whole store (SQLite or PostgreSQL) into another one,
//! e.g. a solo SQLite store into the team's PostgreSQL store, or a team store into a SQLite
//! file for an offline audit.
//!
//! The copy is generic: the tables and their columns are read from both schemas and
//! intersected, so a column a later migration adds flows without code here. A source table the
//! target lacks, or one without a primary key, is an error (never silently skipped).
//!
//! The audit chain is copied verbatim (the same `seq`, the same hashes) and the target's head
//! is re-signed with the install key after each batch, so the target verifies at every commit.
//! The source is read in one snapshot and streamed ([`BATCH`] rows in memory at a time), so a
//! store of any size is copied in bounded memory.
//! Before writing, the source must verify (the verifier `audit verify` uses) and the target's
//! chain must be empty or a prefix of the source's; afterwards the target is verified again.
//!
//! Idempotent: every row is an upsert on the table's primary key that writes only when the
//! stored row differs, so a second run writes nothing; a target whose chain is a prefix of the
//! source's gets the rest. A target with other data (a diverging chain, or learned patterns
//! the source lacks) is refused; [`merge`] combines two stores that each have their own chain.

pub mod merge;
mod source;

use super::postgres::{Conn, pg_err};
use super::{AnyStore, Location};
use crate::audit::{self, VerifyReport};
use crate::key::KEY_LEN;
use anyhow::{anyhow, bail};
use postgres::types::ToSql;
use source::{select_rows, shapes, stream, tables_of};
use std::collections::{BTreeMap, BTreeSet};

/// Rows written per transaction.
pub const BATCH: usize = 500;

/// Tables the copy handles itself or leaves alone: the signed head (re-signed on the target),
/// the store's own facts (`meta`: its creation time) and PostgreSQL's schema version.
const NOT_COPIED: &[&str] = &["audit_head", "meta", "aiperture_schema"];

/// One value in transit between the two engines: SQLite's own value type, which the team
/// store's export reads PostgreSQL columns into (`postgres::export::value`).
use rusqlite::types::Value as Val;

/// A table's shape on one side: its columns (with their declared types) and primary key.
#[derive(Debug, Clone)]
struct Shape {
    columns: Vec<(String, String)>,
    key: Vec<String>,
}

/// One table of the source: its name, columns and primary key (its rows are streamed in
/// batches, `source::stream`).
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<String>,
    key: Vec<String>,
}

/// What the migration did (or, in a dry run, would do), per table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Rows written (new or changed) per table; tables with nothing to write are absent.
    pub written: BTreeMap<String, u64>,
    /// Audit events the source holds.
    pub source_events: u64,
    /// Audit events the target held before.
    pub target_events_before: u64,
    /// Whether nothing was written because this was a dry run.
    pub dry_run: bool,
}

impl Outcome {
    /// Total rows written over all tables.
    pub fn total(&self) -> u64 {
        self.written.values().sum()
    }
}

/// Options of one migration.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The install key: verifies the source's head and signs the target's.
    pub key: &'a [u8; KEY_LEN],
    /// Say what would be written, write nothing.
    pub dry_run: bool,
}

/// Copies the store at `from` into the store at `to` (both opened and migrated first).
/// Progress goes to `progress` (stderr on the command line).
pub fn migrate(
    from: &Location,
    to: &Location,
    opts: Options,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Outcome> {
    let (source, target) = open_pair(from, to, opts.key)?;
    let tables = tables_of(&source)?;
    let shapes = shapes(&target)?;
    // Each table's columns on both sides, checked before anything is written.
    let mut keeps = Vec::with_capacity(tables.len());
    for t in &tables {
        let Some(shape) = shapes.get(&t.name) else {
            bail!(
                "the target has no table `{}`: its schema is older than the source's",
                t.name
            );
        };
        let names: BTreeSet<&str> = shape.columns.iter().map(|(c, _)| c.as_str()).collect();
        if t.key.iter().any(|k| !names.contains(k.as_str())) || shape.key != t.key {
            bail!(
                "table `{}`: the primary keys differ between source and target",
                t.name
            );
        }
        let keep: Vec<usize> = (0..t.columns.len())
            .filter(|&i| names.contains(t.columns[i].as_str()))
            .collect();
        keeps.push((shape, keep));
    }
    let (source_events, _) = chain_end(&source)?;
    let (target_events, target_last) = chain_end(&target)?;
    let source_at = match &target_last {
        Some((seq, _)) => hash_at(&source, *seq)?,
        None => None,
    };
    check_prefix(
        source_events,
        source_at.as_deref(),
        target_events,
        target_last.as_ref(),
    )?;
    check_patterns(&source, &target)?;
    let mut out = Outcome {
        source_events,
        target_events_before: target_events,
        dry_run: opts.dry_run,
        ..Outcome::default()
    };
    let mut totals = Vec::with_capacity(tables.len());
    for t in &tables {
        totals.push(count(&source, &t.name)?);
    }
    let mut read = vec![0u64; tables.len()];
    stream(&source, &tables, BATCH, &mut |i, rows| {
        let t = &tables[i];
        let (shape, keep) = &keeps[i];
        let n = write_batch(&target, t, shape, keep, rows, opts)?;
        read[i] += rows.len() as u64;
        let written = out.written.entry(t.name.clone()).or_insert(0);
        *written += n;
        progress(&format!(
            "{}: {} of {} rows read, {} written",
            t.name, read[i], totals[i], written
        ));
        Ok(())
    })?;
    out.written.retain(|_, n| *n > 0);
    if !opts.dry_run {
        if let AnyStore::Postgres(p) = &target {
            // Also when nothing was copied: a store copied by an older version is repaired.
            let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
            p.write_conn(|c| advance_identities(c, &names))?;
        }
        let after = target.verify_audit(Some(opts.key))?;
        if !after.intact {
            bail!(
                "the copy does not verify on the target: {}",
                after.problem.as_deref().unwrap_or("unknown problem")
            );
        }
    }
    Ok(out)
}

/// The number of rows of `table` in `store`.
fn count(store: &AnyStore, table: &str) -> anyhow::Result<u64> {
    match select_rows(store, &format!("SELECT count(*) FROM {table}"), 1)?
        .first()
        .and_then(|r| r.first())
    {
        Some(Val::Integer(n)) => Ok(u64::try_from(*n).unwrap_or(0)),
        _ => bail!("cannot count the rows of `{table}`"),
    }
}

/// Opens the source and the target (each migrated to the current schema), refusing one store
/// as both and a source whose audit chain does not verify.
fn open_pair(
    from: &Location,
    to: &Location,
    key: &[u8; KEY_LEN],
) -> anyhow::Result<(AnyStore, AnyStore)> {
    if from == to {
        bail!("the source and the target are the same store");
    }
    let source = AnyStore::open(from)?;
    let target = AnyStore::open(to)?;
    let report = source.verify_audit(Some(key))?;
    if !report.intact {
        bail!(
            "refusing: the source's audit chain does not verify ({}); run `aiperture audit verify`",
            report.problem.as_deref().unwrap_or("unknown problem")
        );
    }
    Ok((source, target))
}

/// Verifies the store at `at` as `aiperture audit verify` does.
pub fn verify(at: &Location, key: &[u8; KEY_LEN]) -> anyhow::Result<VerifyReport> {
    AnyStore::open(at)?.verify_audit(Some(key))
}

/// The `(seq, hash)` of the last of `rows`, rows of the `audit_events` table `t`.
fn last_event(t: &Table, rows: &[Vec<Val>]) -> anyhow::Result<Option<(i64, String)>> {
    let col = |name: &str| {
        t.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| anyhow!("audit_events has no `{name}` column"))
    };
    let (s, h) = (col("seq")?, col("hash")?);
    match rows.last().map(|r| (&r[s], &r[h])) {
        None => Ok(None),
        Some((Val::Integer(seq), Val::Text(hash))) => Ok(Some((*seq, hash.clone()))),
        Some(_) => bail!("audit_events: a row without an integer seq and a text hash"),
    }
}

/// A store's audit chain by its end: how many events, and the last one's `(seq, hash)`.
fn chain_end(store: &AnyStore) -> anyhow::Result<(u64, Option<(i64, String)>)> {
    let last = select_rows(
        store,
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
        2,
    )?;
    let last = match last.first().map(|r| (&r[0], &r[1])) {
        None => None,
        Some((Val::Integer(s), Val::Text(h))) => Some((*s, h.clone())),
        Some(_) => bail!("audit_events: a row without an integer seq and a text hash"),
    };
    Ok((count(store, "audit_events")?, last))
}

/// The hash of the event `seq` of a store's chain, if it has one.
fn hash_at(store: &AnyStore, seq: i64) -> anyhow::Result<Option<String>> {
    let rows = select_rows(
        store,
        &format!("SELECT hash FROM audit_events WHERE seq = {seq}"),
        1,
    )?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(Val::Text(h)) => Some(h.clone()),
        _ => None,
    })
}

/// Refuses a target whose chain is not a prefix of the source's: it holds more events, or its
/// last event is not the source's event of the same `seq` (`source_at`). Each event's hash
/// covers the one before it, so an equal last hash means an equal chain up to it (a target
/// whose rows were edited breaks its own chain, and the copy's verification says so).
fn check_prefix(
    source_len: u64,
    source_at: Option<&str>,
    target_len: u64,
    target_last: Option<&(i64, String)>,
) -> anyhow::Result<()> {
    let continues = match target_last {
        None => target_len == 0,
        Some((_, hash)) => target_len <= source_len && source_at == Some(hash.as_str()),
    };
    if !continues {
        let head = target_last.map(|(_, h)| h.as_str()).unwrap_or("");
        bail!(
            "refusing: the target holds a different audit chain ({target_len} events, head \
             {head}) that is not a prefix of the source's ({source_len} events); migrate into \
             an empty store"
        );
    }
    Ok(())
}

/// Refuses a target holding learned patterns the source lacks.
fn check_patterns(source: &AnyStore, target: &AnyStore) -> anyhow::Result<()> {
    let Some(shape) = shapes(source)?.remove("patterns") else {
        return Ok(());
    };
    let cols = shape.key.join(", ");
    let sql = format!("SELECT {cols} FROM patterns");
    let keys = |store| -> anyhow::Result<Vec<Vec<String>>> {
        Ok(select_rows(store, &sql, shape.key.len())?
            .iter()
            .map(|r| r.iter().map(text).collect())
            .collect())
    };
    let have: BTreeSet<Vec<String>> = keys(source)?.into_iter().collect();
    if let Some(extra) = keys(target)?.into_iter().find(|k| !have.contains(k)) {
        bail!(
            "refusing: the target has learned patterns the source lacks (e.g. {}); migrate into \
             an empty store",
            extra.join(" ")
        );
    }
    Ok(())
}

fn text(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Integer(i) => i.to_string(),
        Val::Real(f) => f.to_string(),
        Val::Text(s) => s.clone(),
        Val::Blob(b) => hex::encode(b),
    }
}

/// Moves each identity column's sequence of `tables` past the highest id stored. Rows copied
/// with their ids leave the sequence where it was, and the next row a hook writes would take
/// an id already used (every check failing closed on a duplicate key).
pub(super) fn advance_identities(c: &mut Conn, tables: &[&str]) -> anyhow::Result<()> {
    let rows = c
        .client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES' \
             AND table_name = ANY($1)",
            &[&tables],
        )
        .map_err(pg_err)?;
    for r in rows {
        let (table, column): (String, String) =
            (r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?);
        // Names from the schema (letters, digits and `_`), quoted all the same.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), m) \
             FROM (SELECT MAX(\"{column}\") AS m FROM \"{table}\") x WHERE m IS NOT NULL"
        );
        c.client.query(&sql, &[]).map_err(pg_err)?;
    }
    Ok(())
}

/// A value as a PostgreSQL parameter of the column's type (`data_type` from the schema).
fn pg_param(v: &Val, ty: &str) -> anyhow::Result<Box<dyn ToSql + Sync>> {
    let int = |v: &Val| match v {
        Val::Null => Ok(None),
        Val::Integer(n) => Ok(Some(*n)),
        Val::Real(f) if f.fract() == 0.0 => Ok(Some(*f as i64)),
        other => Err(anyhow!("{other:?} is not an integer")),
    };
    Ok(match ty {
        "bigint" => Box::new(int(v)?),
        "integer" => Box::new(int(v)?.map(i32::try_from).transpose()?),
        "smallint" => Box::new(int(v)?.map(i16::try_from).transpose()?),
        "boolean" => Box::new(int(v)?.map(|n| n != 0)),
        "double precision" => Box::new(match v {
            Val::Null => None,
            Val::Integer(n) => Some(*n as f64),
            Val::Real(f) => Some(*f),
            other => bail!("{other:?} is not a number"),
        }),
        "bytea" => Box::new(match v {
            Val::Null => None,
            Val::Blob(b) => Some(b.clone()),
            Val::Text(s) => Some(s.clone().into_bytes()),
            other => bail!("{other:?} is not bytes"),
        }),
        "text" | "character varying" | "character" => Box::new(match v {
            Val::Null => None,
            Val::Text(s) => Some(s.clone()),
            other => Some(text(other)),
        }),
        other => bail!("column type {other} is not supported by the copy"),
    })
}

/// The upsert of one row: inserts it, or updates the stored row only when it differs, so an
/// unchanged row counts as nothing written. `ph(i)` renders the i-th (1-based) placeholder.
fn upsert_sql(
    table: &str,
    cols: &[&str],
    key: &[String],
    ph: fn(usize) -> String,
    differs: &str,
) -> String {
    upsert_rows_sql(table, cols, key, ph, differs, 1)
}

/// [`upsert_sql`] for `rows` rows in one statement (placeholders numbered row after row).
fn upsert_rows_sql(
    table: &str,
    cols: &[&str],
    key: &[String],
    ph: fn(usize) -> String,
    differs: &str,
    rows: usize,
) -> String {
    let values: Vec<String> = (0..rows.max(1))
        .map(|r| {
            let one: Vec<String> = (1..=cols.len()).map(|i| ph(r * cols.len() + i)).collect();
            format!("({})", one.join(", "))
        })
        .collect();
    let rest: Vec<&&str> = cols
        .iter()
        .filter(|c| !key.iter().any(|k| k == **c))
        .collect();
    let conflict = if rest.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let set: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let changed: Vec<String> = rest
            .iter()
            .map(|c| format!("{table}.{c} {differs} excluded.{c}"))
            .collect();
        format!(
            "DO UPDATE SET {} WHERE {}",
            set.join(", "),
            changed.join(" OR ")
        )
    };
    format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT ({}) {conflict}",
        cols.join(", "),
        values.join(", "),
        key.join(", ")
    )
}

/// Writes one batch of rows in one transaction (a savepoint rolled back in a dry run); when
/// the batch holds audit events, the target's head moves to the last one, signed.
fn write_batch(
    target: &AnyStore,
    t: &Table,
    shape: &Shape,
    keep: &[usize],
    rows: &[Vec<Val>],
    opts: Options,
) -> anyhow::Result<u64> {
    let cols: Vec<&str> = keep.iter().map(|&i| t.columns[i].as_str()).collect();
    let head = if t.name == "audit_events" {
        last_event(t, rows)?
    } else {
        None
    };
    let head = head.map(|(seq, hash)| {
        let mac = audit::head_mac(opts.key, u64::try_from(seq).unwrap_or(0), &hash);
        (seq, hash, mac)
    });
    const HEAD: &str = "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, {1}, {2}, {3}) \
                        ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                        mac = excluded.mac";
    match target {
        AnyStore::Sqlite(s) => s.db().write(|tx| {
            tx.execute_batch("SAVEPOINT migrate")?;
            let sql = upsert_sql(&t.name, &cols, &t.key, |i| format!("?{i}"), "IS NOT");
            let mut stmt = tx.prepare(&sql)?;
            let mut n = 0u64;
            for r in rows {
                let args: Vec<rusqlite::types::Value> = keep
                    .iter()
                    .map(|&i| match &r[i] {
                        Val::Null => rusqlite::types::Value::Null,
                        Val::Integer(v) => (*v).into(),
                        Val::Real(v) => (*v).into(),
                        Val::Text(v) => v.clone().into(),
                        Val::Blob(v) => v.clone().into(),
                    })
                    .collect();
                n += stmt.execute(rusqlite::params_from_iter(args))? as u64;
            }
            if let Some((seq, hash, mac)) = &head {
                let sql = HEAD
                    .replace("{1}", "?1")
                    .replace("{2}", "?2")
                    .replace("{3}", "?3");
                tx.execute(&sql, rusqlite::params![seq, hash, mac])?;
            }
            let end = if opts.dry_run {
                "ROLLBACK TO migrate; RELEASE migrate"
            } else {
                "RELEASE migrate"
            };
            tx.execute_batch(end)?;
            Ok(n)
        }),
        AnyStore::Postgres(p) => p.write_conn(|c: &mut Conn| {
            c.client
                .batch_execute("SAVEPOINT migrate")
                .map_err(pg_err)?;
            let types: BTreeMap<&str, &str> = shape
                .columns
                .iter()
                .map(|(c, ty)| (c.as_str(), ty.as_str()))
                .collect();
            // Many rows a statement (one round trip each), under the protocol's 65,535
            // parameters.
            let per = (u16::MAX as usize / cols.len().max(1)).clamp(1, BATCH);
            let mut n = 0u64;
            for part in rows.chunks(per) {
                let sql = upsert_rows_sql(
                    &t.name,
                    &cols,
                    &t.key,
                    |i| format!("${i}"),
                    "IS DISTINCT FROM",
                    part.len(),
                );
                let mut args = Vec::with_capacity(part.len() * keep.len());
                for r in part {
                    for &i in keep {
                        let col = t.columns[i].as_str();
                        let ty = types.get(col).copied().unwrap_or("text");
                        args.push(
                            pg_param(&r[i], ty).map_err(|e| anyhow!("{}.{col}: {e}", t.name))?,
                        );
                    }
                }
                let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
                n += c.client.execute(sql.as_str(), &refs).map_err(pg_err)?;
            }
            if let Some((seq, hash, mac)) = &head {
                let sql = HEAD
                    .replace("{1}", "$1")
                    .replace("{2}", "$2")
                    .replace("{3}", "$3");
                c.client.execute(&sql, &[seq, hash, mac]).map_err(pg_err)?;
            }
            let end = if opts.dry_run {
                "ROLLBACK TO SAVEPOINT migrate"
            } else {
                "RELEASE SAVEPOINT migrate"
            };
            c.client.batch_execute(end).map_err(pg_err)?;
            Ok(n)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(hashes: &[&str]) -> Vec<(i64, String)> {
        hashes
            .iter()
            .enumerate()
            .map(|(i, h)| (i as i64 + 1, h.to_string()))
            .collect()
    }

    #[test]
    fn an_empty_or_prefix_target_is_accepted_and_anything_else_refused() {
        let source = chain(&["a", "b", "c"]);
        // As `migrate` reads them: each chain's length and last event, and the source's hash
        // at the target's last seq.
        let check = |target: &[(i64, String)]| {
            let last = target.last();
            let at = last.and_then(|(seq, _)| source.iter().find(|(s, _)| s == seq));
            check_prefix(
                source.len() as u64,
                at.map(|(_, h)| h.as_str()),
                target.len() as u64,
                last,
            )
        };
        assert!(check(&[]).is_ok());
        assert!(check(&chain(&["a", "b"])).is_ok());
        assert!(check(&source).is_ok());
        assert!(check(&chain(&["a", "x"])).is_err());
        assert!(check(&chain(&["a", "b", "c", "d"])).is_err());
    }

    #[test]
    fn the_upsert_writes_only_rows_that_differ() {
        let sql = upsert_sql(
            "t",
            &["id", "a", "b"],
            &["id".to_string()],
            |i| format!("?{i}"),
            "IS NOT",
        );
        assert_eq!(
            sql,
            "INSERT INTO t (id, a, b) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET \
             a = excluded.a, b = excluded.b WHERE t.a IS NOT excluded.a OR t.b IS NOT excluded.b"
        );
        let two = upsert_rows_sql(
            "k",
            &["x", "y"],
            &["x".to_string()],
            |i| format!("${i}"),
            "<>",
            2,
        );
        assert_eq!(
            two,
            "INSERT INTO k (x, y) VALUES ($1, $2), ($3, $4) ON CONFLICT (x) DO UPDATE SET \
             y = excluded.y WHERE k.y <> excluded.y"
        );
        let only_key = upsert_sql("k", &["x"], &["x".to_string()], |i| format!("${i}"), "");
        assert_eq!(
            only_key,
            "INSERT INTO k (x) VALUES ($1) ON CONFLICT (x) DO NOTHING"
        );
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)")
            .unwrap();
        let mut n = 0;
        for row in [(1, "x", 1), (1, "x", 1), (1, "y", 1), (2, "x", 2)] {
            n += c
                .execute(&sql, rusqlite::params![row.0, row.1, row.2])
                .unwrap();
        }
        assert_eq!(n, 3, "the repeated row writes nothing");
    }

    #[test]
    fn postgres_parameters_follow_the_column_type() {
        assert!(pg_param(&Val::Integer(3), "bigint").is_ok());
        assert!(pg_param(&Val::Integer(1 << 40), "integer").is_err());
        assert!(pg_param(&Val::Text("x".into()), "bigint").is_err());
        assert!(pg_param(&Val::Null, "double precision").is_ok());
        assert!(pg_param(&Val::Integer(1), "point").is_err());
    }
}
