//! The engine's view of persistent state: a trait of keyed reads and writes, so the pipeline
//! stays pure and testable. The SQLite implementation is `crate::store::state::SqliteState`;
//! every method is one indexed statement (or a few), never a scan of decisions or checks.

pub use super::rows::*;
use super::snapshot::{Effect, Snapshot, SnapshotKeys};
use crate::request::Decision;

/// What a store that does not keep artifacts answers to the artifact methods.
pub const NO_ARTIFACTS: &str = "this store does not keep artifacts";

/// One stored artifact (`crate::artifacts`): a content-addressed blob, inline or in a file,
/// with its context and what it cost.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactRow {
    /// 16 hex characters.
    pub id: String,
    /// When it was stored (ms).
    pub ts_ms: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Content length in bytes.
    pub size: u64,
    /// `inline` or `file`.
    pub backend: String,
    /// For `file`: the path relative to the artifacts directory.
    pub path: Option<String>,
    /// For `inline`: the content (`None` in listings).
    pub content: Option<Vec<u8>>,
    /// Free type (`tool_output`, `report`, `custom`, …).
    pub kind: String,
    /// Project root or `global` ('' when unknown).
    pub project: String,
    /// Session key.
    pub session: String,
    /// Task id.
    pub task: String,
    /// Runtime.
    pub runtime: String,
    /// The tool that produced it.
    pub tool: String,
    /// One line.
    pub summary: String,
    /// The model that produced it.
    pub model: String,
    /// The model's provider.
    pub provider: String,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// `verified`, `failed` or `unverified`.
    pub status: String,
    /// When it was last verified.
    pub verified_ms: Option<i64>,
}

/// Which artifacts a listing or a cost summary covers; empty fields match everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactFilter {
    /// Only this session.
    pub session: Option<String>,
    /// Only this task.
    pub task: Option<String>,
    /// Only this runtime.
    pub runtime: Option<String>,
    /// Only this project.
    pub project: Option<String>,
    /// Only stored at or after this time (ms).
    pub since_ms: Option<i64>,
    /// At most this many rows (listings only; 0 = no limit).
    pub limit: u32,
}

/// Sums over the artifacts of one (model, provider, task, session, runtime).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostLine {
    /// Model.
    pub model: String,
    /// Provider.
    pub provider: String,
    /// Task.
    pub task: String,
    /// Session key.
    pub session: String,
    /// Runtime.
    pub runtime: String,
    /// Artifacts summed.
    pub artifacts: u64,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// US dollars.
    pub cost_usd: f64,
}

/// Keyed access to the engine's persistent state, inside one transaction.
pub trait State {
    /// How many checks the session made at or after `since_ms`, counting at most `cap`
    /// (a runaway session costs no more than a busy one).
    fn count_checks_since(&mut self, session: &str, since_ms: i64, cap: u64)
    -> anyhow::Result<u64>;
    /// Logs a check.
    fn insert_check(&mut self, row: &CheckRow<'_>) -> anyhow::Result<()>;
    /// The decision of the check of this tool call, if one was logged at or after `since_ms`.
    fn check_of_tool_use(
        &mut self,
        session: &str,
        tool_use_id: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<Decision>>;
    /// A session's state.
    fn session(&mut self, session: &str) -> anyhow::Result<Option<SessionRow>>;
    /// Writes a session's state.
    fn put_session(&mut self, row: &SessionRow) -> anyhow::Result<()>;
    /// Session memory for the exact request; `(decision, when)`.
    #[allow(clippy::too_many_arguments)]
    fn memory(
        &mut self,
        session: &str,
        project: &str,
        tool: &str,
        action: &str,
        scope: &str,
        content_hash: &str,
    ) -> anyhow::Result<Option<(Decision, i64)>>;
    /// Remembers a human decision for the exact request in the session.
    #[allow(clippy::too_many_arguments)]
    fn put_memory(
        &mut self,
        session: &str,
        project: &str,
        tool: &str,
        action: &str,
        scope: &str,
        content_hash: &str,
        decision: Decision,
        who: &str,
        ts_ms: i64,
    ) -> anyhow::Result<()>;
    /// The latest revocation of a key (in any project).
    fn latest_revocation(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<i64>>;
    /// Grants of a project for a tool and action not expired at `now_ms` and not revoked.
    fn grants(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        now_ms: i64,
    ) -> anyhow::Result<Vec<Grant>>;
    /// All live grants.
    fn all_grants(&mut self, now_ms: i64) -> anyhow::Result<Vec<Grant>>;
    /// Stores a grant.
    fn insert_grant(&mut self, grant: &Grant) -> anyhow::Result<()>;
    /// Revokes a grant; false if there was none live.
    fn revoke_grant(&mut self, id: &str, ts_ms: i64) -> anyhow::Result<bool>;
    /// The aggregate of one key in one project.
    fn pattern(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Option<PatternStats>>;
    /// The aggregates of one key in every project (and `global`): the evidence a key that
    /// travels between projects is decided by.
    fn pattern_everywhere(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> anyhow::Result<Vec<PatternStats>>;
    /// Whether a human has counted a decision in `project` (of any key).
    fn project_known(&mut self, project: &str) -> anyhow::Result<bool>;
    /// All aggregates of a project (and `global`), for display.
    fn list_patterns(&mut self, project: &str) -> anyhow::Result<Vec<PatternStats>>;
    /// Every project that has learned aggregates (`global` among them), sorted.
    fn pattern_projects(&mut self) -> anyhow::Result<Vec<String>>;
    /// Claims a hook call's id for this transaction: true when no transaction claimed it
    /// before (record the call), false when one did (it is recorded already). Ids start with
    /// their time in hex (`Request::request_id`); claims older than a day may be pruned.
    fn claim_request(&mut self, id: &str, ts_ms: i64) -> anyhow::Result<bool>;
    /// Stores a human decision; returns its id.
    fn insert_decision(&mut self, row: &DecisionRow) -> anyhow::Result<i64>;
    /// Counts a decision for one key: links it and updates the aggregate and distinct humans.
    #[allow(clippy::too_many_arguments)]
    fn count_key(
        &mut self,
        decision_id: i64,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
        counted: Counted,
        who: &str,
        ts_ms: i64,
    ) -> anyhow::Result<()>;
    /// Approvals recorded in the session for a tool and action at or after `since_ms`.
    fn recent_allows(
        &mut self,
        session: &str,
        tool: &str,
        action: &str,
        since_ms: i64,
    ) -> anyhow::Result<u64>;
    /// Revokes a key in every project: marks its decisions revoked, zeroes the aggregates,
    /// records the revocation. Returns how many decisions it revoked.
    fn revoke_key(
        &mut self,
        tool: &str,
        action: &str,
        key: &LearnKey,
        ts_ms: i64,
        by: &str,
        reason: &str,
    ) -> anyhow::Result<u64>;
    /// Ids of the non-revoked decisions with this exact scope.
    fn decisions_with_scope(
        &mut self,
        tool: &str,
        action: &str,
        scope: &str,
    ) -> anyhow::Result<Vec<i64>>;
    /// The keys a decision was counted for.
    fn keys_of_decision(&mut self, decision_id: i64) -> anyhow::Result<Vec<LearnKey>>;
    /// Marks decisions revoked.
    fn revoke_decisions(&mut self, ids: &[i64], ts_ms: i64, by: &str) -> anyhow::Result<()>;
    /// Presets enabled for a project.
    fn presets(&mut self, project: &str) -> anyhow::Result<Vec<String>>;
    /// Enables a preset; false if it already was.
    fn add_preset(
        &mut self,
        project: &str,
        name: &str,
        ts_ms: i64,
        who: &str,
    ) -> anyhow::Result<bool>;
    /// Disables a preset; false if it was not enabled.
    fn remove_preset(&mut self, project: &str, name: &str) -> anyhow::Result<bool>;
    /// Every enabled preset: project, name, when (ms) and by whom, by project then name.
    fn all_presets(&mut self) -> anyhow::Result<Vec<(String, String, i64, String)>>;
    /// Stores a pending ask.
    fn insert_pending(&mut self, ask: &PendingAsk) -> anyhow::Result<()>;
    /// A pending ask by id.
    fn pending(&mut self, id: &str) -> anyhow::Result<Option<PendingAsk>>;
    /// The still-pending asks of a session.
    fn pending_in_session(&mut self, session: &str) -> anyhow::Result<Vec<PendingAsk>>;
    /// The newest still-pending asks of any session (for `approve` without an id).
    fn pending_recent(&mut self, limit: u32) -> anyhow::Result<Vec<PendingAsk>>;
    /// Resolves a pending ask.
    fn resolve_pending(&mut self, id: &str, state: &str, ts_ms: i64) -> anyhow::Result<()>;
    /// Consumes a nonce; false if it was already consumed. Forgets nonces consumed before
    /// `prune_before_ms` (their tokens have expired anyway).
    fn consume_nonce(
        &mut self,
        nonce: &str,
        ts_ms: i64,
        prune_before_ms: i64,
    ) -> anyhow::Result<bool>;
    /// Marks a session ended.
    fn end_session(&mut self, session: &str, ts_ms: i64) -> anyhow::Result<()>;
    /// Logs a tool call that ran.
    fn insert_execution(&mut self, e: &Execution) -> anyhow::Result<()>;
    /// The remembered write of a file, by its canonical path (one primary-key lookup).
    fn written_file(&mut self, path: &str) -> anyhow::Result<Option<WrittenFile>>;
    /// Remembers a write of a file (replacing an earlier one of the same path).
    fn put_written_file(&mut self, file: &WrittenFile) -> anyhow::Result<()>;
    /// Appends an audit event in the same transaction.
    fn audit(&mut self, note: &AuditNote, ts_ms: i64) -> anyhow::Result<()>;

    /// Up to `limit` aggregates of a tool and action with a human decision, in a project and
    /// `global`, whose key starts with `prefix` (empty: any) — an index range, never a scan of
    /// every pattern: the candidates an ask's similar patterns are ranked from. Best effort: a
    /// store without it finds none.
    fn patterns_of_tool(
        &mut self,
        project: &str,
        tool: &str,
        action: &str,
        prefix: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<PatternStats>> {
        let _ = (project, tool, action, prefix, limit);
        Ok(Vec::new())
    }
    /// Stores an artifact (see `crate::artifacts`). Stores that do not keep artifacts refuse.
    fn insert_artifact(&mut self, a: &ArtifactRow) -> anyhow::Result<()> {
        let _ = a;
        anyhow::bail!("{NO_ARTIFACTS}")
    }
    /// One artifact by id, content included.
    fn artifact(&mut self, id: &str) -> anyhow::Result<Option<ArtifactRow>> {
        let _ = id;
        anyhow::bail!("{NO_ARTIFACTS}")
    }
    /// Artifacts matching `filter`, newest first, at most `filter.limit`, without content.
    fn list_artifacts(&mut self, filter: &ArtifactFilter) -> anyhow::Result<Vec<ArtifactRow>> {
        let _ = filter;
        anyhow::bail!("{NO_ARTIFACTS}")
    }
    /// Records a verification's result; false if there is no such artifact.
    fn set_artifact_status(&mut self, id: &str, status: &str, ts_ms: i64) -> anyhow::Result<bool> {
        let _ = (id, status, ts_ms);
        anyhow::bail!("{NO_ARTIFACTS}")
    }
    /// Token and cost sums of the artifacts matching `filter` (its limit ignored), one line per
    /// distinct (model, provider, task, session, runtime).
    fn cost_lines(&mut self, filter: &ArtifactFilter) -> anyhow::Result<Vec<CostLine>> {
        let _ = filter;
        anyhow::bail!("{NO_ARTIFACTS}")
    }

    /// Everything one check decides from, read by `keys` (see [`super::snapshot`]). The
    /// default runs the keyed statements above one by one.
    fn snapshot(&mut self, keys: &SnapshotKeys) -> anyhow::Result<Snapshot> {
        fetch_each(self, keys)
    }

    /// Applies a decision's effects in order, in this transaction.
    fn apply(&mut self, effects: &[Effect]) -> anyhow::Result<()> {
        apply(self, effects)
    }
}

/// Reads a check's snapshot through `st`, one keyed statement at a time: the default
/// [`State::snapshot`], and what a store that batches the common case falls back to.
pub fn fetch_each(st: &mut (impl State + ?Sized), keys: &SnapshotKeys) -> anyhow::Result<Snapshot> {
    let mut snap = Snapshot::default();
    if let Some((since, cap)) = keys.rate_window {
        snap.recent_checks = st.count_checks_since(&keys.session, since, cap)?;
    }
    for path in &keys.written_paths {
        if let Some(w) = st.written_file(path)? {
            snap.written.push(w);
        }
    }
    if keys.budget {
        snap.session = st.session(&keys.session)?;
    }
    if !keys.decidable {
        return Ok(snap);
    }
    snap.memory = st.memory(
        &keys.session,
        &keys.project,
        &keys.tool,
        &keys.action,
        &keys.scope,
        &keys.content_hash,
    )?;
    if snap.memory.is_some() {
        for k in &keys.keys {
            if let Some(ts) = st.latest_revocation(&keys.tool, &keys.action, k)? {
                snap.revocations.push((k.clone(), ts));
            }
        }
    }
    snap.grants = st.grants(&keys.project, &keys.tool, &keys.action, keys.now_ms)?;
    if keys.learning {
        let global = super::rows::GLOBAL;
        let mut elsewhere = false;
        for k in &keys.keys {
            if keys.travel.contains(k) {
                // One indexed read gives the project's, the global and every other row.
                for p in st.pattern_everywhere(&keys.tool, &keys.action, k)? {
                    elsewhere |= p.project != keys.project && p.project != global;
                    snap.patterns.push(p);
                }
                continue;
            }
            for project in [keys.project.as_str(), global] {
                if let Some(p) = st.pattern(project, &keys.tool, &keys.action, k)? {
                    snap.patterns.push(p);
                }
                if keys.project == global {
                    break;
                }
            }
        }
        if elsewhere && keys.project != global {
            snap.project_known = st.project_known(&keys.project)?;
        }
    }
    snap.presets = st.presets(&keys.project)?;
    Ok(snap)
}

/// Applies a decision's effects through `st`, in order.
fn apply(st: &mut (impl State + ?Sized), effects: &[Effect]) -> anyhow::Result<()> {
    for e in effects {
        match e {
            Effect::PutSession(r) => st.put_session(r)?,
            Effect::LogCheck(c) => st.insert_check(&c.row())?,
            Effect::InsertPending(p) => st.insert_pending(p)?,
            Effect::PutWrittenFile(w) => st.put_written_file(w)?,
            Effect::Audit(note, ts) => st.audit(note, *ts)?,
        }
    }
    Ok(())
}
