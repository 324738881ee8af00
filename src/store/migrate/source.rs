//! Reading a store's tables for a copy: their shapes (columns with declared types, primary
//! key) on either engine, and their rows, streamed in primary-key order in batches inside one
//! read transaction (one snapshot of the whole store), so a copy of a store of a million
//! checks holds one batch of rows in memory, not the store.

use super::{Shape, Table, Val};
use crate::store::AnyStore;
use crate::store::postgres::pg_err;
use anyhow::bail;
use std::collections::BTreeMap;

/// Every copied table of `store`, without rows, the audit chain first (so the rest of the
/// state never runs ahead of its events). A table without a primary key is an error.
pub(super) fn tables_of(store: &AnyStore) -> anyhow::Result<Vec<Table>> {
    let mut out = Vec::new();
    for (name, shape) in shapes(store)? {
        if shape.key.is_empty() {
            bail!("table `{name}` has no primary key: the copy cannot be made idempotent");
        }
        out.push(Table {
            name,
            columns: shape.columns.iter().map(|(c, _)| c.clone()).collect(),
            key: shape.key,
        });
    }
    out.sort_by_key(|t| t.name != "audit_events");
    Ok(out)
}

/// What [`stream`] hands each batch to: the table's (or query's) index, and the rows.
pub(super) type BatchSink<'a> = dyn FnMut(usize, &[Vec<Val>]) -> anyhow::Result<()> + 'a;

/// Streams the rows of each of `tables` (in primary-key order) to `f` with the table's index,
/// at most `batch` rows at a time, all inside one read transaction of `store` ([`stream_queries`]).
pub(super) fn stream(
    store: &AnyStore,
    tables: &[Table],
    batch: usize,
    f: &mut BatchSink<'_>,
) -> anyhow::Result<()> {
    let queries: Vec<(String, usize)> = tables
        .iter()
        .map(|t| (select_sql(t), t.columns.len()))
        .collect();
    stream_queries(store, &queries, batch, f)
}

/// Streams the rows of each of `queries` (a statement and its width) to `f` with the query's
/// index, at most `batch` rows at a time, all inside one read transaction of `store` (one
/// snapshot). On the team store that transaction has no statement or idle time limit (a copy
/// takes as long as its target needs to write).
pub(super) fn stream_queries(
    store: &AnyStore,
    queries: &[(String, usize)],
    batch: usize,
    f: &mut BatchSink<'_>,
) -> anyhow::Result<()> {
    let mut out = Batches {
        rows: Vec::new(),
        size: batch.max(1),
        sink: f,
    };
    match store {
        AnyStore::Sqlite(s) => s.db().read(|tx| {
            for (i, (sql, width)) in queries.iter().enumerate() {
                let mut stmt = tx.prepare(sql)?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    out.push(i, sqlite_row(r, *width)?)?;
                }
                out.end(i)?;
            }
            Ok(())
        }),
        AnyStore::Postgres(p) => p.read_conn(|c| {
            use postgres::fallible_iterator::FallibleIterator;
            c.client
                .batch_execute(
                    "SET LOCAL statement_timeout = 0; \
                     SET LOCAL idle_in_transaction_session_timeout = 0",
                )
                .map_err(pg_err)?;
            for (i, (sql, width)) in queries.iter().enumerate() {
                let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
                let mut rows = c.client.query_raw(sql.as_str(), none).map_err(pg_err)?;
                while let Some(r) = rows.next().map_err(pg_err)? {
                    let row = (0..*width)
                        .map(|k| crate::store::postgres::export::value(&r, k))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    out.push(i, row)?;
                }
                out.end(i)?;
            }
            Ok(())
        }),
    }
}

/// Rows gathered into batches of `size` for a [`BatchSink`].
struct Batches<'s, 'a> {
    rows: Vec<Vec<Val>>,
    size: usize,
    sink: &'s mut BatchSink<'a>,
}

impl Batches<'_, '_> {
    /// Adds a row of query `i`, handing the batch on when it is full.
    fn push(&mut self, i: usize, row: Vec<Val>) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= self.size {
            self.end(i)?;
        }
        Ok(())
    }

    /// Hands on what query `i` left (its last, partial batch).
    fn end(&mut self, i: usize) -> anyhow::Result<()> {
        if !self.rows.is_empty() {
            (self.sink)(i, &self.rows)?;
            self.rows.clear();
        }
        Ok(())
    }
}

/// The statement reading a table's rows in primary-key order.
pub(super) fn select_sql(t: &Table) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.columns.join(", "),
        t.name,
        t.key.join(", ")
    )
}

/// One SQLite row of `width` columns as values in transit.
fn sqlite_row(r: &rusqlite::Row<'_>, width: usize) -> rusqlite::Result<Vec<Val>> {
    use rusqlite::types::ValueRef;
    (0..width)
        .map(|i| {
            Ok(match r.get_ref(i)? {
                ValueRef::Null => Val::Null,
                ValueRef::Integer(n) => Val::Integer(n),
                ValueRef::Real(f) => Val::Real(f),
                ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Val::Blob(b.to_vec()),
            })
        })
        .collect()
}

/// The copied tables of a store and their shapes.
pub(super) fn shapes(store: &AnyStore) -> anyhow::Result<BTreeMap<String, Shape>> {
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
                    .filter(|n| !super::NOT_COPIED.contains(&n.as_str()))
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
                if super::NOT_COPIED.contains(&t.as_str()) {
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
pub(super) fn select_rows(
    store: &AnyStore,
    sql: &str,
    width: usize,
) -> anyhow::Result<Vec<Vec<Val>>> {
    match store {
        AnyStore::Sqlite(s) => s.db().read(|tx| {
            let mut stmt = tx.prepare(sql)?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(sqlite_row(r, width)?);
            }
            Ok(out)
        }),
        AnyStore::Postgres(p) => p.read_conn(|c| {
            let rows = c.client.query(sql, &[]).map_err(pg_err)?;
            rows.iter()
                .map(|r| {
                    (0..width)
                        .map(|i| crate::store::postgres::export::value(r, i))
                        .collect()
                })
                .collect()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[test]
    fn a_table_streams_in_key_order_a_batch_at_a_time_from_one_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::Sqlite(SqliteStore::open(&dir.path().join("s.db")).unwrap());
        let AnyStore::Sqlite(s) = &store else {
            unreachable!()
        };
        let other = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        s.db()
            .write(|tx| {
                // Inserted out of key order.
                for i in (0..1234i64).rev() {
                    tx.execute(
                        "INSERT INTO presets (project, name, ts_ms, who) VALUES (?1, 'p', ?2, 'x')",
                        rusqlite::params![format!("/srv/{i:05}"), i],
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let tables: Vec<Table> = tables_of(&store)
            .unwrap()
            .into_iter()
            .filter(|t| t.name == "presets" || t.name == "audit_events")
            .collect();
        assert_eq!(tables[0].name, "audit_events", "the chain streams first");
        let mut seen: Vec<String> = Vec::new();
        let mut sizes = Vec::new();
        stream(&store, &tables, 100, &mut |i, rows| {
            assert_eq!(tables[i].name, "presets");
            sizes.push(rows.len());
            let at = tables[i]
                .columns
                .iter()
                .position(|c| c == "project")
                .unwrap();
            for r in rows {
                let Val::Text(p) = &r[at] else {
                    panic!("{r:?}")
                };
                seen.push(p.clone());
                // Written through another connection while the copy reads: committed, and
                // not in the copy's snapshot.
                if seen.len() == 1 {
                    other
                        .db()
                        .write(|tx| {
                            tx.execute(
                                "INSERT INTO presets (project, name, ts_ms, who) \
                                 VALUES ('/srv/late', 'p', 0, 'x')",
                                [],
                            )?;
                            Ok(())
                        })
                        .unwrap();
                }
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 1234);
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "primary-key order");
        assert!(sizes.iter().all(|&n| n <= 100), "{sizes:?}");
        assert_eq!(sizes.len(), 13);
        let now = select_rows(&store, "SELECT count(*) FROM presets", 1).unwrap();
        assert_eq!(now[0][0], Val::Integer(1235));
    }
}
