//! The `artifacts` table: content-addressed artifacts and their costs (migration
//! `0005_artifacts.sql`, `crate::artifacts`). Never touched by a check.

use crate::engine::state::{ArtifactFilter, ArtifactRow, CostLine};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

/// Columns in the order [`row`] reads them (`content` last, read only by [`get`]).
const COLS: &str = "id, ts_ms, sha256, size, backend, path, kind, project, session, task, \
     runtime, tool, summary, model, provider, tokens_in, tokens_out, cost_usd, status, verified_ms";

fn u(n: i64) -> u64 {
    n.max(0) as u64
}

fn i(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArtifactRow> {
    Ok(ArtifactRow {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        sha256: r.get(2)?,
        size: u(r.get(3)?),
        backend: r.get(4)?,
        path: r.get(5)?,
        content: None,
        kind: r.get(6)?,
        project: r.get(7)?,
        session: r.get(8)?,
        task: r.get(9)?,
        runtime: r.get(10)?,
        tool: r.get(11)?,
        summary: r.get(12)?,
        model: r.get(13)?,
        provider: r.get(14)?,
        tokens_in: u(r.get(15)?),
        tokens_out: u(r.get(16)?),
        cost_usd: r.get(17)?,
        status: r.get(18)?,
        verified_ms: r.get(19)?,
    })
}

/// Inserts one artifact; an id already taken is an error (the caller draws a fresh one).
pub(super) fn insert(conn: &Connection, a: &ArtifactRow) -> anyhow::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO artifacts ({COLS}, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
    ))?
    .execute(params![
        a.id,
        a.ts_ms,
        a.sha256,
        i(a.size),
        a.backend,
        a.path,
        a.kind,
        a.project,
        a.session,
        a.task,
        a.runtime,
        a.tool,
        a.summary,
        a.model,
        a.provider,
        i(a.tokens_in),
        i(a.tokens_out),
        a.cost_usd,
        a.status,
        a.verified_ms,
        a.content,
    ])?;
    Ok(())
}

/// One artifact by id, content included (a primary-key lookup).
pub(super) fn get(conn: &Connection, id: &str) -> anyhow::Result<Option<ArtifactRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS}, content FROM artifacts WHERE id = ?1"
        ))?
        .query_row(params![id], |r| {
            let mut a = row(r)?;
            a.content = r.get(20)?;
            Ok(a)
        })
        .optional()?)
}

/// `WHERE` clause and parameters of a filter (`?1`..`?5`).
fn filter_sql(f: &ArtifactFilter) -> (&'static str, Vec<Value>) {
    let text = |o: &Option<String>| match o {
        Some(s) => Value::Text(s.clone()),
        None => Value::Null,
    };
    (
        "(?1 IS NULL OR session = ?1) AND (?2 IS NULL OR task = ?2) AND \
         (?3 IS NULL OR runtime = ?3) AND (?4 IS NULL OR project = ?4) AND \
         (?5 IS NULL OR ts_ms >= ?5)",
        vec![
            text(&f.session),
            text(&f.task),
            text(&f.runtime),
            text(&f.project),
            f.since_ms.map_or(Value::Null, Value::Integer),
        ],
    )
}

/// Matching artifacts, newest first, without content.
pub(super) fn list(conn: &Connection, f: &ArtifactFilter) -> anyhow::Result<Vec<ArtifactRow>> {
    let (w, mut p) = filter_sql(f);
    p.push(Value::Integer(if f.limit == 0 {
        -1
    } else {
        i64::from(f.limit)
    }));
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM artifacts WHERE {w} ORDER BY ts_ms DESC, rowid DESC LIMIT ?6"
    ))?;
    let rows = st.query_map(params_from_iter(p), row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a verification.
pub(super) fn set_status(
    conn: &Connection,
    id: &str,
    status: &str,
    ts_ms: i64,
) -> anyhow::Result<bool> {
    let n = conn
        .prepare_cached("UPDATE artifacts SET status = ?2, verified_ms = ?3 WHERE id = ?1")?
        .execute(params![id, status, ts_ms])?;
    Ok(n > 0)
}

/// Sums per (model, provider, task, session, runtime): one grouped scan.
pub(super) fn costs(conn: &Connection, f: &ArtifactFilter) -> anyhow::Result<Vec<CostLine>> {
    let (w, p) = filter_sql(f);
    let mut st = conn.prepare_cached(&format!(
        "SELECT model, provider, task, session, runtime, count(*), sum(tokens_in), \
         sum(tokens_out), sum(cost_usd) FROM artifacts WHERE {w} \
         GROUP BY model, provider, task, session, runtime"
    ))?;
    let rows = st.query_map(params_from_iter(p), |r| {
        Ok(CostLine {
            model: r.get(0)?,
            provider: r.get(1)?,
            task: r.get(2)?,
            session: r.get(3)?,
            runtime: r.get(4)?,
            artifacts: u(r.get(5)?),
            tokens_in: u(r.get(6)?),
            tokens_out: u(r.get(7)?),
            cost_usd: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
