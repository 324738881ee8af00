-- Hook calls already applied, by the id the hook gave them (`Request::request_id`). A hook
-- that hands its payload to a running server and gives up waiting decides in-process; the
-- server may still finish. Each records the call only if it is the first to claim its id, so
-- one tool call is one check, one audit event and at most one pending ask. Ids start with
-- their time in hex, so old rows are pruned by a range of the primary key.
CREATE TABLE applied_requests (request_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL) WITHOUT ROWID;
