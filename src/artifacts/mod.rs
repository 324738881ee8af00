//! Artifacts and costs: what an agent produced (a tool's output, a report, a file), stored
//! content-addressed with SHA-256, and the tokens and money it cost, summed by model,
//! provider, task, session and runtime (docs/artifacts.md).
//!
//! Small contents (up to `artifacts_inline_max_bytes`) are kept inline in the store; larger
//! ones as files under `AIPERTURE_HOME/artifacts/<first two hex>/<sha256>` (mode 0600, one
//! file per distinct content), the row keeping the hash. [`verify`] re-hashes the content and
//! detects a changed, truncated or missing file. Every record goes through the engine's
//! [`State`](crate::engine::state::State) port (so any store behind the
//! [`Store`] trait keeps them) and appends an audit event in the same transaction.
//!
//! The one API the CLI (`aiperture artifact`, `aiperture costs`), the HTTP server and the MCP
//! server call:
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use aiperture::artifacts::{self, NewArtifact};
//! use aiperture::engine::state::ArtifactFilter;
//! let gate = aiperture::engine::Gate::open()?;
//! let a = artifacts::store(&gate, NewArtifact { content: b"hello".to_vec(), ..Default::default() })?;
//! let v = artifacts::verify(&gate, &a.id)?;            // status "verified" or "failed"
//! let bytes = artifacts::content(&gate, &a.id)?;        // the content (inline or file)
//! let all = artifacts::list(&gate, &ArtifactFilter { limit: 20, ..Default::default() })?;
//! let costs = artifacts::cost_summary(&gate, &ArtifactFilter::default())?;
//! # Ok(()) }
//! ```

mod blob;
mod costs;

pub use costs::{CostGroup, CostSummary, cost_summary};

use crate::engine::Gate;
use crate::engine::state::{ArtifactFilter, ArtifactRow};
use crate::engine::store::Store;
use anyhow::{anyhow, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest content stored (64 MiB): a larger one is refused, never truncated.
pub const MAX_CONTENT: usize = 64 * 1024 * 1024;

/// Default of `artifacts_inline_max_bytes`: contents up to this size are kept in the store.
pub const DEFAULT_INLINE_MAX: u64 = 64 * 1024;

/// Longest text kept in a context field (kind, session, model, …) or the summary.
const MAX_FIELD: usize = 1024;

/// An artifact to store. Every field but `content` is optional context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewArtifact {
    /// The content (text or bytes).
    pub content: Vec<u8>,
    /// Free type; empty means `custom`.
    pub kind: String,
    /// Project root or `global`.
    pub project: String,
    /// Session key.
    pub session: String,
    /// Task id.
    pub task: String,
    /// Runtime (`claude-code`, …).
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
    /// Cost in US dollars (finite, not negative).
    pub cost_usd: f64,
}

/// A stored artifact as shown (`artifact show --json`, HTTP, MCP): everything but the content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    /// 16 hex characters.
    pub id: String,
    /// When it was stored (ms since the epoch).
    pub created_ms: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Content length in bytes.
    pub size: u64,
    /// `inline` (in the store) or `file` (under the artifacts directory).
    pub backend: String,
    /// For `file`: the path relative to the artifacts directory.
    pub path: Option<String>,
    /// Free type.
    pub kind: String,
    /// Project.
    pub project: String,
    /// Session key.
    pub session: String,
    /// Task id.
    pub task: String,
    /// Runtime.
    pub runtime: String,
    /// Tool.
    pub tool: String,
    /// One line.
    pub summary: String,
    /// Model.
    pub model: String,
    /// Provider.
    pub provider: String,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// US dollars.
    pub cost_usd: f64,
    /// `verified`, `failed` or `unverified` (as of the last verification).
    pub status: String,
    /// When it was last verified.
    pub verified_ms: Option<i64>,
}

impl From<ArtifactRow> for Artifact {
    fn from(r: ArtifactRow) -> Self {
        Artifact {
            id: r.id,
            created_ms: r.ts_ms,
            sha256: r.sha256,
            size: r.size,
            backend: r.backend,
            path: r.path,
            kind: r.kind,
            project: r.project,
            session: r.session,
            task: r.task,
            runtime: r.runtime,
            tool: r.tool,
            summary: r.summary,
            model: r.model,
            provider: r.provider,
            tokens_in: r.tokens_in,
            tokens_out: r.tokens_out,
            cost_usd: r.cost_usd,
            status: r.status,
            verified_ms: r.verified_ms,
        }
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// The artifact.
    pub id: String,
    /// `verified` (the content hashes to the recorded SHA-256) or `failed`.
    pub status: String,
    /// The recorded SHA-256.
    pub expected_sha256: String,
    /// The SHA-256 of the content found (`None` when there is none: a missing file).
    pub actual_sha256: Option<String>,
    /// What is wrong, one line (`None` when verified).
    pub problem: Option<String>,
    /// When.
    pub verified_ms: i64,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True for a well-formed artifact id (16 lower-case hex characters).
pub fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A field cut to [`MAX_FIELD`] bytes (at a character boundary), control characters removed.
fn field(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).collect();
    if out.len() > MAX_FIELD {
        let mut end = MAX_FIELD;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

/// A fresh id: 16 hex of SHA-256 over the content's hash, the time and 16 random bytes.
fn fresh_id(sha: &str, now_ms: i64) -> anyhow::Result<String> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| anyhow!("no randomness for an artifact id: {e}"))?;
    let mut h = Sha256::new();
    h.update(sha.as_bytes());
    h.update(now_ms.to_le_bytes());
    h.update(nonce);
    Ok(hex::encode(&h.finalize()[..8]))
}

/// Places an artifact where the caller works: its project (found from `cwd` as a check's
/// would be; `global` when none) and its session key, for a caller that names only its
/// `runtime`, `session_id` and `cwd` (HTTP, MCP).
pub fn place<S: Store>(
    gate: &Gate<S>,
    new: &mut NewArtifact,
    runtime: &str,
    session_id: &str,
    cwd: &str,
) {
    let here = gate.resolve(&crate::request::Request {
        runtime: runtime.to_string(),
        session_id: session_id.to_string(),
        cwd: cwd.to_string(),
        ..crate::request::Request::default()
    });
    new.runtime = runtime.to_string();
    new.session = crate::engine::decide::session_key(&here);
    new.project = if here.project.is_empty() {
        crate::callsite::GLOBAL.to_string()
    } else {
        here.project
    };
}

/// Stores an artifact: hashes it, writes a file for a large content (before the row, so a
/// row never names a file not yet written), inserts the row (status `verified`) and appends an
/// `artifact.stored` audit event with the hash in the same transaction.
pub fn store<S: Store>(gate: &Gate<S>, new: NewArtifact) -> anyhow::Result<Artifact> {
    if new.content.len() > MAX_CONTENT {
        bail!(
            "artifact too large: {} bytes (at most {MAX_CONTENT})",
            new.content.len()
        );
    }
    if !new.cost_usd.is_finite() || new.cost_usd < 0.0 {
        bail!(
            "cost must be a finite amount of at least 0 (got {})",
            new.cost_usd
        );
    }
    let now = gate.now_ms();
    let sha = sha256_hex(&new.content);
    let size = new.content.len() as u64;
    let inline_max = gate.settings().artifacts_inline_max_bytes;
    let (backend, path, content) = if new.content.len() as u64 <= inline_max {
        ("inline", None, Some(new.content))
    } else {
        let rel = blob::write(&blob::dir(gate.paths()), &sha, &new.content)?;
        ("file", Some(rel), None)
    };
    let kind = if new.kind.trim().is_empty() {
        "custom".to_string()
    } else {
        field(&new.kind)
    };
    let mut row = ArtifactRow {
        id: fresh_id(&sha, now)?,
        ts_ms: now,
        sha256: sha,
        size,
        backend: backend.into(),
        path,
        content,
        kind,
        project: field(&new.project),
        session: field(&new.session),
        task: field(&new.task),
        runtime: field(&new.runtime),
        tool: field(&new.tool),
        summary: field(&new.summary),
        model: field(&new.model),
        provider: field(&new.provider),
        tokens_in: new.tokens_in,
        tokens_out: new.tokens_out,
        cost_usd: new.cost_usd,
        status: "verified".into(),
        verified_ms: Some(now),
    };
    gate.write_state(|st| {
        st.insert_artifact(&row)?;
        st.audit(
            &crate::engine::state::AuditNote {
                event_type: "artifact.stored".into(),
                actor_type: "system".into(),
                actor_id: "aiperture".into(),
                principal: String::new(),
                host: String::new(),
                runtime: row.runtime.clone(),
                session: row.session.clone(),
                project: row.project.clone(),
                entity: format!("artifact/{}", row.id),
                summary: format!(
                    "stored artifact {} ({}, {} bytes, {})",
                    row.id, row.kind, row.size, row.backend
                ),
                details: serde_json::json!({
                    "id": row.id, "sha256": row.sha256, "size": row.size,
                    "backend": row.backend, "kind": row.kind, "task": row.task,
                    "tool": row.tool, "model": row.model, "provider": row.provider,
                    "tokens_in": row.tokens_in, "tokens_out": row.tokens_out,
                    "cost_usd": row.cost_usd,
                }),
            },
            now,
        )
    })?;
    row.content = None;
    Ok(row.into())
}

/// One artifact by id (`None` when there is none or the id is malformed).
pub fn get<S: Store>(gate: &Gate<S>, id: &str) -> anyhow::Result<Option<Artifact>> {
    if !valid_id(id) {
        return Ok(None);
    }
    Ok(gate.store().read(|st| st.artifact(id))?.map(|mut r| {
        r.content = None;
        r.into()
    }))
}

/// The content of an artifact, as stored (not verified: see [`verify`]).
pub fn content<S: Store>(gate: &Gate<S>, id: &str) -> anyhow::Result<Vec<u8>> {
    let row = row_of(gate, id)?;
    match row.backend.as_str() {
        "inline" => Ok(row.content.unwrap_or_default()),
        "file" => blob::read(&blob::dir(gate.paths()), &row.sha256)
            .map_err(|e| anyhow!("artifact {id}: {e}")),
        other => bail!("artifact {id}: unknown storage `{other}`"),
    }
}

fn row_of<S: Store>(gate: &Gate<S>, id: &str) -> anyhow::Result<ArtifactRow> {
    let found = if valid_id(id) {
        gate.store().read(|st| st.artifact(id))?
    } else {
        None
    };
    found.ok_or_else(|| anyhow!("artifact not found: {id}"))
}

/// Re-hashes an artifact's content and records the result (`verified` or `failed`, with an
/// `artifact.verified` audit event). A file that is missing, unreadable, changed or
/// truncated fails; so does an inline content edited in the store without its hash.
pub fn verify<S: Store>(gate: &Gate<S>, id: &str) -> anyhow::Result<Verification> {
    let row = row_of(gate, id)?;
    let found = match row.backend.as_str() {
        "inline" => Ok(row.content.clone().unwrap_or_default()),
        "file" => blob::read(&blob::dir(gate.paths()), &row.sha256),
        other => Err(anyhow!("unknown storage `{other}`")),
    };
    let now = gate.now_ms();
    let (actual, problem) = match found {
        Ok(bytes) => {
            let actual = sha256_hex(&bytes);
            let problem = (actual != row.sha256)
                .then(|| format!("content changed: SHA-256 {actual}, recorded {}", row.sha256));
            (Some(actual), problem)
        }
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let status = if problem.is_none() {
        "verified"
    } else {
        "failed"
    };
    gate.write_state(|st| {
        st.set_artifact_status(&row.id, status, now)?;
        st.audit(
            &crate::engine::state::AuditNote {
                event_type: "artifact.verified".into(),
                actor_type: "system".into(),
                actor_id: "aiperture".into(),
                principal: String::new(),
                host: String::new(),
                runtime: row.runtime.clone(),
                session: row.session.clone(),
                project: row.project.clone(),
                entity: format!("artifact/{}", row.id),
                summary: format!("artifact {} {status}", row.id),
                details: serde_json::json!({"id": row.id, "status": status,
                    "sha256": row.sha256, "actual_sha256": actual, "problem": problem}),
            },
            now,
        )
    })?;
    Ok(Verification {
        id: row.id,
        status: status.into(),
        expected_sha256: row.sha256,
        actual_sha256: actual,
        problem,
        verified_ms: now,
    })
}

/// Artifacts matching `filter`, newest first (at most `filter.limit`; 0 = all).
pub fn list<S: Store>(gate: &Gate<S>, filter: &ArtifactFilter) -> anyhow::Result<Vec<Artifact>> {
    Ok(gate
        .store()
        .read(|st| st.list_artifacts(filter))?
        .into_iter()
        .map(Artifact::from)
        .collect())
}

#[cfg(test)]
mod tests;
