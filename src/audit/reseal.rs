//! Re-anchoring a chain whose signed head no longer verifies (key replaced, head tampered),
//! so that appends — and therefore hook calls — work again, with the break on record.
//!
//! A reseal appends one `audit.resealed` event by a human, linked to the last event actually
//! present, numbered after both that event and the old head (so a truncation stays a visible
//! gap for [`super::verify`]), and signs a new head with the current key. Its details keep the
//! old head and the problem found. It never edits or removes an event. It writes through a
//! [`ChainSink`], with the same atomicity as an append.

use anyhow::bail;
use serde_json::json;

use super::sink::write_event;
use super::{ActorType, AuditEvent, ChainSink, GENESIS, Head, NewEvent, head_mac_ok};
use crate::key::KEY_LEN;

/// The event type of a reseal.
pub const RESEALED: &str = "audit.resealed";

/// Re-anchors the head if it does not verify with `key` or does not match the last event;
/// `Ok(None)` when the head is sound (nothing to do). `sink` must be inside a transaction that
/// serializes appenders (see [`ChainSink`]).
pub fn reseal(
    sink: &mut (impl ChainSink + ?Sized),
    key: &[u8; KEY_LEN],
    actor: &str,
    now_ms: i64,
) -> anyhow::Result<Option<AuditEvent>> {
    let last = sink.last_event()?;
    let (last_seq, last_hash) = match &last {
        Some((s, h)) => (*s, h.clone()),
        None => (0, GENESIS.to_string()),
    };
    let old = sink.head()?;
    let problem = match &old {
        None if last.is_none() => return Ok(None),
        None => "the signed chain head was missing".to_string(),
        Some(Head { seq, hash, mac }) if !head_mac_ok(key, *seq, hash, mac) => {
            "the chain head's signature did not verify (forged head, or the key changed)".into()
        }
        Some(Head { seq, hash, .. }) if *seq != last_seq || *hash != last_hash => format!(
            "the signed head (seq {seq}) did not match the last event present (seq {last_seq})"
        ),
        Some(_) => return Ok(None),
    };
    let old_seq = old.as_ref().map_or(0, |h| h.seq);
    let Some(seq) = last_seq.max(old_seq).checked_add(1) else {
        bail!("audit chain seq cannot grow past {}", last_seq.max(old_seq));
    };
    let mut ev = NewEvent::new(RESEALED, ActorType::Human);
    ev.actor = actor.to_string();
    ev.runtime = "cli".into();
    ev.entity = "audit_head".into();
    ev.summary = format!("Resealed the audit chain: {problem}");
    ev.details = json!({
        "problem": problem,
        "old_head_seq": old.as_ref().map(|h| h.seq),
        "old_head_hash": old.as_ref().map(|h| h.hash.clone()),
        "last_present_seq": last_seq,
        "last_present_hash": last_hash,
    });
    write_event(sink, key, seq, last_hash, &ev, now_ms).map(Some)
}
