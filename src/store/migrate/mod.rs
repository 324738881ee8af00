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
//! Before writing, the source must verify (the verifier `audit verify` uses) and the target's
//! chain must be empty or a prefix of the source's; afterwards the target is verified again.
//!
//! Idempotent: every row is an upsert on the table's primary key that writes only when the
//! stored row differs, so a second run writes nothing; a target whose chain is a prefix of the
//! source's gets the rest. A target with other data (a diverging chain, or learned patterns
//! the source lacks) is refused; [`merge`] combines two stores that each have their own chain.

pub mod merge;

use super::postgres::{Conn, pg_err};
use super::{AnyStore, Location};
use crate::audit::{self, VerifyReport};
use crate::key::KEY_LEN;
use anyhow::{anyhow, bail};
use postgres::types::ToSql;
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

/// One table read from the source.
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<String>,
    key: Vec<String>,
    rows: Vec<Vec<Val>>,
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
    let tables = read_all(&source)?;
    let shapes = shapes(&target)?;
    let source_chain = chain_of(&tables)?;
    let target_chain = target_hashes(&target)?;
    check_prefix(&source_chain, &target_chain)?;
    check_patterns(&tables, &target)?;
    let mut out = Outcome {
        source_events: source_chain.len() as u64,
        target_events_before: target_chain.len() as u64,
        dry_run: opts.dry_run,
        ..Outcome::default()
    };
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
        let mut n = 0u64;
        for (b, chunk) in t.rows.chunks(BATCH).enumerate() {
            n += write_batch(&target, t, shape, &keep, chunk, opts)?;
            progress(&format!(
                "{}: {} of {} rows read, {n} written",
                t.name,
                (b * BATCH + chunk.len()),
                t.rows.len()
            ));
        }
        if n > 0 {
            out.written.insert(t.name.clone(), n);
        }
    }
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

/// The source's chain: `hash` by `seq`, in order.
fn chain_of(tables: &[Table]) -> anyhow::Result<Vec<(i64, String)>> {
    let Some(t) = tables.iter().find(|t| t.name == "audit_events") else {
        bail!("the source has no audit_events table");
    };
    let col = |name: &str| {
        t.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| anyhow!("audit_events has no `{name}` column"))
    };
    let (s, h) = (col("seq")?, col("hash")?);
    t.rows
        .iter()
        .map(|r| match (&r[s], &r[h]) {
            (Val::Integer(seq), Val::Text(hash)) => Ok((*seq, hash.clone())),
            _ => bail!("audit_events: a row without an integer seq and a text hash"),
        })
        .collect()
}

/// Refuses a target whose chain is not a prefix of the source's.
fn check_prefix(source: &[(i64, String)], target: &[(i64, String)]) -> anyhow::Result<()> {
    if target.len() > source.len() || source[..target.len()] != *target {
        let head = target.last().map(|(_, h)| h.as_str()).unwrap_or("");
        bail!(
            "refusing: the target holds a different audit chain ({} events, head {head}) that is \
             not a prefix of the source's ({} events); migrate into an empty store",
            target.len(),
            source.len()
        );
    }
    Ok(())
}

/// Refuses a target holding learned patterns the source lacks.
fn check_patterns(tables: &[Table], target: &AnyStore) -> anyhow::Result<()> {
    let Some(t) = tables.iter().find(|t| t.name == "patterns") else {
        return Ok(());
    };
    let idx: Vec<usize> = t
        .key
        .iter()
        .filter_map(|k| t.columns.iter().position(|c| c == k))
        .collect();
    let have: BTreeSet<Vec<String>> = t
        .rows
        .iter()
        .map(|r| idx.iter().map(|&i| text(&r[i])).collect())
        .collect();
    let cols = t.key.join(", ");
    let theirs = select_rows(target, &format!("SELECT {cols} FROM patterns"), t.key.len())?;
    if let Some(extra) = theirs
        .iter()
        .map(|r| r.iter().map(text).collect::<Vec<_>>())
        .find(|k| !have.contains(k))
    {
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

/// The target's chain, `hash` by `seq`, in order.
fn target_hashes(target: &AnyStore) -> anyhow::Result<Vec<(i64, String)>> {
    select_rows(target, "SELECT seq, hash FROM audit_events ORDER BY seq", 2)?
        .into_iter()
        .map(|r| match (&r[0], &r[1]) {
            (Val::Integer(s), Val::Text(h)) => Ok((*s, h.clone())),
            _ => bail!("the target's audit_events has a malformed row"),
        })
        .collect()
}

/// Every copied table of the store, read in one snapshot, rows in primary-key order.
fn read_all(store: &AnyStore) -> anyhow::Result<Vec<Table>> {
    let shapes = shapes(store)?;
    let mut out = Vec::new();
    for (name, shape) in shapes {
        if shape.key.is_empty() {
            bail!("table `{name}` has no primary key: the copy cannot be made idempotent");
        }
        let columns: Vec<String> = shape.columns.iter().map(|(c, _)| c.clone()).collect();
        let sql = format!(
            "SELECT {} FROM {name} ORDER BY {}",
            columns.join(", "),
            shape.key.join(", ")
        );
        let rows = select_rows(store, &sql, columns.len())?;
        out.push(Table {
            name,
            columns,
            key: shape.key,
            rows,
        });
    }
    // The chain first, so the rest of the state never runs ahead of its events.
    out.sort_by_key(|t| t.name != "audit_events");
    Ok(out)
}

/// The copied tables of a store and their shapes.
fn shapes(store: &AnyStore) -> anyhow::Result<BTreeMap<String, Shape>> {
    let mut out = BTreeMap::new();
    match store {
        AnyStore::Sqlite(s) => {
            let db = s.db();
            db.read(|tx| {
                let names: Vec<String> = tx
                    .prepare(
                        "SELECT name FROM sqlite_master WHERE type = 'table' \
                         AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    )?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for name in names
                    .into_iter()
                    .filter(|n| !NOT_COPIED.contains(&n.as_str()))
                {
                    let mut cols: Vec<(String, String, i64)> = tx
                        .prepare(&format!("PRAGMA table_info({name})"))?
                        .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(5)?)))?
                        .collect::<Result<_, _>>()?;
                    let mut key: Vec<(i64, String)> = cols
                        .iter()
                        .filter(|c| c.2 > 0)
                        .map(|c| (c.2, c.0.clone()))
                        .collect();
                    key.sort();
                    let shape = Shape {
                        columns: cols.drain(..).map(|(n, t, _)| (n, t)).collect(),
                        key: key.into_iter().map(|(_, n)| n).collect(),
                    };
                    out.insert(name, shape);
                }
                Ok(())
            })?;
        }
        AnyStore::Postgres(p) => p.read_conn(|c| {
            let rows = c
                .client
                .query(
                    "SELECT table_name::text, column_name::text, data_type::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     ORDER BY table_name, ordinal_position",
                    &[],
                )
                .map_err(pg_err)?;
            for r in rows {
                let (t, col, ty): (String, String, String) = (
                    r.try_get(0).map_err(pg_err)?,
                    r.try_get(1).map_err(pg_err)?,
                    r.try_get(2).map_err(pg_err)?,
                );
                if NOT_COPIED.contains(&t.as_str()) {
                    continue;
                }
                out.entry(t)
                    .or_insert_with(|| Shape {
                        columns: Vec::new(),
                        key: Vec::new(),
                    })
                    .columns
                    .push((col, ty));
            }
            for (t, shape) in out.iter_mut() {
                let keys = c
                    .client
                    .query(
                        "SELECT a.attname::text FROM pg_index i \
                         JOIN pg_attribute a ON a.attrelid = i.indrelid \
                         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, o) ON a.attnum = k.n \
                         WHERE i.indrelid = $1::text::regclass AND i.indisprimary ORDER BY k.o",
                        &[t],
                    )
                    .map_err(pg_err)?;
                shape.key = keys
                    .iter()
                    .map(|r| r.try_get(0).map_err(pg_err))
                    .collect::<anyhow::Result<_>>()?;
            }
            Ok(())
        })?,
    }
    Ok(out)
}

/// Runs a query of `width` columns in one read snapshot.
fn select_rows(store: &AnyStore, sql: &str, width: usize) -> anyhow::Result<Vec<Vec<Val>>> {
    match store {
        AnyStore::Sqlite(s) => s.db().read(|tx| {
            let mut stmt = tx.prepare(sql)?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let mut row = Vec::with_capacity(width);
                for i in 0..width {
                    use rusqlite::types::ValueRef;
                    row.push(match r.get_ref(i)? {
                        ValueRef::Null => Val::Null,
                        ValueRef::Integer(n) => Val::Integer(n),
                        ValueRef::Real(f) => Val::Real(f),
                        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
                    });
                }
                out.push(row);
            }
            Ok(out)
        }),
        AnyStore::Postgres(p) => p.read_conn(|c| {
            let rows = c.client.query(sql, &[]).map_err(pg_err)?;
            rows.iter()
                .map(|r| {
                    (0..width)
                        .map(|i| super::postgres::export::value(r, i))
                        .collect()
                })
                .collect()
        }),
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
    let values: Vec<String> = (1..=cols.len()).map(ph).collect();
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
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
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
        chain_of(std::slice::from_ref(&Table {
            name: t.name.clone(),
            columns: t.columns.clone(),
            key: Vec::new(),
            rows: rows.to_vec(),
        }))?
        .last()
        .cloned()
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
            let sql = upsert_sql(
                &t.name,
                &cols,
                &t.key,
                |i| format!("${i}"),
                "IS DISTINCT FROM",
            );
            let st = c.client.prepare(&sql).map_err(pg_err)?;
            let types: BTreeMap<&str, &str> = shape
                .columns
                .iter()
                .map(|(c, ty)| (c.as_str(), ty.as_str()))
                .collect();
            let mut n = 0u64;
            for r in rows {
                let args = keep
                    .iter()
                    .map(|&i| {
                        let col = t.columns[i].as_str();
                        let ty = types.get(col).copied().unwrap_or("text");
                        pg_param(&r[i], ty).map_err(|e| anyhow!("{}.{col}: {e}", t.name))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
                n += c.client.execute(&st, &refs).map_err(pg_err)?;
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
        assert!(check_prefix(&source, &[]).is_ok());
        assert!(check_prefix(&source, &chain(&["a", "b"])).is_ok());
        assert!(check_prefix(&source, &source).is_ok());
        assert!(check_prefix(&source, &chain(&["a", "x"])).is_err());
        assert!(check_prefix(&source, &chain(&["a", "b", "c", "d"])).is_err());
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
