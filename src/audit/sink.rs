//! The two ports a store implements to hold a chain — [`ChainSink`] to append, [`ChainSource`]
//! to read it back in order — and the chain's rules over them: [`append`] (continue from the
//! signed head, never from whatever rows remain) and [`verify`] (every event, then the head).
//!
//! The rules live here once; a store only moves rows. The SQLite store implements both ports
//! in `src/store/audit_sql.rs`; a PostgreSQL store implements the same two traits.

use anyhow::anyhow;
use serde_json::Value;

use super::{
    AuditEvent, Checker, GENESIS, Head, NewEvent, VerifyReport, canonical_json, hash_of, head_mac,
    head_mac_ok,
};
use crate::error::GateError;
use crate::key::KEY_LEN;

/// Where a chain's appends go: the signed head, the newest event present, and one insert that
/// stores an event and moves the head to it.
///
/// # Atomicity the implementor must give
///
/// One [`append`] (or [`super::reseal`]) calls [`head`](ChainSink::head) (and, when there is
/// no head, [`has_events`](ChainSink::has_events) or [`last_event`](ChainSink::last_event)),
/// then [`insert`](ChainSink::insert) once. All of these must run in **one transaction that
/// serializes appenders**: from the head read to the commit, no other appender may read the
/// head or insert, or two appends continue from the same head and the chain forks (or one is
/// lost). The caller commits or rolls back that transaction; `insert` must store the event and
/// the new head both or neither.
///
/// - SQLite: the caller's `BEGIN IMMEDIATE` transaction (one writer at a time) gives this.
/// - PostgreSQL: lock before reading the head — `SELECT … FROM audit_head WHERE id = 1 FOR
///   UPDATE` on a head row that always exists (a missing row cannot be locked, so the first
///   append needs the row created beforehand, or a transaction-scoped advisory lock or a
///   `LOCK TABLE audit_head IN EXCLUSIVE MODE` instead), then insert in the same transaction.
///   `SERIALIZABLE` alone is not enough unless the caller retries on serialization failures.
///   A unique key on `seq` is a last line of defence, not the serialization.
pub trait ChainSink {
    /// The signed head as stored, or `None` when there is none.
    fn head(&mut self) -> anyhow::Result<Option<Head>>;

    /// The event with the highest `seq` present, as `(seq, hash)`, or `None` when there is none
    /// (only read when the head is missing or did not verify: not on the hot path).
    fn last_event(&mut self) -> anyhow::Result<Option<(u64, String)>>;

    /// Whether any event is stored (read when there is no head: a missing head with events
    /// present is tampering). The default asks [`last_event`](ChainSink::last_event).
    fn has_events(&mut self) -> anyhow::Result<bool> {
        Ok(self.last_event()?.is_some())
    }

    /// Stores `event` — with `details_json` as its details, the exact text its hash covers
    /// (`event.details` is not looked at) — and moves the head to
    /// `(event.seq, event.hash, new_head_mac)`, inside the transaction that read the head.
    /// A store refuses a second event with the same `seq`.
    fn insert(
        &mut self,
        event: &AuditEvent,
        details_json: &str,
        new_head_mac: &str,
    ) -> anyhow::Result<()>;
}

/// A chain read back: every event in `seq` order, and the signed head.
///
/// Both must come from **one consistent snapshot** (a read transaction), so that events
/// appended meanwhile are neither half-seen nor reported as "added after the signed head".
pub trait ChainSource {
    /// The signed head as stored, or `None` when there is none.
    fn head(&mut self) -> anyhow::Result<Option<Head>>;

    /// Calls `visit` with every stored event in ascending `seq` order, streaming (constant
    /// memory): the event with `details` left null, and the stored details text beside it (the
    /// text its hash covers; parse it with [`super::parse_details`] to show it). Stops at, and
    /// returns, the first error from the store or from `visit`.
    fn scan(
        &mut self,
        visit: &mut dyn FnMut(AuditEvent, String) -> anyhow::Result<()>,
    ) -> anyhow::Result<()>;
}

/// Appends one event through `sink` and moves the signed head; `sink` must be inside a
/// transaction that serializes appenders (see [`ChainSink`]).
///
/// The new event continues from the signed head, never from whatever rows remain, so an
/// attacker who deleted the newest events cannot have the next append paper over the gap.
/// A head whose MAC does not verify (or a missing head with events present) is an error:
/// the caller fails closed and `aiperture audit verify` says what is wrong.
pub fn append(
    sink: &mut (impl ChainSink + ?Sized),
    key: &[u8; KEY_LEN],
    ev: &NewEvent,
    now_ms: i64,
) -> anyhow::Result<AuditEvent> {
    let (prev_seq, prev_hash) = match sink.head()? {
        Some(Head { seq, hash, mac }) => {
            if !head_mac_ok(key, seq, &hash, &mac) {
                return Err(GateError::integrity(
                    "audit chain head does not verify (tampered, or the key changed); \
                     run `aiperture audit verify`",
                )
                .into());
            }
            (seq, hash)
        }
        None => {
            if sink.has_events()? {
                return Err(GateError::integrity(
                    "audit chain head is missing while events exist (tampered); \
                     run `aiperture audit verify`",
                )
                .into());
            }
            (0, GENESIS.to_string())
        }
    };
    let seq = prev_seq
        .checked_add(1)
        .ok_or_else(|| anyhow!("audit chain head seq {prev_seq} cannot grow"))?;
    write_event(sink, key, seq, prev_hash, ev, now_ms)
}

/// Makes event `seq` linked to `prev_hash`, hashes it, signs the new head and has `sink`
/// store both.
pub(super) fn write_event(
    sink: &mut (impl ChainSink + ?Sized),
    key: &[u8; KEY_LEN],
    seq: u64,
    prev_hash: String,
    ev: &NewEvent,
    now_ms: i64,
) -> anyhow::Result<AuditEvent> {
    let details_json = canonical_json(&ev.details);
    let mut e = AuditEvent {
        seq,
        ts_ms: now_ms,
        event_type: ev.event_type.clone(),
        actor_type: ev.actor_type.as_str().to_string(),
        actor: ev.actor.clone(),
        runtime: ev.runtime.clone(),
        session_id: ev.session_id.clone(),
        project: ev.project.clone(),
        principal: ev.principal.clone(),
        host: ev.host.clone(),
        entity: ev.entity.clone(),
        summary: ev.summary.clone(),
        details: Value::Null,
        prev_hash,
        hash: String::new(),
    };
    e.hash = hash_of(&e, &details_json);
    let mac = head_mac(key, seq, &e.hash);
    sink.insert(&e, &details_json, &mac)?;
    e.details = ev.details.clone();
    Ok(e)
}

/// Verifies a whole chain read from `source` (streaming, constant memory) and its signed head.
/// Without a key the head's signature is not checked (`mac_checked` is false).
pub fn verify(
    source: &mut (impl ChainSource + ?Sized),
    key: Option<&[u8; KEY_LEN]>,
) -> anyhow::Result<VerifyReport> {
    let mut checker = Checker::new();
    source.scan(&mut |e, details| {
        checker.push(&e, &details);
        Ok(())
    })?;
    Ok(checker.finish(source.head()?, key))
}
