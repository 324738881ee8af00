-- Artifacts and their costs (src/artifacts/, docs/artifacts.md): content-addressed records of
-- what an agent produced (a tool's output, a report, a file), with the tokens and money it
-- cost. Never read or written by a check: only `aiperture artifact`/`costs`, the server, and
-- the PostToolUse hook when `artifacts_store_tool_outputs` is on.
--
-- Compact on purpose: every hook process parses the whole schema (see 0004), so there are no
-- comments inside the CREATE statement and no secondary index (listing and cost sums scan;
-- the table is written once per stored artifact, never on the hot path). Columns:
--   id          16 hex characters, the artifact's public id
--   ts_ms       when it was stored
--   sha256      hex SHA-256 of the content (the address of the file for `file` artifacts)
--   size        content length in bytes
--   backend     'inline' (content in this row) or 'file' (path under AIPERTURE_HOME/artifacts)
--   path        the file, relative to the artifacts directory (NULL when inline)
--   content     the content (NULL for files)
--   kind        free type: 'tool_output', 'report', 'custom', …
--   project, session, task, runtime, tool   context ('' when unknown)
--   summary     one line
--   model, provider                         what produced it ('' when unknown)
--   tokens_in, tokens_out, cost_usd         what it cost
--   status      'verified', 'failed' or 'unverified'
--   verified_ms when it was last verified (NULL: never)
CREATE TABLE artifacts (id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, backend TEXT NOT NULL, path TEXT, content BLOB, kind TEXT NOT NULL,
    project TEXT NOT NULL, session TEXT NOT NULL, task TEXT NOT NULL, runtime TEXT NOT NULL,
    tool TEXT NOT NULL, summary TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
    tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost_usd REAL NOT NULL,
    status TEXT NOT NULL, verified_ms INTEGER);
