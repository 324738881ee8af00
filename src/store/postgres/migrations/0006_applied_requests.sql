-- Hook calls already applied, by the id the hook gave them: mirrors the SQLite store's
-- 0006_applied_requests.sql (a hook that gave up waiting for a running server and the server
-- never both record one call).
CREATE TABLE applied_requests (request_id TEXT PRIMARY KEY, ts_ms BIGINT NOT NULL);
