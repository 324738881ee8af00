//! A check's snapshot on the team store in one round trip. Read one keyed statement at a time
//! (the engine's default, `fetch_each`), the common check costs seven or eight round trips to
//! the database (the rate-limit count, the session, the session memory, the grants, each
//! key's project and global patterns, the presets); over a network each is a wait. Here one
//! statement returns them all, each part as JSON, decoded into the same rows: keys whose
//! evidence travels between projects are read in every project, with whether the human has
//! decided in this one. A request the risk floor decides (CRITICAL) reads its rate-limit
//! count and session only, also in one statement. In a write transaction the audit head
//! comes with either, for the check's append. A session memory's revocations and written
//! files are read as the default reads them.

use super::super::chain::{HEAD_JSON_SQL, head_of_json};
use super::{PgState, decision_of};
use crate::engine::rows::GLOBAL;
use crate::engine::snapshot::{Snapshot, SnapshotKeys};
use crate::engine::state::{Grant, KeyKind, LearnKey, PatternStats, SessionRow, State};
use anyhow::{Context, anyhow};
use serde_json::Value;

/// Every part of the common snapshot, in one statement. Parameters: $1 session, $2/$3 the
/// rate window (since, cap), $4 project, $5 tool, $6 action, $7 scope, $8 content hash,
/// $9 now, $10 the global project, $11/$12 the learning keys' kinds and keys, $13 the keys of
/// those that travel; then whether the human decided in the project (read only when a key
/// travels), and the audit head last ([`HEAD_JSON_SQL`]). The patterns part is a superset
/// (any kind with any key) in no order, and the presets come unordered: both are filtered and
/// ordered here, which a backend with cold caches plans faster than an `unnest` join and
/// ordered aggregates.
const SNAPSHOT_PARTS_SQL: &str = "SELECT \
     (SELECT count(*) FROM (SELECT 1 FROM checks WHERE session = $1 AND ts_ms >= $2 \
      LIMIT $3) AS recent), \
     (SELECT json_build_array(runtime, project, started_ms, last_ms, budget_used::text, \
      budget_ms, auto_allowed)::text FROM sessions WHERE session = $1), \
     (SELECT json_build_array(decision, ts_ms)::text FROM session_memory WHERE session = $1 \
      AND project = $4 AND tool = $5 AND action = $6 AND scope = $7 AND content_hash = $8), \
     (SELECT json_agg(json_build_array(id, created_ms, expires_ms, project, session, tool, \
      action, scope, decision, granted_by, reason) ORDER BY created_ms)::text FROM grants \
      WHERE project = $4 AND tool = $5 AND action = $6 AND expires_ms > $9 \
      AND revoked_ms IS NULL), \
     (SELECT json_agg(json_build_array(project, kind, key, human_allow, human_deny, \
      inferred_deny, rapid_allow, humans, first_ms, last_ms, revoked_ms))::text \
      FROM patterns WHERE tool = $5 AND action = $6 AND kind = ANY($11::text[]) \
      AND key = ANY($12::text[]) AND (project IN ($4, $10) OR key = ANY($13::text[]))), \
     (SELECT json_agg(name)::text FROM presets WHERE project = $4), \
     (CASE WHEN cardinality($13::text[]) > 0 THEN EXISTS (SELECT 1 FROM patterns \
      WHERE project = $4 AND human_allow + human_deny + inferred_deny > 0) END), ";

/// The whole statement.
fn snapshot_sql() -> String {
    format!("{SNAPSHOT_PARTS_SQL}{HEAD_JSON_SQL}")
}

/// What a request the risk floor decides reads: $1 session, $2/$3 the rate window; the
/// session's row and the audit head.
const FLOOR_PARTS_SQL: &str = "SELECT \
     (SELECT count(*) FROM (SELECT 1 FROM checks WHERE session = $1 AND ts_ms >= $2 \
      LIMIT $3) AS recent), \
     (SELECT json_build_array(runtime, project, started_ms, last_ms, budget_used::text, \
      budget_ms, auto_allowed)::text FROM sessions WHERE session = $1), ";

/// The floor's whole statement.
fn floor_sql() -> String {
    format!("{FLOOR_PARTS_SQL}{HEAD_JSON_SQL}")
}

/// The snapshot `keys` asks for, in one round trip when it can be. In a write transaction
/// (begun under the write lock) the audit head comes with it, for the check's append.
pub(super) fn read(st: &mut PgState<'_>, keys: &SnapshotKeys) -> anyhow::Result<Snapshot> {
    let mut snap = Snapshot::default();
    for path in &keys.written_paths {
        if let Some(w) = st.written_file(path)? {
            snap.written.push(w);
        }
    }
    let (since, cap) = keys.rate_window.unwrap_or((i64::MAX, 0));
    let cap = cap.min(i64::MAX as u64) as i64;
    if !keys.decidable {
        let row = st
            .row(&floor_sql(), &[&keys.session, &since, &cap])?
            .ok_or_else(|| anyhow!("the snapshot query returned no row"))?;
        counted_and_session(&row, keys, &mut snap)?;
        head_at(st, &row, 2)?;
        return Ok(snap);
    }
    let mut kinds = Vec::new();
    let mut names = Vec::new();
    let mut travels = Vec::new();
    if keys.learning {
        for k in &keys.keys {
            kinds.push(k.kind.as_str());
            names.push(k.key.as_str());
            if keys.travel.contains(k) {
                travels.push(k.key.as_str());
            }
        }
    }
    let row = st
        .row(
            &snapshot_sql(),
            &[
                &keys.session,
                &since,
                &cap,
                &keys.project,
                &keys.tool,
                &keys.action,
                &keys.scope,
                &keys.content_hash,
                &keys.now_ms,
                &GLOBAL,
                &kinds,
                &names,
                &travels,
            ],
        )?
        .ok_or_else(|| anyhow!("the snapshot query returned no row"))?;
    counted_and_session(&row, keys, &mut snap)?;
    snap.memory = part(&row, 2)?
        .map(|v| Ok::<_, anyhow::Error>((decision_of(str_at(&v, 0)?), int_at(&v, 1)?)))
        .transpose()?;
    if snap.memory.is_some() {
        for k in &keys.keys {
            if let Some(ts) = st.latest_revocation(&keys.tool, &keys.action, k)? {
                snap.revocations.push((k.clone(), ts));
            }
        }
    }
    snap.grants = list(part(&row, 3)?, grant_of)?;
    let found = list(part(&row, 4)?, |v| pattern_of(&keys.tool, &keys.action, v))?;
    snap.patterns = in_key_order(found, keys);
    snap.presets = list(part(&row, 5)?, |v| {
        v.as_str()
            .map(String::from)
            .ok_or_else(|| anyhow!("a preset name that is not text"))
    })?;
    snap.presets.sort();
    // As the default reads it: only when a key that travels has evidence from elsewhere.
    let elsewhere = snap
        .patterns
        .iter()
        .any(|p| keys.travel.contains(&p.key) && p.project != keys.project && p.project != GLOBAL);
    if elsewhere && keys.project != GLOBAL {
        let known: Option<bool> = row.try_get(6).map_err(super::pg_err)?;
        snap.project_known = known.unwrap_or(false);
    }
    head_at(st, &row, 7)?;
    Ok(snap)
}

/// The rows of the patterns part that `keys` asks for, as the default reads them: key by key
/// in their order; a key's rows in the project and globally (the project's first), or, for a
/// key that travels, in every project by name (bytewise, as `COLLATE "C"` orders them).
fn in_key_order(found: Vec<PatternStats>, keys: &SnapshotKeys) -> Vec<PatternStats> {
    let mut kept: Vec<(usize, PatternStats)> = found
        .into_iter()
        .filter_map(|p| {
            let at = keys.keys.iter().position(|k| k == &p.key)?;
            let here = p.project == keys.project || p.project == GLOBAL;
            (here || keys.travel.contains(&p.key)).then_some((at, p))
        })
        .collect();
    kept.sort_by(|(a, p), (b, q)| {
        a.cmp(b).then_with(|| {
            if keys.travel.contains(&p.key) {
                p.project.as_bytes().cmp(q.project.as_bytes())
            } else {
                (p.project != keys.project).cmp(&(q.project != keys.project))
            }
        })
    });
    kept.into_iter().map(|(_, p)| p).collect()
}

/// The part at `i` of a snapshot row, parsed (`None` when NULL).
fn part(row: &postgres::Row, i: usize) -> anyhow::Result<Option<Value>> {
    let text: Option<String> = row.try_get(i).map_err(super::pg_err)?;
    text.map(|t| serde_json::from_str(&t).context("the snapshot query's JSON"))
        .transpose()
}

/// The rate-limit count (part 0) and the session's row (part 1), as `keys` asks for them.
fn counted_and_session(
    row: &postgres::Row,
    keys: &SnapshotKeys,
    snap: &mut Snapshot,
) -> anyhow::Result<()> {
    if keys.rate_window.is_some() {
        let n: i64 = row.try_get(0).map_err(super::pg_err)?;
        snap.recent_checks = n.max(0) as u64;
    }
    if keys.budget {
        snap.session = part(row, 1)?
            .map(|v| session_of(&keys.session, &v))
            .transpose()?;
    }
    Ok(())
}

/// In a write transaction, the audit head at part `i`, kept for the check's append.
fn head_at(st: &mut PgState<'_>, row: &postgres::Row, i: usize) -> anyhow::Result<()> {
    if st.key.is_some() {
        let head: Option<String> = row.try_get(i).map_err(super::pg_err)?;
        st.head = Some(head_of_json(head.as_deref())?);
    }
    Ok(())
}

/// The items of a JSON array part (none when the part is NULL: no rows).
fn list<T>(v: Option<Value>, f: impl Fn(&Value) -> anyhow::Result<T>) -> anyhow::Result<Vec<T>> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(f).collect(),
        Some(_) => Err(anyhow!("a snapshot part that is not a list")),
    }
}

fn at(v: &Value, i: usize) -> anyhow::Result<&Value> {
    v.get(i)
        .ok_or_else(|| anyhow!("a snapshot row without its field {i}"))
}

fn str_at(v: &Value, i: usize) -> anyhow::Result<&str> {
    at(v, i)?
        .as_str()
        .ok_or_else(|| anyhow!("a snapshot field {i} that is not text"))
}

fn int_at(v: &Value, i: usize) -> anyhow::Result<i64> {
    at(v, i)?
        .as_i64()
        .ok_or_else(|| anyhow!("a snapshot field {i} that is not an integer"))
}

fn opt_int_at(v: &Value, i: usize) -> anyhow::Result<Option<i64>> {
    match at(v, i)? {
        Value::Null => Ok(None),
        _ => int_at(v, i).map(Some),
    }
}

fn count_at(v: &Value, i: usize) -> anyhow::Result<u32> {
    Ok(u32::try_from(int_at(v, i)?.max(0)).unwrap_or(u32::MAX))
}

fn session_of(session: &str, v: &Value) -> anyhow::Result<SessionRow> {
    Ok(SessionRow {
        session: session.to_string(),
        runtime: str_at(v, 0)?.to_string(),
        project: str_at(v, 1)?.to_string(),
        started_ms: int_at(v, 2)?,
        last_ms: int_at(v, 3)?,
        // Sent as text: PostgreSQL's shortest exact form, read back exactly.
        budget_used: str_at(v, 4)?
            .parse()
            .context("a session's budget that is not a number")?,
        budget_ms: int_at(v, 5)?,
        auto_allowed: int_at(v, 6)?.max(0) as u64,
    })
}

fn grant_of(v: &Value) -> anyhow::Result<Grant> {
    Ok(Grant {
        id: str_at(v, 0)?.to_string(),
        created_ms: int_at(v, 1)?,
        expires_ms: int_at(v, 2)?,
        project: str_at(v, 3)?.to_string(),
        session: str_at(v, 4)?.to_string(),
        tool: str_at(v, 5)?.to_string(),
        action: str_at(v, 6)?.to_string(),
        scope: str_at(v, 7)?.to_string(),
        decision: decision_of(str_at(v, 8)?),
        granted_by: str_at(v, 9)?.to_string(),
        reason: str_at(v, 10)?.to_string(),
    })
}

fn pattern_of(tool: &str, action: &str, v: &Value) -> anyhow::Result<PatternStats> {
    Ok(PatternStats {
        project: str_at(v, 0)?.to_string(),
        tool: tool.to_string(),
        action: action.to_string(),
        key: LearnKey {
            kind: KeyKind::parse(str_at(v, 1)?).unwrap_or(KeyKind::Exact),
            key: str_at(v, 2)?.to_string(),
        },
        human_allow: count_at(v, 3)?,
        human_deny: count_at(v, 4)?,
        inferred_deny: count_at(v, 5)?,
        rapid_allow: count_at(v, 6)?,
        humans: count_at(v, 7)?,
        first_ms: int_at(v, 8)?,
        last_ms: int_at(v, 9)?,
        revoked_ms: opt_int_at(v, 10)?,
    })
}
