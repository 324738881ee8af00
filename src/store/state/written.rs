//! The `written_files` table: files written through a runtime's write tool, one row per
//! canonical path (migration `0004_written_files.sql`).

use crate::engine::state::WrittenFile;
use crate::request::RiskTier;
use rusqlite::{Connection, OptionalExtension, params};

/// The remembered write of `path`: one primary-key lookup.
pub(super) fn get(conn: &Connection, path: &str) -> anyhow::Result<Option<WrittenFile>> {
    let row = conn
        .prepare_cached(
            "SELECT path, sha256, tier, reason, in_project, project, ts_ms, session, runtime \
             FROM written_files WHERE path = ?1",
        )?
        .query_row(params![path], |r| {
            let tier: Option<String> = r.get(2)?;
            Ok(WrittenFile {
                path: r.get(0)?,
                sha256: r.get(1)?,
                // A tier this binary does not know was written by a newer one: fail closed.
                tier: tier.map(|t| RiskTier::parse(&t).unwrap_or(RiskTier::High)),
                reason: r.get(3)?,
                in_project: r.get::<_, i64>(4)? != 0,
                project: r.get(5)?,
                ts_ms: r.get(6)?,
                session: r.get(7)?,
                runtime: r.get(8)?,
            })
        })
        .optional()?;
    Ok(row)
}

/// Remembers a write, replacing an earlier one of the same path.
pub(super) fn put(conn: &Connection, f: &WrittenFile) -> anyhow::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO written_files \
         (path, sha256, tier, reason, in_project, project, ts_ms, session, runtime) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        f.path,
        f.sha256,
        f.tier.map(|t| t.as_str()),
        f.reason,
        f.in_project as i64,
        f.project,
        f.ts_ms,
        f.session,
        f.runtime
    ])?;
    Ok(())
}
