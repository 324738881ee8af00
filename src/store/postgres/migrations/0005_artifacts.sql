-- Artifacts and their costs: mirrors the SQLite store's 0005_artifacts.sql so both stores
-- stand at one schema version. The team store does not implement the artifact calls yet
-- (docs/team.md); the table is here so a later release fills it without a renumbering.
CREATE TABLE artifacts (id TEXT PRIMARY KEY, ts_ms BIGINT NOT NULL, sha256 TEXT NOT NULL,
    size BIGINT NOT NULL, backend TEXT NOT NULL, path TEXT, content BYTEA, kind TEXT NOT NULL,
    project TEXT NOT NULL, session TEXT NOT NULL, task TEXT NOT NULL, runtime TEXT NOT NULL,
    tool TEXT NOT NULL, summary TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
    tokens_in BIGINT NOT NULL, tokens_out BIGINT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL, verified_ms BIGINT);
