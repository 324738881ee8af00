-- Mirrors src/store/migrations/0004_written_files.sql: files written through a runtime's
-- write tool, one row per canonical path (the latest write wins).
CREATE TABLE written_files (
    path       TEXT PRIMARY KEY,
    sha256     TEXT   NOT NULL,
    tier       TEXT,
    reason     TEXT   NOT NULL,
    in_project BIGINT NOT NULL,
    project    TEXT   NOT NULL,
    ts_ms      BIGINT NOT NULL,
    session    TEXT   NOT NULL,
    runtime    TEXT   NOT NULL
);
