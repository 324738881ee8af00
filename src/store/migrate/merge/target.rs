//! Where a merge writes: the target store's write transaction behind one small interface
//! ([`Target`]), on SQLite or on the team store, so the merge itself (`super`) is written once.

use super::super::{Shape, Table, Val, pg_param};
use crate::audit::{self, NewEvent};
use crate::key::KEY_LEN;
use crate::store::audit_sql;
use crate::store::postgres::chain::{PgChain, put_head};
use crate::store::postgres::{Conn, pg_err};
use anyhow::anyhow;
use postgres::types::ToSql;
use rusqlite::Transaction;
use std::collections::BTreeMap;

/// What an insert does with a row whose key is already in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Conflict {
    /// Fails (the transaction with it).
    Fail,
    /// Keeps the target's row and writes nothing.
    Ignore,
}

/// The target store's write transaction, as the merge writes it.
pub(super) trait Target {
    /// Appends `ev` at `ts_ms` to the target's chain and moves its signed head.
    fn append(&mut self, key: &[u8; KEY_LEN], ev: &NewEvent, ts_ms: i64) -> anyhow::Result<()>;
    /// Inserts the columns `keep` of `row` into `table`; the number of rows written.
    fn insert(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
        conflict: Conflict,
    ) -> anyhow::Result<u64>;
    /// Inserts the columns `keep` of `row` into `table` (its `id` left to the target);
    /// the new row's id.
    fn insert_returning_id(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
    ) -> anyhow::Result<i64>;
    /// Runs one statement with no parameters; the rows it changed.
    fn execute(&mut self, sql: &str) -> anyhow::Result<u64>;
    /// Ends the writes: whatever the target kept back (the team store's chain head) is
    /// written.
    fn finish(&mut self) -> anyhow::Result<()>;
}

/// A SQLite target.
pub(super) struct SqliteTarget<'a, 'c>(pub(super) &'a Transaction<'c>);

impl Target for SqliteTarget<'_, '_> {
    fn append(&mut self, key: &[u8; KEY_LEN], ev: &NewEvent, ts_ms: i64) -> anyhow::Result<()> {
        audit_sql::append(self.0, key, ev, ts_ms).map(|_| ())
    }

    fn insert(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
        conflict: Conflict,
    ) -> anyhow::Result<u64> {
        let verb = match conflict {
            Conflict::Fail => "INSERT",
            Conflict::Ignore => "INSERT OR IGNORE",
        };
        let sql = insert_sql(verb, table, keep, |i| format!("?{i}"), "");
        let args: Vec<Val> = keep.iter().map(|&i| row[i].clone()).collect();
        Ok(self
            .0
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(args))? as u64)
    }

    fn insert_returning_id(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
    ) -> anyhow::Result<i64> {
        self.insert(table, keep, row, Conflict::Fail)?;
        Ok(self.0.last_insert_rowid())
    }

    fn execute(&mut self, sql: &str) -> anyhow::Result<u64> {
        Ok(self.0.execute(sql, [])? as u64)
    }
    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A PostgreSQL target: the connection's write transaction, and the target's column types
/// (each value is sent as its column's type). Statements go through the connection's typed
/// path (one round trip each, prepared from their third use), and the chain's head is kept
/// from one append to the next (the transaction holds the write lock: nobody else moves it),
/// so an event costs one round trip, not three.
pub(super) struct PgTarget<'a> {
    conn: &'a mut Conn,
    shapes: &'a BTreeMap<String, Shape>,
    /// The head after this target's last append; `None` before the first (read then).
    head: Option<Option<audit::Head>>,
}

impl<'a> PgTarget<'a> {
    /// The target writing through `conn`'s open write transaction.
    pub(super) fn new(conn: &'a mut Conn, shapes: &'a BTreeMap<String, Shape>) -> Self {
        PgTarget {
            conn,
            shapes,
            head: None,
        }
    }
}

impl PgTarget<'_> {
    /// `row`'s values at `keep` as parameters of `table`'s column types.
    fn params(
        &self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
    ) -> anyhow::Result<Vec<Box<dyn ToSql + Sync>>> {
        let shape = self.shapes.get(&table.name);
        keep.iter()
            .map(|&i| {
                let col = table.columns[i].as_str();
                let ty = shape
                    .and_then(|s| s.columns.iter().find(|(c, _)| c == col))
                    .map_or("text", |(_, t)| t.as_str());
                pg_param(&row[i], ty).map_err(|e| anyhow!("{}.{col}: {e}", table.name))
            })
            .collect()
    }
}

impl Target for PgTarget<'_> {
    fn append(&mut self, key: &[u8; KEY_LEN], ev: &NewEvent, ts_ms: i64) -> anyhow::Result<()> {
        // The head is written once, by `finish`: moving it per event in this one long
        // transaction made a large merge quadratic (`PgChain::leaving_head`).
        let mut chain = PgChain::with_head(self.conn, self.head.take()).leaving_head();
        audit::append(&mut chain, key, ev, ts_ms)?;
        self.head = chain.signed_head().map(Some);
        Ok(())
    }

    fn insert(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
        conflict: Conflict,
    ) -> anyhow::Result<u64> {
        let tail = match conflict {
            Conflict::Fail => "",
            Conflict::Ignore => " ON CONFLICT DO NOTHING",
        };
        let sql = insert_sql("INSERT", table, keep, |i| format!("${i}"), tail);
        let args = self.params(table, keep, row)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
        self.conn.execute(&sql, &refs)
    }

    fn insert_returning_id(
        &mut self,
        table: &Table,
        keep: &[usize],
        row: &[Val],
    ) -> anyhow::Result<i64> {
        let sql = insert_sql("INSERT", table, keep, |i| format!("${i}"), " RETURNING id");
        let args = self.params(table, keep, row)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
        let r = self
            .conn
            .query_opt(&sql, &refs)?
            .ok_or_else(|| anyhow!("{}: the insert returned no id", table.name))?;
        r.try_get(0).map_err(pg_err)
    }

    fn execute(&mut self, sql: &str) -> anyhow::Result<u64> {
        self.conn.client.execute(sql, &[]).map_err(pg_err)
    }
    fn finish(&mut self) -> anyhow::Result<()> {
        match &self.head {
            Some(Some(head)) => put_head(self.conn, head),
            _ => Ok(()),
        }
    }
}

/// `verb INTO table (columns at keep) VALUES (placeholders)` and `tail`.
fn insert_sql(
    verb: &str,
    table: &Table,
    keep: &[usize],
    ph: fn(usize) -> String,
    tail: &str,
) -> String {
    let names: Vec<&str> = keep.iter().map(|&i| table.columns[i].as_str()).collect();
    let values: Vec<String> = (1..=keep.len()).map(ph).collect();
    format!(
        "{verb} INTO {} ({}) VALUES ({}){tail}",
        table.name,
        names.join(", "),
        values.join(", ")
    )
}
