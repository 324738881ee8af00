-- Engine state, owned by the decision engine (src/engine, src/store/state.rs).
--
-- Conventions: every time is INTEGER milliseconds since the Unix epoch (UTC); decisions are the
-- strings 'allow' | 'deny' | 'ask'; risk tiers 'low' | 'medium' | 'high' | 'critical'.
-- `session` is the session key: the runtime's session id, or 'anon:<runtime>' when it has none.
-- `project` is the project root path (or AIPERTURE_PROJECT_ID), 'global' for no project.
-- Hot path (one hook call): one INSERT into checks (+ one audit event), a few keyed lookups.
-- Nothing on the hot path scans: every lookup below is by primary key or index prefix.

-- Every check the gate answered (not dry runs). `id` grows with time: use it for time ranges.
CREATE TABLE checks (
    id           INTEGER PRIMARY KEY,
    ts_ms        INTEGER NOT NULL,
    session      TEXT    NOT NULL,
    runtime      TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    tool_use_id  TEXT,
    project      TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    content_hash TEXT,
    decision     TEXT    NOT NULL,
    decided_by   TEXT    NOT NULL,
    risk_tier    TEXT    NOT NULL,
    risk_score   REAL    NOT NULL
);
-- Rate limit: count a session's checks in the last 60 s. Also finds the check of a tool call
-- that ran (newest first within the session), so no second index is written per check.
CREATE INDEX checks_session_ts ON checks (session, ts_ms);

-- Every human decision, exactly as made (exact scope and content hash, never read as a glob).
-- source: 'terminal' (aiperture approve|deny, exec prompt), 'challenge' (HMAC-verified record),
--         'runtime' (the runtime's own prompt: an ask followed by the tool running),
--         'inferred' (an ask never followed by a run: a weaker denial).
-- rapid = 1: a rubber-stamped approval (kept, never counted for learning).
CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY,
    ts_ms        INTEGER NOT NULL,
    project      TEXT    NOT NULL,
    session      TEXT    NOT NULL,
    runtime      TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    content_hash TEXT,
    decision     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    who          TEXT    NOT NULL,
    rapid        INTEGER NOT NULL DEFAULT 0,
    pending_id   TEXT,
    revoked_ms   INTEGER,
    revoked_by   TEXT
);
-- Revocation by exact scope.
CREATE INDEX decisions_scope ON decisions (tool, action, scope);
-- Rubber-stamp detection: a session's recent approvals for a tool and action.
CREATE INDEX decisions_rapid ON decisions (session, tool, action, ts_ms);

-- Which learning keys a decision counted for (one row per distinct key: a decision counts once).
-- kind: 'pattern' (a generalized pattern such as `git log *`) or 'exact' (a segment that must
-- never be generalized, matched only by equal text). counted: 'allow' | 'deny' |
-- 'inferred_deny' | 'rapid' | 'none' (an innocent segment of a denied compound command).
CREATE TABLE decision_keys (
    decision_id INTEGER NOT NULL,
    project     TEXT    NOT NULL,
    tool        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    counted     TEXT    NOT NULL,
    PRIMARY KEY (decision_id, kind, key)
) WITHOUT ROWID;
CREATE INDEX decision_keys_key ON decision_keys (tool, action, kind, key);

-- The materialized learning aggregate, updated in the transaction that records a decision.
-- last_ms: the last counted human decision (expiry runs from it). Revocation zeroes the counts
-- (history stays in decisions/revocations) and sets revoked_ms.
CREATE TABLE patterns (
    project       TEXT    NOT NULL,
    tool          TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    human_allow   INTEGER NOT NULL DEFAULT 0,
    human_deny    INTEGER NOT NULL DEFAULT 0,
    inferred_deny INTEGER NOT NULL DEFAULT 0,
    rapid_allow   INTEGER NOT NULL DEFAULT 0,
    humans        INTEGER NOT NULL DEFAULT 0,
    first_ms      INTEGER NOT NULL,
    last_ms       INTEGER NOT NULL,
    revoked_ms    INTEGER,
    PRIMARY KEY (project, tool, action, kind, key)
) WITHOUT ROWID;
CREATE INDEX patterns_key ON patterns (tool, action, kind, key);

-- Distinct humans per learning key (feeds patterns.humans).
CREATE TABLE pattern_humans (
    project TEXT NOT NULL,
    tool    TEXT NOT NULL,
    action  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    who     TEXT NOT NULL,
    PRIMARY KEY (project, tool, action, kind, key, who)
) WITHOUT ROWID;

-- Revocations, kept as history. project '*' = every project.
CREATE TABLE revocations (
    id         INTEGER PRIMARY KEY,
    ts_ms      INTEGER NOT NULL,
    project    TEXT    NOT NULL,
    tool       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    revoked_by TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    decisions  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX revocations_key ON revocations (tool, action, kind, key, ts_ms);

-- Per-session state: risk budget (with idle reset) and counters for the status line.
CREATE TABLE sessions (
    session      TEXT    PRIMARY KEY,
    runtime      TEXT    NOT NULL,
    project      TEXT    NOT NULL,
    started_ms   INTEGER NOT NULL,
    last_ms      INTEGER NOT NULL,
    budget_used  REAL    NOT NULL DEFAULT 0,
    budget_ms    INTEGER NOT NULL DEFAULT 0,
    auto_allowed INTEGER NOT NULL DEFAULT 0,
    ended_ms     INTEGER
) WITHOUT ROWID;

-- Session memory: the exact request (incl. content hash, '' for none) a human decided earlier
-- in the session.
CREATE TABLE session_memory (
    session      TEXT    NOT NULL,
    project      TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    decision     TEXT    NOT NULL,
    who          TEXT    NOT NULL,
    ts_ms        INTEGER NOT NULL,
    PRIMARY KEY (session, project, tool, action, scope, content_hash)
) WITHOUT ROWID;

-- Asks awaiting their outcome. state: 'pending' | 'approved' | 'denied' | 'inferred_deny'.
CREATE TABLE pending_asks (
    id           TEXT    PRIMARY KEY,
    ts_ms        INTEGER NOT NULL,
    session      TEXT    NOT NULL,
    runtime      TEXT    NOT NULL,
    tool_use_id  TEXT,
    project      TEXT    NOT NULL,
    cwd          TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    content_hash TEXT,
    risk_tier    TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending',
    resolved_ms  INTEGER
) WITHOUT ROWID;
CREATE INDEX pending_asks_session ON pending_asks (session, state);
CREATE INDEX pending_asks_state ON pending_asks (state, ts_ms);

-- Challenge nonces already used (single use).
CREATE TABLE consumed_nonces (
    nonce TEXT    PRIMARY KEY,
    ts_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- Pruning nonces whose tokens have expired.
CREATE INDEX consumed_nonces_ts ON consumed_nonces (ts_ms);

-- Task grants: scope is a pattern (shell: per simple command; paths: `*` does not cross `/`).
-- session '' = any session of the project. Never allow HIGH/CRITICAL (enforced at check time).
CREATE TABLE grants (
    id         TEXT    PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    project    TEXT    NOT NULL,
    session    TEXT    NOT NULL DEFAULT '',
    tool       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    decision   TEXT    NOT NULL,
    granted_by TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    revoked_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX grants_lookup ON grants (project, tool, action, expires_ms);

-- Presets enabled per project by `aiperture bootstrap` (the rules are compiled in).
CREATE TABLE presets (
    project TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    ts_ms   INTEGER NOT NULL,
    who     TEXT    NOT NULL,
    PRIMARY KEY (project, name)
) WITHOUT ROWID;

-- Tool calls the runtime actually ran (for compliance): checked = a check row exists for it.
-- outcome: 'succeeded' | 'failed'.
CREATE TABLE executions (
    id             INTEGER PRIMARY KEY,
    ts_ms          INTEGER NOT NULL,
    runtime        TEXT    NOT NULL,
    session        TEXT    NOT NULL,
    tool_use_id    TEXT,
    project        TEXT    NOT NULL,
    tool           TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    checked        INTEGER NOT NULL,
    check_decision TEXT,
    outcome        TEXT    NOT NULL
);
CREATE INDEX executions_ts ON executions (ts_ms);
