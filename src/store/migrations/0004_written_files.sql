-- Files written through a runtime's write tool (Write, Edit, apply_patch, write_file, …), so a
-- later shell command that runs one (`bash F`, `source F`, `make -f F`, `python F`, `./F`) is
-- judged by what was written, across calls and sessions, until the file changes.
-- One row per canonical path (the latest write wins). Read by one primary-key lookup per file a
-- shell command runs; written once per write-tool call (before it runs and after it ran).
-- WITHOUT ROWID: the primary key is the only B-tree, so no extra index is parsed or written.
CREATE TABLE written_files (
    path       TEXT    PRIMARY KEY,   -- absolute, canonical
    sha256     TEXT    NOT NULL,      -- hex SHA-256 of the content as written
    tier       TEXT,                  -- rating of the text when it reaches high/critical, else NULL
    reason     TEXT    NOT NULL,      -- why, for that rating ('' when none)
    in_project INTEGER NOT NULL,      -- 1 when the path lies inside the project root
    project    TEXT    NOT NULL,
    ts_ms      INTEGER NOT NULL,      -- when it was written
    session    TEXT    NOT NULL,
    runtime    TEXT    NOT NULL
) WITHOUT ROWID;
