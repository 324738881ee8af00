-- Who and which machine (src/identity.rs): the person an event was recorded for and the
-- host it came from, hashed into the chain (v2 events); '' in older events, which still
-- verify under the v1 hash. Plain columns, so a table-by-table copy carries them.
ALTER TABLE audit_events ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN host TEXT NOT NULL DEFAULT '';
