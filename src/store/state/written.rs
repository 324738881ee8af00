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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::state::State;
    use crate::store::state::SqliteState;
    use crate::store::{Db, MIGRATIONS};

    fn file(path: &str, tier: Option<RiskTier>) -> WrittenFile {
        WrittenFile {
            path: path.into(),
            sha256: "ab".repeat(32),
            tier,
            reason: "why".into(),
            in_project: false,
            project: "/p".into(),
            ts_ms: 7,
            session: "s".into(),
            runtime: "claude-code".into(),
        }
    }

    #[test]
    fn a_version_3_store_gains_the_table_and_the_latest_write_wins() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("v3.db");
        {
            let c = Connection::open(&path).unwrap();
            for m in &MIGRATIONS[..3] {
                c.execute_batch(m).unwrap();
            }
            c.execute_batch("PRAGMA user_version = 3;").unwrap();
        }
        let db = Db::open(&path).unwrap();
        db.write(|tx| {
            let mut st = SqliteState::new(tx);
            assert_eq!(st.written_file("/tmp/x.sh")?, None);
            st.put_written_file(&file("/tmp/x.sh", None))?;
            st.put_written_file(&file("/tmp/x.sh", Some(RiskTier::Critical)))?;
            assert_eq!(
                st.written_file("/tmp/x.sh")?,
                Some(file("/tmp/x.sh", Some(RiskTier::Critical)))
            );
            // A tier this binary does not know fails closed.
            tx.execute("UPDATE written_files SET tier = 'weird'", [])?;
            assert_eq!(
                st.written_file("/tmp/x.sh")?.and_then(|f| f.tier),
                Some(RiskTier::High)
            );
            Ok(())
        })
        .unwrap();
    }
}
