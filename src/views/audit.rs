//! Views of the audit chain: its events (`audit list --json`, `GET /audit/events`) and its
//! verification (`audit verify --json`, `GET /audit/verify-chain`). Both types are already
//! their own JSON form; these functions name them as views so every interface uses one.

use crate::audit::{AuditEvent, VerifyReport};

/// One audit event as `audit list --json` prints it (one line per event) and the HTTP
/// routes return it: the event's own serialization (fields in docs/audit.md).
pub fn audit_event(e: &AuditEvent) -> &AuditEvent {
    e
}

/// A chain verification as `audit verify --json` prints it: `intact`, `events`,
/// `first_bad_seq`, `problem`, `mac_checked`, `reseals`.
pub fn verify_report(r: &VerifyReport) -> &VerifyReport {
    r
}
