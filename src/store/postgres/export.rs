//! A copy of the team store in a SQLite file, taken on one snapshot of the database: every
//! table the SQLite schema has, every row, every column as stored (the audit chain's hashes and
//! signed head included, so the copy verifies exactly as the team store does). The compliance
//! report reads a team store through it, so the report's queries have one implementation.

use super::{PgStore, pg_err};
use crate::store::Db;
use anyhow::{Context, bail};
use postgres::types::Type;
use rusqlite::types::Value;

/// Rows copied per table, in the order copied.
pub type Copied = Vec<(String, u64)>;

/// Copies every row of the team store into `db` (a store with the same schema version, whose
/// tables are empty but for what its migrations wrote: those rows are replaced).
pub fn to_sqlite(pg: &PgStore, db: &Db) -> anyhow::Result<Copied> {
    let version = pg.schema_version()?;
    let ours = db.schema_version()?;
    if version != ours {
        bail!(
            "the team store is at schema version {version}, this aiperture at {ours}: upgrade first"
        );
    }
    let tables = db.read(|tx| {
        let mut st = tx.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )?;
        let names = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(names.collect::<Result<Vec<_>, _>>()?)
    })?;
    let mut out = Vec::new();
    pg.read_conn(|conn| {
        db.write(|tx| {
            for table in &tables {
                let cols: Vec<String> = {
                    let mut st = tx.prepare(&format!("PRAGMA table_info({table})"))?;
                    let names = st.query_map([], |r| r.get::<_, String>(1))?;
                    names.collect::<Result<_, _>>()?
                };
                let list = cols.join(", ");
                let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                let mut insert = tx.prepare(&format!(
                    "INSERT OR REPLACE INTO {table} ({list}) VALUES ({})",
                    marks.join(", ")
                ))?;
                let rows = conn
                    .client
                    .query_raw(
                        &format!("SELECT {list} FROM {table}"),
                        std::iter::empty::<i64>(),
                    )
                    .map_err(pg_err)
                    .with_context(|| format!("reading {table} from the team store"))?;
                let mut n = 0u64;
                let mut rows = rows;
                while let Some(row) = fallible_next(&mut rows)? {
                    let values = (0..cols.len())
                        .map(|i| value(&row, i))
                        .collect::<anyhow::Result<Vec<Value>>>()
                        .with_context(|| format!("table {table}"))?;
                    insert.execute(rusqlite::params_from_iter(values))?;
                    n += 1;
                }
                out.push((table.clone(), n));
            }
            Ok(())
        })
    })?;
    Ok(out)
}

/// The next row of a streamed result.
fn fallible_next(rows: &mut postgres::RowIter<'_>) -> anyhow::Result<Option<postgres::Row>> {
    use postgres::fallible_iterator::FallibleIterator;
    rows.next().map_err(pg_err)
}

/// Column `i` of `row` as the SQLite value that stores it (also `store migrate`'s reader).
pub(crate) fn value(row: &postgres::Row, i: usize) -> anyhow::Result<Value> {
    let ty = row.columns()[i].type_().clone();
    let v = if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)
            .map(|v| v.map(Value::Integer))
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|n| Value::Integer(n.into())))
    } else if ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|n| Value::Integer(n.into())))
    } else if ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real))
    } else if ty == Type::FLOAT4 {
        row.try_get::<_, Option<f32>>(i)
            .map(|v| v.map(|f| Value::Real(f.into())))
    } else if ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)
            .map(|v| v.map(|b| Value::Integer(b.into())))
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)
            .map(|v| v.map(Value::Blob))
    } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(&ty) {
        row.try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text))
    } else {
        bail!(
            "column {} has type {ty}, which the copy does not carry",
            row.columns()[i].name()
        );
    };
    Ok(v.map_err(pg_err)?.unwrap_or(Value::Null))
}
