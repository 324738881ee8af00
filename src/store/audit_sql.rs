//! The audit chain in SQLite: the `audit_events` and `audit_head` tables behind the chain's
//! ports ([`crate::audit::ChainSink`], [`crate::audit::ChainSource`]), and the calls the
//! command line and the engine make on a [`Db`].
//!
//! The chain's rules (linking, hashing, the signed head, verification, the export format) are
//! in [`crate::audit`]; this module only moves rows. Appends run inside the caller's
//! `BEGIN IMMEDIATE` transaction ([`Db::write`]), which is what serializes appenders; reads
//! run in one read transaction ([`Db::read`]), one consistent snapshot. Every statement on the
//! append path is a cached prepared statement and a keyed lookup or insert.

use anyhow::anyhow;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;
use std::io::Write;

use super::Db;
use crate::audit::{
    self, AuditEvent, ChainSink, ChainSource, Head, ListFilter, Manifest, NewEvent, VerifyReport,
};
use crate::key::KEY_LEN;

/// The chain in one SQLite transaction: a [`ChainSink`] inside a write (`BEGIN IMMEDIATE`)
/// transaction, a [`ChainSource`] inside any transaction.
pub struct SqlChain<'a> {
    tx: &'a Transaction<'a>,
}

impl<'a> SqlChain<'a> {
    /// The chain as seen from `tx`.
    pub fn new(tx: &'a Transaction<'a>) -> Self {
        SqlChain { tx }
    }
}

impl ChainSink for SqlChain<'_> {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        head(self.tx)
    }

    fn last_event(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        let last: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(last.map(|(s, h)| (u64::try_from(s).unwrap_or(0), h)))
    }

    fn has_events(&mut self) -> anyhow::Result<bool> {
        let any: Option<i64> = self
            .tx
            .prepare_cached("SELECT seq FROM audit_events LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(any.is_some())
    }

    fn insert(
        &mut self,
        e: &AuditEvent,
        details_json: &str,
        new_head_mac: &str,
    ) -> anyhow::Result<()> {
        let seq = e.seq;
        self.tx
            .prepare_cached(
                "INSERT INTO audit_events (seq, ts_ms, event_type, actor_type, actor, runtime, \
                 session_id, project, entity, summary, details, prev_hash, hash, principal, host) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                seq as i64,
                e.ts_ms,
                e.event_type,
                e.actor_type,
                e.actor,
                e.runtime,
                e.session_id,
                e.project,
                e.entity,
                e.summary,
                details_json,
                e.prev_hash,
                e.hash,
                e.principal,
                e.host,
            ])
            .map_err(|err| anyhow!("cannot append audit event {seq}: {err}"))?;
        self.tx
            .prepare_cached(
                "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?1, ?2, ?3) \
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                 mac = excluded.mac",
            )?
            .execute(params![seq as i64, e.hash, new_head_mac])?;
        Ok(())
    }
}

impl ChainSource for SqlChain<'_> {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        head(self.tx)
    }

    fn scan(
        &mut self,
        visit: &mut dyn FnMut(AuditEvent, String) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut stmt = self
            .tx
            .prepare(&format!("SELECT {COLUMNS} FROM audit_events ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (e, details) = row_event_unparsed(r)?;
            visit(e, details)?;
        }
        Ok(())
    }
}

/// The stored head.
pub fn head(conn: &Connection) -> anyhow::Result<Option<Head>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash, mac FROM audit_head WHERE id = 1")?
        .query_row([], |r| {
            Ok(Head {
                seq: r.get::<_, i64>(0)? as u64,
                hash: r.get(1)?,
                mac: r.get(2)?,
            })
        })
        .optional()?)
}

/// Appends one event inside the caller's write transaction and moves the signed head
/// ([`audit::append`] over this store).
pub fn append(
    tx: &Transaction,
    key: &[u8; KEY_LEN],
    ev: &NewEvent,
    now_ms: i64,
) -> anyhow::Result<AuditEvent> {
    audit::append(&mut SqlChain::new(tx), key, ev, now_ms)
}

/// Re-anchors a head that does not verify, inside the caller's write transaction
/// ([`audit::reseal`] over this store); `Ok(None)` when the head is sound.
pub fn reseal(
    tx: &Transaction,
    key: &[u8; KEY_LEN],
    actor: &str,
    now_ms: i64,
) -> anyhow::Result<Option<AuditEvent>> {
    audit::reseal(&mut SqlChain::new(tx), key, actor, now_ms)
}

/// Verifies the whole chain in the store (streaming, constant memory) and its signed head,
/// from one read snapshot. Without a key the head's signature is not checked.
pub fn verify(db: &Db, key: Option<&[u8; KEY_LEN]>) -> anyhow::Result<VerifyReport> {
    db.read(|tx| audit::verify(&mut SqlChain::new(tx), key))
}

/// Writes the whole chain as JSON Lines plus a manifest line, from one read snapshot
/// ([`audit::export`] over this store).
pub fn export(db: &Db, out: &mut dyn Write, now_ms: i64) -> anyhow::Result<Manifest> {
    db.read(|tx| audit::export(&mut SqlChain::new(tx), out, now_ms))
}

const COLUMNS: &str = "seq, ts_ms, event_type, actor_type, actor, runtime, session_id, project, \
                       entity, summary, details, prev_hash, hash, principal, host";

/// Reads one row of [`COLUMNS`] with `details` parsed ([`audit::parse_details`]).
fn row_event(r: &rusqlite::Row) -> rusqlite::Result<AuditEvent> {
    let (mut e, details) = row_event_unparsed(r)?;
    e.details = audit::parse_details(&details);
    Ok(e)
}

/// Reads one row of [`COLUMNS`], leaving `details` null and returning the stored text beside
/// it: verification hashes the stored text only, so it need not parse it (the report verifies
/// millions of events).
fn row_event_unparsed(r: &rusqlite::Row) -> rusqlite::Result<(AuditEvent, String)> {
    let details: String = r.get(10)?;
    Ok((
        AuditEvent {
            seq: r.get::<_, i64>(0)? as u64,
            ts_ms: r.get(1)?,
            event_type: r.get(2)?,
            actor_type: r.get(3)?,
            actor: r.get(4)?,
            runtime: r.get(5)?,
            session_id: r.get(6)?,
            project: r.get(7)?,
            principal: r.get(13)?,
            host: r.get(14)?,
            entity: r.get(8)?,
            summary: r.get(9)?,
            details: Value::Null,
            prev_hash: r.get(11)?,
            hash: r.get(12)?,
        },
        details,
    ))
}

/// Lists events, newest first, with optional filters.
pub fn list(db: &Db, filter: &ListFilter) -> anyhow::Result<Vec<AuditEvent>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = filter.since_ms {
        args.push(s.into());
        sql.push_str(&format!(" AND ts_ms >= ?{}", args.len()));
    }
    if let Some(t) = &filter.event_type {
        args.push(t.clone().into());
        sql.push_str(&format!(" AND event_type = ?{}", args.len()));
    }
    if let Some(s) = &filter.session_id {
        args.push(s.clone().into());
        sql.push_str(&format!(" AND session_id = ?{}", args.len()));
    }
    sql.push_str(" ORDER BY seq DESC");
    if let Some(n) = filter.limit {
        args.push((n.min(i64::MAX as u64) as i64).into());
        sql.push_str(&format!(" LIMIT ?{}", args.len()));
    }
    db.read(|tx| {
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), row_event)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    })
}

/// The event at `seq`, if the chain has one.
pub fn get(db: &Db, seq: u64) -> anyhow::Result<Option<AuditEvent>> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    db.read(|tx| {
        let mut stmt = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq = ?1"
        ))?;
        let mut rows = stmt.query_map([seq], row_event)?;
        Ok(rows.next().transpose()?)
    })
}

/// The newest `limit` events about `entity` whose type starts with `type_prefix` (e.g.
/// `grant.`), newest first.
pub fn by_entity(
    db: &Db,
    type_prefix: &str,
    entity: &str,
    limit: u64,
) -> anyhow::Result<Vec<AuditEvent>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    db.read(|tx| {
        let mut stmt = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE entity = ?1 \
             AND substr(event_type, 1, length(?2)) = ?2 ORDER BY seq DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(rusqlite::params![entity, type_prefix, limit], row_event)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    })
}

/// Up to `limit` events with `seq` above `after`, oldest first (what an audit sink has not
/// taken yet; `src/cli/sinks.rs`).
pub fn events_after(db: &Db, after: u64, limit: u32) -> anyhow::Result<Vec<AuditEvent>> {
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    db.read(|tx| {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(rusqlite::params![after, limit], row_event)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// The number of events in the chain.
pub fn count(db: &Db) -> anyhow::Result<u64> {
    db.read(|tx| {
        let n: i64 = tx.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0))?;
        Ok(n as u64)
    })
}

#[cfg(test)]
mod tests;
