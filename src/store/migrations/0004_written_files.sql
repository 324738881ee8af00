-- Files written through a runtime's write tool (Write, Edit, apply_patch, write_file, …), so a
-- later shell command that runs one (`bash F`, `source F`, `make -f F`, `python F`, `./F`) is
-- judged by what was written, across calls and sessions, until the file changes.
-- One row per canonical path (the latest write wins). Read by one primary-key lookup per file a
-- shell command runs; written once per write-tool call (before it runs and after it ran).
-- WITHOUT ROWID: the primary key is the only B-tree, so no extra index is parsed or written.
--
-- No comments inside the CREATE statement: SQLite keeps its text in sqlite_master and every
-- hook process re-parses the whole schema, so comments there cost every call (measured:
-- ~165 k instructions for these column notes). Columns:
--   path        absolute, canonical path
--   sha256      hex SHA-256 of the content as written
--   tier        the rating of its text when it reaches 'high' or 'critical', else NULL
--   reason      why, for that rating ('' without one)
--   in_project  1 when the path lies inside the project root
--   project     project of the write
--   ts_ms       when it was written
--   session     session key of the write
--   runtime     runtime that wrote it
CREATE TABLE written_files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, tier TEXT,
    reason TEXT NOT NULL, in_project INTEGER NOT NULL, project TEXT NOT NULL,
    ts_ms INTEGER NOT NULL, session TEXT NOT NULL, runtime TEXT NOT NULL) WITHOUT ROWID;
