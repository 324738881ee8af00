-- Foundation tables: schema metadata and the audit chain.

-- Free-form facts about the store (creation time, …); never policy.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- Inserted exactly once: a second run of this migration would fail here (and roll back).
INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- The append-only, hash-chained audit trail (see docs/audit.md). `seq` is 1, 2, 3, … with no
-- gaps; `hash` is SHA-256 over the canonical serialization of every other column.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    ts_ms      INTEGER NOT NULL,
    event_type TEXT    NOT NULL,
    actor_type TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    runtime    TEXT    NOT NULL DEFAULT '',
    session_id TEXT    NOT NULL DEFAULT '',
    project    TEXT    NOT NULL DEFAULT '',
    entity     TEXT    NOT NULL DEFAULT '',
    summary    TEXT    NOT NULL DEFAULT '',
    details    TEXT    NOT NULL DEFAULT '{}',
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

-- `audit list --since`, the report's time windows.
CREATE INDEX audit_events_ts ON audit_events (ts_ms);
-- `audit list --type`, the report's per-type counts.
CREATE INDEX audit_events_type_ts ON audit_events (event_type, ts_ms);

-- The chain head: the last (seq, hash) and an HMAC over them with the install key. Updated in
-- the same transaction as every append, so deleting the last events cannot go unnoticed
-- without the key. At most one row.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL,
    mac  TEXT    NOT NULL
);
