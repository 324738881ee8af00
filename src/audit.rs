//! The tamper-evident audit trail: a SHA-256 hash chain of events with sequence numbers.
//!
//! Every event carries `seq` (1, 2, 3, … no gaps), the previous event's hash and its own hash,
//! SHA-256 over a length-prefixed serialization of every field ([`event_hash`]). The chain
//! head — the last `(seq, hash)` — is kept beside the events with an HMAC under the install
//! key and moved in the same transaction as the append, so appends never fork and deleting the
//! newest events is detected unless the attacker also holds the key.
//!
//! This module is the chain's format and rules only; it knows no database. A store stores
//! events through [`ChainSink`] ([`append`], [`reseal`]) and hands them back in order through
//! [`ChainSource`] ([`verify`], [`export`]); the SQLite store does so in
//! `src/store/audit_sql.rs`. An export file is read back by [`verify_file`] without any store.
//! See `docs/audit.md` for the format and what verification can and cannot detect.

mod export;
pub mod forward;
mod reseal;
mod sink;

pub use export::{Manifest, export, verify_file};
pub use reseal::{RESEALED, reseal};
pub use sink::{ChainSink, ChainSource, append, verify};

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::key::KEY_LEN;

/// The `prev_hash` of event 1: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

type HmacSha256 = hmac::Hmac<Sha256>;

/// Who caused an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorType {
    /// A person, from a terminal or a challenged HTTP record.
    Human,
    /// A runtime's hook call.
    Hook,
    /// A runtime over HTTP or MCP.
    Runtime,
    /// aiperture itself (migrations, maintenance).
    #[default]
    System,
}

impl ActorType {
    /// The lowercase name stored in the chain.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Human => "human",
            ActorType::Hook => "hook",
            ActorType::Runtime => "runtime",
            ActorType::System => "system",
        }
    }
}

/// An event to append; `seq`, timestamp and hashes are assigned by [`append`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewEvent {
    /// Dotted type, e.g. `permission.check`, `decision.human`, `config.changed`.
    pub event_type: String,
    /// Who caused it.
    pub actor_type: ActorType,
    /// The actor's name (user name, `claude-code-hook`, …).
    pub actor: String,
    /// The runtime involved, if any.
    pub runtime: String,
    /// The runtime's session id, if any.
    pub session_id: String,
    /// The project root, if any.
    pub project: String,
    /// The person on whose behalf it happened ([`crate::identity::actor`]); empty when unknown.
    pub principal: String,
    /// The machine it happened on ([`crate::identity::host`]); empty when unknown.
    pub host: String,
    /// What the event is about, e.g. `shell/execute/git status` or a setting's key.
    pub entity: String,
    /// One human-readable line.
    pub summary: String,
    /// Structured details (stored as canonical JSON: sorted keys, no whitespace).
    pub details: Value,
}

impl NewEvent {
    /// An event of `event_type` by `actor_type`, other fields empty.
    pub fn new(event_type: &str, actor_type: ActorType) -> Self {
        NewEvent {
            event_type: event_type.to_string(),
            actor_type,
            ..Default::default()
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// Dotted event type.
    pub event_type: String,
    /// `human`, `hook`, `runtime` or `system` (kept as text: the store is not trusted).
    pub actor_type: String,
    /// The actor's name.
    pub actor: String,
    /// The runtime involved.
    pub runtime: String,
    /// The session id.
    pub session_id: String,
    /// The project root.
    pub project: String,
    /// The person on whose behalf it happened (empty in events written before identity was
    /// recorded; such events hash without it, see [`hash_of`]).
    #[serde(default)]
    pub principal: String,
    /// The machine it happened on (empty in older events).
    #[serde(default)]
    pub host: String,
    /// What the event is about.
    pub entity: String,
    /// One human-readable line.
    pub summary: String,
    /// Structured details.
    pub details: Value,
    /// The previous event's hash ([`GENESIS`] for event 1).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The signed chain head as stored: the last event's `seq` and `hash`, and the hex HMAC over
/// them under the install key ([`head_mac`]). Read from an untrusted store: check it with
/// [`head_mac_ok`] before relying on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last event's sequence number.
    pub seq: u64,
    /// The last event's hash.
    pub hash: String,
    /// The hex HMAC-SHA256 over `(seq, hash)`.
    pub mac: String,
}

/// The outcome of [`verify`] or [`verify_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// True when every event and the head check out.
    pub intact: bool,
    /// Events read.
    pub events: u64,
    /// The first sequence number found bad (edited, missing, out of place, truncated away).
    pub first_bad_seq: Option<u64>,
    /// One line saying what is wrong.
    pub problem: Option<String>,
    /// Whether the head's HMAC was checked (false when no key was available).
    pub mac_checked: bool,
    /// How many `audit.resealed` events the chain holds (each marks a head that had to be
    /// re-anchored by a human; see [`reseal`]).
    #[serde(default)]
    pub reseals: u64,
}

/// Filters for listing events, newest first: the query a store's `list` answers (the SQLite
/// one is in `src/store/audit_sql.rs`); `None` means no filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Only events at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only events of this session.
    pub session_id: Option<String>,
    /// At most this many (newest first).
    pub limit: Option<u64>,
}

/// SHA-256 over the canonical serialization of an event: a domain tag, then `seq` and
/// `ts_ms` as 8-byte big-endian integers and every text field as an 8-byte big-endian length
/// followed by its UTF-8 bytes, in a fixed order. No delimiter can be confused with content.
#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    seq: u64,
    prev_hash: &str,
    ts_ms: i64,
    event_type: &str,
    actor_type: &str,
    actor: &str,
    runtime: &str,
    session_id: &str,
    project: &str,
    entity: &str,
    summary: &str,
    details_json: &str,
) -> String {
    canonical_hash(
        b"aiperture.audit.event.v1\0",
        seq,
        prev_hash,
        ts_ms,
        &[
            event_type,
            actor_type,
            actor,
            runtime,
            session_id,
            project,
            entity,
            summary,
            details_json,
        ],
    )
}

/// [`event_hash`] extended with who and which machine (`v2` domain tag): the same fields
/// in the same order, then `principal` and `host`, length-prefixed like the others.
#[allow(clippy::too_many_arguments)]
pub fn event_hash_v2(
    seq: u64,
    prev_hash: &str,
    ts_ms: i64,
    event_type: &str,
    actor_type: &str,
    actor: &str,
    runtime: &str,
    session_id: &str,
    project: &str,
    entity: &str,
    summary: &str,
    details_json: &str,
    principal: &str,
    host: &str,
) -> String {
    canonical_hash(
        b"aiperture.audit.event.v2\0",
        seq,
        prev_hash,
        ts_ms,
        &[
            event_type,
            actor_type,
            actor,
            runtime,
            session_id,
            project,
            entity,
            summary,
            details_json,
            principal,
            host,
        ],
    )
}

/// The hash both versions share: `tag`, `seq`, the length-prefixed `prev_hash`, `ts_ms`, then
/// each of `fields` length-prefixed.
fn canonical_hash(tag: &[u8], seq: u64, prev_hash: &str, ts_ms: i64, fields: &[&str]) -> String {
    fn field(h: &mut Sha256, s: &str) {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    }
    let mut h = Sha256::new();
    h.update(tag);
    h.update(seq.to_be_bytes());
    field(&mut h, prev_hash);
    h.update(ts_ms.to_be_bytes());
    for s in fields {
        field(&mut h, s);
    }
    hex::encode(h.finalize())
}

/// The hash of a stored event. An event with neither `principal` nor `host` hashes as `v1`
/// ([`event_hash`]), so events written before identity was recorded still verify; any event
/// that names either hashes as `v2` ([`event_hash_v2`]). Blanking both fields of a `v2` event
/// changes its hash input, so the edit is caught like any other.
fn hash_of(e: &AuditEvent, details_json: &str) -> String {
    if !e.principal.is_empty() || !e.host.is_empty() {
        return event_hash_v2(
            e.seq,
            &e.prev_hash,
            e.ts_ms,
            &e.event_type,
            &e.actor_type,
            &e.actor,
            &e.runtime,
            &e.session_id,
            &e.project,
            &e.entity,
            &e.summary,
            details_json,
            &e.principal,
            &e.host,
        );
    }
    event_hash(
        e.seq,
        &e.prev_hash,
        e.ts_ms,
        &e.event_type,
        &e.actor_type,
        &e.actor,
        &e.runtime,
        &e.session_id,
        &e.project,
        &e.entity,
        &e.summary,
        details_json,
    )
}

/// HMAC-SHA256 under the install key over the head `(seq, hash)`, hex.
pub fn head_mac(key: &[u8; KEY_LEN], seq: u64, hash: &str) -> String {
    hex::encode(mac_over(key, seq, hash).finalize().into_bytes())
}

fn mac_over(key: &[u8; KEY_LEN], seq: u64, hash: &str) -> HmacSha256 {
    // HMAC zero-pads keys shorter than the block; doing it here avoids a fallible constructor.
    let mut block = [0u8; 64];
    block[..KEY_LEN].copy_from_slice(key);
    let mut m = HmacSha256::new(&block.into());
    m.update(b"aiperture.audit.head.v1\0");
    m.update(&seq.to_be_bytes());
    m.update(hash.as_bytes());
    m
}

/// Checks a head MAC in constant time.
pub fn head_mac_ok(key: &[u8; KEY_LEN], seq: u64, hash: &str, mac_hex: &str) -> bool {
    match hex::decode(mac_hex) {
        Ok(tag) => mac_over(key, seq, hash).verify_slice(&tag).is_ok(),
        Err(_) => false,
    }
}

/// Canonical JSON: object keys sorted by bytes, no whitespace, serde_json's number and string
/// forms. Parsing and re-serializing canonical JSON gives the same text.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_canonical(val, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The details of a stored event as a value: the stored text parsed, or the text itself as a
/// JSON string when it does not parse (the store is not trusted; listing and export still
/// show what is there, and verification hashes the text, not this value).
pub fn parse_details(details_json: &str) -> Value {
    serde_json::from_str(details_json).unwrap_or_else(|_| Value::String(details_json.to_string()))
}

/// Walks a chain in `seq` order, remembering the first problem: fed event by event with
/// [`Checker::push`], then [`Checker::finish`]ed with the signed head. Behind [`verify`] (any
/// [`ChainSource`]) and [`verify_file`]; constant memory.
#[derive(Debug)]
pub struct Checker {
    expected: u64,
    prev_hash: String,
    events: u64,
    reseals: u64,
    bad: Option<(Option<u64>, String)>,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl Checker {
    /// A checker expecting event 1, linked to [`GENESIS`].
    pub fn new() -> Self {
        Checker {
            expected: 1,
            prev_hash: GENESIS.to_string(),
            events: 0,
            reseals: 0,
            bad: None,
        }
    }

    fn fail(&mut self, seq: Option<u64>, problem: String) {
        if self.bad.is_none() {
            self.bad = Some((seq, problem));
        }
    }

    /// Checks the next event; `details_json` is the exact text that was hashed (the event's
    /// own `details` value is not looked at).
    pub fn push(&mut self, e: &AuditEvent, details_json: &str) {
        self.events += 1;
        if e.event_type == RESEALED {
            self.reseals += 1;
        }
        if self.bad.is_some() {
            return;
        }
        let exp = self.expected;
        if e.seq != exp {
            if e.seq > exp {
                self.fail(
                    Some(exp),
                    format!("event {exp} is missing (next present is {})", e.seq),
                );
            } else {
                self.fail(Some(e.seq), format!("event {} is out of order", e.seq));
            }
        } else if e.prev_hash != self.prev_hash {
            self.fail(
                Some(exp),
                format!(
                    "event {exp} does not link to event {} (edited, removed or reordered)",
                    exp.saturating_sub(1)
                ),
            );
        } else if hash_of(e, details_json) != e.hash {
            self.fail(
                Some(exp),
                format!("event {exp} was altered (its hash does not match its content)"),
            );
        }
        self.prev_hash = e.hash.clone();
        self.expected = e.seq.saturating_add(1);
    }

    /// Checks the signed head against the end of the chain and makes the report; without a
    /// key the head's signature is not checked (`mac_checked` is false).
    pub fn finish(mut self, head: Option<Head>, key: Option<&[u8; KEY_LEN]>) -> VerifyReport {
        let last = self.expected.saturating_sub(1);
        let mut mac_checked = false;
        if self.bad.is_none() {
            match head {
                None if self.events == 0 => {}
                None => self.fail(None, "the signed chain head is missing (tampered)".into()),
                Some(Head {
                    seq: hseq,
                    hash: hhash,
                    mac: hmac,
                }) => {
                    if hseq > last {
                        self.fail(
                            Some(last.saturating_add(1)),
                            format!(
                                "events {}..{hseq} are missing (the newest events were deleted)",
                                last.saturating_add(1)
                            ),
                        );
                    } else if hseq < last {
                        self.fail(
                            Some(hseq.saturating_add(1)),
                            format!(
                                "events {}..{last} were added after the signed head",
                                hseq.saturating_add(1)
                            ),
                        );
                    } else if hseq > 0 && hhash != self.prev_hash {
                        self.fail(
                            Some(last),
                            format!("event {last} does not match the signed head"),
                        );
                    }
                    if let Some(k) = key {
                        mac_checked = true;
                        if !head_mac_ok(k, hseq, &hhash, &hmac) {
                            self.fail(
                                Some(hseq),
                                "the chain head's signature is invalid (forged head, or a different key)".into(),
                            );
                        }
                    }
                }
            }
        }
        let (first_bad_seq, problem) = match self.bad {
            Some((s, p)) => (s, Some(p)),
            None => (None, None),
        };
        VerifyReport {
            intact: problem.is_none(),
            events: self.events,
            first_bad_seq,
            problem,
            mac_checked,
            reseals: self.reseals,
        }
    }
}

#[cfg(test)]
mod tests;
