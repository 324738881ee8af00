-- Mirrors src/store/migrations/0003_lean_hot_path.sql: the indexes only reports used.
DROP INDEX IF EXISTS audit_events_ts;
DROP INDEX IF EXISTS audit_events_type_ts;
DROP INDEX IF EXISTS executions_ts;
DROP INDEX IF EXISTS pending_asks_state;
DROP INDEX IF EXISTS consumed_nonces_ts;
