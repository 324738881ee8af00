//! Export of the chain as JSON Lines plus a manifest, and offline verification of an export.
//!
//! The export is one event per line (the fields of [`AuditEvent`]) in `seq` order, then one
//! last line `{"manifest": {...}}` with the count, first and last seq, the head hash and the
//! head's HMAC as stored. [`export`] writes it from any [`ChainSource`]; [`verify_file`]
//! re-checks every hash and link, the manifest, and — given the key — the head's signature,
//! without the store.

use anyhow::{anyhow, bail};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use super::{AuditEvent, ChainSource, Checker, Head, VerifyReport, canonical_json, parse_details};
use crate::key::KEY_LEN;
use crate::paths::io_problem;

/// The last line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Export format version (1).
    pub format: u32,
    /// Events exported.
    pub count: u64,
    /// The first event's seq (1), or 0 when empty.
    pub first_seq: u64,
    /// The last event's seq, or 0 when empty.
    pub last_seq: u64,
    /// The signed head's seq as stored.
    pub head_seq: u64,
    /// The signed head's hash as stored.
    pub head_hash: String,
    /// The signed head's HMAC as stored (checkable with the install key).
    pub head_mac: String,
    /// When the export was made (ms since the epoch).
    pub exported_at_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct ManifestLine {
    manifest: Manifest,
}

/// Writes the whole chain read from `source` as JSON Lines plus a manifest line; `source`
/// must be one consistent snapshot (see [`ChainSource`]).
pub fn export(
    source: &mut (impl ChainSource + ?Sized),
    out: &mut dyn Write,
    now_ms: i64,
) -> anyhow::Result<Manifest> {
    let (mut count, mut first, mut last) = (0u64, 0u64, 0u64);
    source.scan(&mut |mut e, details| {
        e.details = parse_details(&details);
        if count == 0 {
            first = e.seq;
        }
        last = e.seq;
        count += 1;
        serde_json::to_writer(&mut *out, &e)?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    let Head {
        seq: head_seq,
        hash: head_hash,
        mac: head_mac,
    } = source.head()?.unwrap_or(Head {
        seq: 0,
        hash: String::new(),
        mac: String::new(),
    });
    let manifest = Manifest {
        format: 1,
        count,
        first_seq: first,
        last_seq: last,
        head_seq,
        head_hash,
        head_mac,
        exported_at_ms: now_ms,
    };
    serde_json::to_writer(
        &mut *out,
        &ManifestLine {
            manifest: manifest.clone(),
        },
    )?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(manifest)
}

/// Verifies an export offline: every hash and link, the manifest (present, last, and
/// agreeing with the events), and the head's HMAC when `key` is given.
pub fn verify_file(path: &Path, key: Option<&[u8; KEY_LEN]>) -> anyhow::Result<VerifyReport> {
    let shown = path.display();
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow!("export {shown}: cannot open: {}", io_problem(&e)))?;
    let mut checker = Checker::new();
    let mut manifest: Option<Manifest> = None;
    let mut last_hash = String::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let lineno = i + 1;
        let line = line.map_err(|e| anyhow!("export {shown}: line {lineno}: cannot read: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        if manifest.is_some() {
            bail!("export {shown}: line {lineno}: content after the manifest");
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| anyhow!("export {shown}: line {lineno}: not JSON ({e})"))?;
        if v.get("manifest").is_some() {
            let m: ManifestLine = serde_json::from_value(v)
                .map_err(|e| anyhow!("export {shown}: line {lineno}: bad manifest ({e})"))?;
            manifest = Some(m.manifest);
            continue;
        }
        let e: AuditEvent = serde_json::from_value(v)
            .map_err(|e| anyhow!("export {shown}: line {lineno}: bad event ({e})"))?;
        checker.push(&e, &canonical_json(&e.details));
        last_hash = e.hash;
    }
    let Some(m) = manifest else {
        if checker.bad.is_none() {
            checker.fail(
                Some(checker.expected),
                "the manifest line is missing (export truncated?)".into(),
            );
        }
        return Ok(checker.finish(None, None));
    };
    let events = checker.events;
    let last_seq = checker.expected.saturating_sub(1);
    let mut r = checker.finish(
        Some(Head {
            seq: m.head_seq,
            hash: m.head_hash.clone(),
            mac: m.head_mac.clone(),
        }),
        key,
    );
    if r.intact
        && (m.count != events || m.last_seq != last_seq || (events > 0 && m.head_hash != last_hash))
    {
        r.intact = false;
        r.first_bad_seq = Some(last_seq.saturating_add(1));
        r.problem = Some(format!(
            "the manifest says {} events up to seq {}, the file has {events} up to seq {last_seq}",
            m.count, m.last_seq
        ));
    }
    Ok(r)
}
