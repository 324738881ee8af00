//! The tamper-evident audit trail: a SHA-256 hash chain of events with sequence numbers.
