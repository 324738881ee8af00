-- Foundation tables, mirroring src/store/migrations/0001_core.sql: metadata and the audit chain.
-- Every time is BIGINT milliseconds since the Unix epoch (UTC).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value)
    VALUES ('created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

-- The append-only, hash-chained audit trail (docs/audit.md). Appends are serialized by a
-- transaction-scoped advisory lock taken at the start of every write transaction.
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    ts_ms      BIGINT NOT NULL,
    event_type TEXT   NOT NULL,
    actor_type TEXT   NOT NULL,
    actor      TEXT   NOT NULL DEFAULT '',
    runtime    TEXT   NOT NULL DEFAULT '',
    session_id TEXT   NOT NULL DEFAULT '',
    project    TEXT   NOT NULL DEFAULT '',
    entity     TEXT   NOT NULL DEFAULT '',
    summary    TEXT   NOT NULL DEFAULT '',
    details    TEXT   NOT NULL DEFAULT '{}',
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts_ms);
CREATE INDEX audit_events_type_ts ON audit_events (event_type, ts_ms);

-- The signed chain head (one row).
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL,
    mac  TEXT   NOT NULL
);
