-- A leaner schema for the hot path. Every hook call is a new process, and SQLite parses the
-- whole schema on its first statement: each index costs parse time in every call, and each
-- index on a table the hook writes costs a B-tree insert and a WAL page in every call. These
-- indexes served only reports, `audit list` filters and rare pruning, which now scan instead
-- (a report over 1 M checks already reads the whole audit chain to verify it).
-- Measured in docs/performance.md.

-- Written on every check; read by `audit list --since/--type` and report counts.
DROP INDEX IF EXISTS audit_events_ts;
DROP INDEX IF EXISTS audit_events_type_ts;
-- Written on every PostToolUse; read by the report's execution totals.
DROP INDEX IF EXISTS executions_ts;
-- Written on every ask; read by `approve` with no id and the report. Pending asks of one
-- session (PostToolUse, Stop) keep their (session, state) index.
DROP INDEX IF EXISTS pending_asks_state;
-- Pruning of consumed challenge nonces, a small table.
DROP INDEX IF EXISTS consumed_nonces_ts;
