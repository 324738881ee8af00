//! The audit chain in PostgreSQL: the `audit_events` and `audit_head` tables behind the
//! chain's ports ([`ChainSink`], [`ChainSource`]), and verification over a [`PgStore`].
//!
//! The rules are [`crate::audit`]'s; this module only moves rows. Appends run inside a write
//! transaction that holds the store's write lock ([`super::WRITE_LOCK`], taken before the head
//! is read), which is what serializes appenders across machines; reads run in one
//! `REPEATABLE READ` transaction, one consistent snapshot.

use super::batch::Deferred;
use super::{Conn, PgStore, pg_err};
use crate::audit::{
    self, AuditEvent, ChainSink, ChainSource, Head, ListFilter, Manifest, VerifyReport,
};
use crate::key::KEY_LEN;
use anyhow::anyhow;
use postgres::fallible_iterator::FallibleIterator;
use serde_json::Value;

/// The chain as seen from one transaction on a connection.
pub struct PgChain<'a> {
    conn: &'a mut Conn,
    /// The head as an earlier statement of this transaction read it (under the write lock),
    /// handed out once instead of reading it again.
    primed: Option<Option<Head>>,
    /// Writes of the same transaction sent with the next event's insert (one round trip).
    carried: Deferred,
    /// False when the caller writes the head itself once its appends are done
    /// ([`PgChain::leaving_head`], [`put_head`]).
    moves_head: bool,
    /// The head the last insert signed (written, or left for [`put_head`]).
    signed: Option<Head>,
}

impl<'a> PgChain<'a> {
    /// The chain in the connection's current transaction.
    pub(crate) fn new(conn: &'a mut Conn) -> Self {
        PgChain {
            conn,
            primed: None,
            carried: Deferred::default(),
            moves_head: true,
            signed: None,
        }
    }

    /// The chain with its head already read in this transaction, after the write lock was
    /// taken (so no other appender can have moved it since).
    pub(crate) fn with_head(conn: &'a mut Conn, head: Option<Option<Head>>) -> Self {
        PgChain {
            conn,
            primed: head,
            carried: Deferred::default(),
            moves_head: true,
            signed: None,
        }
    }

    /// The chain whose next insert also runs `writes` (before the event, in one statement).
    pub(crate) fn carrying(mut self, writes: Deferred) -> Self {
        self.carried = writes;
        self
    }

    /// The chain whose inserts leave the stored head where it is: for a transaction that
    /// appends many events and then writes the last head once ([`put_head`]). Every update
    /// of the head row inside one transaction leaves a row version that the next one walks
    /// past until commit, so moving it per event made a long append quadratic (a merge of
    /// 200,000 events: minutes).
    pub(crate) fn leaving_head(mut self) -> Self {
        self.moves_head = false;
        self
    }

    /// The head the last append signed: where the transaction's next append continues.
    pub(crate) fn signed_head(self) -> Option<Head> {
        self.signed
    }
}

/// Writes `head` as the chain's signed head, in the connection's current transaction.
pub(crate) fn put_head(conn: &mut Conn, head: &Head) -> anyhow::Result<()> {
    let seq = i64::try_from(head.seq).map_err(|_| anyhow!("audit seq {} too large", head.seq))?;
    conn.execute(
        "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
         mac = excluded.mac",
        &[&seq, &head.hash, &head.mac],
    )?;
    Ok(())
}

/// The head's columns as the snapshot statement returns them (`[seq, hash, mac]` as JSON
/// text, or none when there is no head).
pub(crate) const HEAD_JSON_SQL: &str =
    "(SELECT json_build_array(seq, hash, mac)::text FROM audit_head WHERE id = 1)";

/// Reads [`HEAD_JSON_SQL`]'s value.
pub(crate) fn head_of_json(text: Option<&str>) -> anyhow::Result<Option<Head>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(text)?;
    let field = |i: usize| {
        v.get(i)
            .ok_or_else(|| anyhow!("audit head without field {i}"))
    };
    Ok(Some(Head {
        seq: field(0)?
            .as_u64()
            .ok_or_else(|| anyhow!("audit head seq is not a number"))?,
        hash: field(1)?
            .as_str()
            .ok_or_else(|| anyhow!("audit head hash is not text"))?
            .to_string(),
        mac: field(2)?
            .as_str()
            .ok_or_else(|| anyhow!("audit head mac is not text"))?
            .to_string(),
    }))
}

fn head(conn: &mut Conn) -> anyhow::Result<Option<Head>> {
    let Some(r) = conn.query_opt("SELECT seq, hash, mac FROM audit_head WHERE id = 1", &[])? else {
        return Ok(None);
    };
    let seq: i64 = r.try_get(0).map_err(pg_err)?;
    Ok(Some(Head {
        seq: u64::try_from(seq).unwrap_or(0),
        hash: r.try_get(1).map_err(pg_err)?,
        mac: r.try_get(2).map_err(pg_err)?,
    }))
}

impl ChainSink for PgChain<'_> {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        match self.primed.take() {
            Some(h) => Ok(h),
            None => head(self.conn),
        }
    }

    fn last_event(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        let Some(r) = self.conn.query_opt(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        else {
            return Ok(None);
        };
        let seq: i64 = r.try_get(0).map_err(pg_err)?;
        Ok(Some((
            u64::try_from(seq).unwrap_or(0),
            r.try_get(1).map_err(pg_err)?,
        )))
    }

    fn insert(
        &mut self,
        e: &AuditEvent,
        details_json: &str,
        new_head_mac: &str,
    ) -> anyhow::Result<()> {
        let seq = i64::try_from(e.seq).map_err(|_| anyhow!("audit seq {} too large", e.seq))?;
        // One statement (one round trip): the writes carried, the event, and (unless the
        // caller writes it later) the head moved onto it.
        const EVENT: &str = "INSERT INTO audit_events (seq, ts_ms, event_type, actor_type, \
             actor, runtime, session_id, project, entity, summary, details, prev_hash, hash, \
             principal, host) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
        let params: [&(dyn postgres::types::ToSql + Sync); 16] = [
            &seq,
            &e.ts_ms,
            &e.event_type,
            &e.actor_type,
            &e.actor,
            &e.runtime,
            &e.session_id,
            &e.project,
            &e.entity,
            &e.summary,
            &details_json,
            &e.prev_hash,
            &e.hash,
            &e.principal,
            &e.host,
            &new_head_mac,
        ];
        let carried = self.carried.take();
        let (sql, params) = if self.moves_head {
            let main = format!(
                "WITH e AS ({EVENT} RETURNING seq, hash) \
                 INSERT INTO audit_head (id, seq, hash, mac) SELECT 1, seq, hash, $16 FROM e \
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                 mac = excluded.mac"
            );
            carried.before(&main, &params)
        } else {
            carried.before(EVENT, &params[..15])
        };
        self.conn
            .execute(&sql, &params)
            .map_err(|err| err.context(format!("cannot append audit event {seq}")))?;
        self.signed = Some(Head {
            seq: e.seq,
            hash: e.hash.clone(),
            mac: new_head_mac.to_string(),
        });
        Ok(())
    }
}

const COLUMNS: &str = "seq, ts_ms, event_type, actor_type, actor, runtime, session_id, project, \
                       entity, summary, details, prev_hash, hash, principal, host";

/// One row of [`COLUMNS`], `details` left null and returned beside the event.
fn row_event(r: &postgres::Row) -> anyhow::Result<(AuditEvent, String)> {
    let g = |i: usize| -> anyhow::Result<String> { r.try_get(i).map_err(pg_err) };
    let seq: i64 = r.try_get(0).map_err(pg_err)?;
    Ok((
        AuditEvent {
            seq: u64::try_from(seq).unwrap_or(0),
            ts_ms: r.try_get(1).map_err(pg_err)?,
            event_type: g(2)?,
            actor_type: g(3)?,
            actor: g(4)?,
            runtime: g(5)?,
            session_id: g(6)?,
            project: g(7)?,
            principal: g(13)?,
            host: g(14)?,
            entity: g(8)?,
            summary: g(9)?,
            details: Value::Null,
            prev_hash: g(11)?,
            hash: g(12)?,
        },
        g(10)?,
    ))
}

impl ChainSource for PgChain<'_> {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        head(self.conn)
    }

    fn scan(
        &mut self,
        visit: &mut dyn FnMut(AuditEvent, String) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events ORDER BY seq");
        let st = self.conn.stmt(&sql)?;
        let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        // Streams the rows (the portal is read as it goes), so memory stays constant.
        let mut rows = self
            .conn
            .client
            .query_raw(&st, none.iter().copied())
            .map_err(pg_err)?;
        while let Some(r) = rows.next().map_err(pg_err)? {
            let (e, details) = row_event(&r)?;
            visit(e, details)?;
        }
        Ok(())
    }
}

/// Verifies the whole chain and its signed head from one snapshot (streaming). Without a key
/// the head's signature is not checked.
pub fn verify(store: &PgStore, key: Option<&[u8; KEY_LEN]>) -> anyhow::Result<VerifyReport> {
    store.read_conn(|c| audit::verify(&mut PgChain::new(c), key))
}

/// The number of events in the chain.
pub fn count(store: &PgStore) -> anyhow::Result<u64> {
    count_rows(store, "SELECT count(*) FROM audit_events")
}

/// The count a `SELECT count(*) …` statement returns, read in one read transaction.
fn count_rows(store: &PgStore, sql: &str) -> anyhow::Result<u64> {
    store.read_conn(|c| {
        let r = c.client.query_one(sql, &[]).map_err(pg_err)?;
        let n: i64 = r.try_get(0).map_err(pg_err)?;
        Ok(n.max(0) as u64)
    })
}

/// Re-anchors a head that does not verify ([`audit::reseal`]) in one write transaction;
/// `Ok(None)` when the head is sound.
pub fn reseal(
    store: &PgStore,
    key: &[u8; KEY_LEN],
    actor: &str,
    now_ms: i64,
) -> anyhow::Result<Option<AuditEvent>> {
    store.write_conn(|c| audit::reseal(&mut PgChain::new(c), key, actor, now_ms))
}

/// The whole store check behind `aiperture audit verify`, as on SQLite
/// ([`crate::store::integrity::verify_store`]): the chain, then, when it is intact, the
/// learned state against it, all from one snapshot.
pub fn verify_store(store: &PgStore, key: Option<&[u8; KEY_LEN]>) -> anyhow::Result<VerifyReport> {
    store.read_conn(|c| {
        let mut report = audit::verify(&mut PgChain::new(c), key)?;
        if report.intact
            && let Some(m) = super::integrity::cross_check(c)?.into_iter().next()
        {
            report.intact = false;
            report.problem = Some(m.problem);
        }
        Ok(report)
    })
}

/// Writes the whole chain as JSON Lines plus a manifest line, from one snapshot
/// ([`audit::export`], the same format as SQLite's).
pub fn export(
    store: &PgStore,
    out: &mut dyn std::io::Write,
    now_ms: i64,
) -> anyhow::Result<Manifest> {
    store.read_conn(|c| audit::export(&mut PgChain::new(c), out, now_ms))
}

/// Lists events, newest first, with optional filters (as `crate::store::audit_sql::list`).
pub fn list(store: &PgStore, filter: &ListFilter) -> anyhow::Result<Vec<AuditEvent>> {
    let since = filter.since_ms;
    let limit = filter.limit.map(|n| n.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE ($1::BIGINT IS NULL OR ts_ms >= $1) \
         AND ($2::TEXT IS NULL OR event_type = $2) AND ($3::TEXT IS NULL OR session_id = $3) \
         ORDER BY seq DESC LIMIT $4"
    );
    store.read_conn(|c| {
        let rows = c
            .client
            .query(
                &sql,
                &[&since, &filter.event_type, &filter.session_id, &limit],
            )
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let (mut e, details) = row_event(r)?;
                e.details = audit::parse_details(&details);
                Ok(e)
            })
            .collect()
    })
}

/// Runs `sql` (selecting [`COLUMNS`]) with `params` on one snapshot; the events, details parsed.
fn events_of(
    store: &PgStore,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> anyhow::Result<Vec<AuditEvent>> {
    store.read_conn(|c| {
        let rows = c.client.query(sql, params).map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                let (mut e, details) = row_event(r)?;
                e.details = audit::parse_details(&details);
                Ok(e)
            })
            .collect()
    })
}

/// The event at `seq`, if the chain has one (as `crate::store::audit_sql::get`).
pub fn get(store: &PgStore, seq: u64) -> anyhow::Result<Option<AuditEvent>> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq = $1");
    Ok(events_of(store, &sql, &[&seq])?.into_iter().next())
}

/// The newest `limit` events about `entity` whose type starts with `type_prefix`, newest
/// first (as `crate::store::audit_sql::by_entity`).
pub fn by_entity(
    store: &PgStore,
    type_prefix: &str,
    entity: &str,
    limit: u64,
) -> anyhow::Result<Vec<AuditEvent>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE entity = $1 \
         AND left(event_type, length($2)) = $2 ORDER BY seq DESC LIMIT $3"
    );
    events_of(store, &sql, &[&entity, &type_prefix, &limit])
}

/// The number of learned patterns (the server's `/metrics` gauge).
pub fn pattern_count(store: &PgStore) -> anyhow::Result<u64> {
    count_rows(store, "SELECT count(*) FROM patterns")
}
