//! The `artifacts` table on PostgreSQL (migration `0005_artifacts.sql`): the same calls as the
//! SQLite store's `store/state/artifacts.rs`, so `aiperture artifact`, `costs`, the HTTP routes
//! and the MCP tools work on a team store. A file-backed artifact's content lives on the
//! machine that stored it; its row, hash and costs are the team's.

use super::{P, PgState, all, pg_err};
use crate::engine::state::{ArtifactFilter, ArtifactRow, CostLine};
use postgres::Row;

/// Columns in the order [`artifact_row`] reads them (`content` last, read only by `artifact`).
const COLS: &str = "id, ts_ms, sha256, size, backend, path, kind, project, session, task, \
     runtime, tool, summary, model, provider, tokens_in, tokens_out, cost_usd, status, verified_ms";

/// The filter's `WHERE` clause over `$1`..`$5`.
const FILTER: &str = "($1::TEXT IS NULL OR session = $1) AND ($2::TEXT IS NULL OR task = $2) \
     AND ($3::TEXT IS NULL OR runtime = $3) AND ($4::TEXT IS NULL OR project = $4) \
     AND ($5::BIGINT IS NULL OR ts_ms >= $5)";

fn u(n: i64) -> u64 {
    n.max(0) as u64
}

fn i(n: u64) -> i64 {
    n.min(i64::MAX as u64) as i64
}

fn artifact_row(r: &Row) -> anyhow::Result<ArtifactRow> {
    let s = |k: usize| -> anyhow::Result<String> { r.try_get(k).map_err(pg_err) };
    let n = |k: usize| -> anyhow::Result<i64> { r.try_get(k).map_err(pg_err) };
    Ok(ArtifactRow {
        id: s(0)?,
        ts_ms: n(1)?,
        sha256: s(2)?,
        size: u(n(3)?),
        backend: s(4)?,
        path: r.try_get(5).map_err(pg_err)?,
        content: None,
        kind: s(6)?,
        project: s(7)?,
        session: s(8)?,
        task: s(9)?,
        runtime: s(10)?,
        tool: s(11)?,
        summary: s(12)?,
        model: s(13)?,
        provider: s(14)?,
        tokens_in: u(n(15)?),
        tokens_out: u(n(16)?),
        cost_usd: r.try_get(17).map_err(pg_err)?,
        status: s(18)?,
        verified_ms: r.try_get(19).map_err(pg_err)?,
    })
}

impl PgState<'_> {
    pub(super) fn pg_insert_artifact(&mut self, a: &ArtifactRow) -> anyhow::Result<()> {
        let (size, tin, tout) = (i(a.size), i(a.tokens_in), i(a.tokens_out));
        let params: [P<'_>; 21] = [
            &a.id,
            &a.ts_ms,
            &a.sha256,
            &size,
            &a.backend,
            &a.path,
            &a.kind,
            &a.project,
            &a.session,
            &a.task,
            &a.runtime,
            &a.tool,
            &a.summary,
            &a.model,
            &a.provider,
            &tin,
            &tout,
            &a.cost_usd,
            &a.status,
            &a.verified_ms,
            &a.content,
        ];
        self.exec(
            &format!(
                "INSERT INTO artifacts ({COLS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
            ),
            &params,
        )?;
        Ok(())
    }

    pub(super) fn pg_artifact(&mut self, id: &str) -> anyhow::Result<Option<ArtifactRow>> {
        let sql = format!("SELECT {COLS}, content FROM artifacts WHERE id = $1");
        match self.row(&sql, &[&id])? {
            None => Ok(None),
            Some(r) => {
                let mut a = artifact_row(&r)?;
                a.content = r.try_get(20).map_err(pg_err)?;
                Ok(Some(a))
            }
        }
    }

    pub(super) fn pg_list_artifacts(
        &mut self,
        f: &ArtifactFilter,
    ) -> anyhow::Result<Vec<ArtifactRow>> {
        let limit: Option<i64> = (f.limit > 0).then(|| i64::from(f.limit));
        let sql = format!(
            "SELECT {COLS} FROM artifacts WHERE {FILTER} ORDER BY ts_ms DESC, id DESC LIMIT $6"
        );
        let rows = self.rows(
            &sql,
            &[
                &f.session,
                &f.task,
                &f.runtime,
                &f.project,
                &f.since_ms,
                &limit,
            ],
        )?;
        all(rows, artifact_row)
    }

    pub(super) fn pg_set_artifact_status(
        &mut self,
        id: &str,
        status: &str,
        ts_ms: i64,
    ) -> anyhow::Result<bool> {
        let n = self.exec(
            "UPDATE artifacts SET status = $2, verified_ms = $3 WHERE id = $1",
            &[&id, &status, &ts_ms],
        )?;
        Ok(n > 0)
    }

    pub(super) fn pg_cost_lines(&mut self, f: &ArtifactFilter) -> anyhow::Result<Vec<CostLine>> {
        let sql = format!(
            "SELECT model, provider, task, session, runtime, count(*), sum(tokens_in)::BIGINT, \
             sum(tokens_out)::BIGINT, sum(cost_usd) FROM artifacts WHERE {FILTER} \
             GROUP BY model, provider, task, session, runtime"
        );
        let rows = self.rows(
            &sql,
            &[&f.session, &f.task, &f.runtime, &f.project, &f.since_ms],
        )?;
        all(rows, |r| {
            let s = |k: usize| -> anyhow::Result<String> { r.try_get(k).map_err(pg_err) };
            let n = |k: usize| -> anyhow::Result<i64> { r.try_get(k).map_err(pg_err) };
            Ok(CostLine {
                model: s(0)?,
                provider: s(1)?,
                task: s(2)?,
                session: s(3)?,
                runtime: s(4)?,
                artifacts: u(n(5)?),
                tokens_in: u(n(6)?),
                tokens_out: u(n(7)?),
                cost_usd: r.try_get(8).map_err(pg_err)?,
            })
        })
    }
}
