//! The stores: SQLite (this module: connection, pragmas, numbered migrations, write
//! transactions; the default) and PostgreSQL (`postgres`, the team store), one chosen by
//! `select`. They store and retrieve; they know no policy.
//!
//! One [`Db`] is one connection. Every hook call is one short process that opens the store,
//! runs one `BEGIN IMMEDIATE` write transaction ([`Db::write`]) and exits. Opening an already
//! current store costs one `PRAGMA user_version` read; migrations run only when the recorded
//! version is behind, inside `BEGIN IMMEDIATE`, re-checked after the lock is taken so that
//! many processes opening a fresh store at once migrate it exactly once.

use anyhow::{anyhow, bail};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub mod audit_sql;
#[cfg(test)]
pub mod conformance;
pub mod integrity;
pub mod migrate;
pub mod postgres;
pub mod seed;
pub mod select;
pub mod sqlite;
pub mod state;

pub use postgres::PgStore;
pub use select::{AnyGate, AnyStore, Location};
pub use sqlite::{LocalGate, SqliteStore};

/// The numbered migrations, applied in order; the index + 1 is the schema version.
/// `0001_core.sql` belongs to the foundation (meta, audit chain); `0002_engine.sql` to the
/// decision engine (decisions, pattern aggregates, checks, sessions, memory, pending asks,
/// nonces, grants, executions); `0003_lean_hot_path.sql` drops indexes only reports used;
/// `0004_written_files.sql` remembers files written through runtimes' write tools;
/// `0005_artifacts.sql` keeps artifacts and their costs (`crate::artifacts`);
/// `0006_applied_requests.sql` keeps the ids of hook calls already recorded
/// (`crate::request_id`); `0007_identity.sql` records who and which machine on every audit event.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_core.sql"),
    include_str!("migrations/0002_engine.sql"),
    include_str!("migrations/0003_lean_hot_path.sql"),
    include_str!("migrations/0004_written_files.sql"),
    include_str!("migrations/0005_artifacts.sql"),
    include_str!("migrations/0006_applied_requests.sql"),
    include_str!("migrations/0007_identity.sql"),
];

/// How long a writer waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's own automatic checkpoint, a backstop for writes made outside [`Db::write`].
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 1000;

/// WAL size after which [`Db::write`] checkpoints and truncates the WAL.
///
/// Every hook call is a new process, the first to open the WAL-index, so SQLite rebuilds the
/// index by reading the whole WAL; and after such a rebuild it no longer knows which frames
/// were already checkpointed, so a PASSIVE (automatic) checkpoint never lets the WAL restart
/// and it grows without bound. Truncating it once it passes this size keeps every open's
/// read of the WAL small (see docs/audit.md, "Performance").
pub const WAL_TRUNCATE_BYTES: u64 = 512 * 1024;

/// Process-wide SQLite settings, applied once before the first connection: no memory
/// statistics. With them on (SQLite's default), every allocation and free takes a global
/// mutex and updates counters; opening the store (parsing the schema) and preparing a check's
/// statements make thousands of them (~9 % of a hook call's instructions, docs/performance.md).
fn configure_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called before this process opens its first connection, with the int
        // argument SQLITE_CONFIG_MEMSTATUS takes. Had SQLite been initialized already, it
        // would return SQLITE_MISUSE and change nothing.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            );
        }
    });
}

/// The schema version this binary writes: the number of migrations.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// An open store: one SQLite connection in WAL mode at the current schema version.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if needed) the store at `path`: parent directory 0700, file 0600, WAL,
    /// `synchronous=NORMAL`, busy timeout, no checkpoint on close, migrations applied.
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        create_file(path)?;
        Self::open_inner(path)
    }

    /// Opens an existing store; a missing file is an error rather than created. Used by
    /// read-only commands (`audit verify`, `doctor`) that must not invent an empty store.
    pub fn open_existing(path: &Path) -> anyhow::Result<Db> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Self::open_inner(path),
            Ok(_) => bail!("database {}: not a regular file", path.display()),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                bail!("database {}: does not exist", path.display())
            }
            Err(e) => bail!("database {}: {}", path.display(), io_problem(&e)),
        }
    }

    fn open_inner(path: &Path) -> anyhow::Result<Db> {
        configure_library();
        let shown = path.display();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| anyhow!("database {shown}: cannot open: {}", sql_problem(&e)))?;
        let db = Db {
            conn,
            path: path.to_path_buf(),
        };
        db.configure()
            .map_err(|e| anyhow!("database {shown}: {}", e))?;
        db.migrate()
            .map_err(|e| anyhow!("database {shown}: {}", e))?;
        Ok(db)
    }

    /// Per-connection settings (no I/O) and the read-only check.
    fn configure(&self) -> anyhow::Result<()> {
        let c = &self.conn;
        if c.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            bail!("read-only (check the file's permissions)");
        }
        c.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(sql_err)?;
        // The query planner's stability guarantee: a plan never depends on a bound value. Without
        // it, a statement whose plan looked at a parameter (`LIMIT ?`, a range on an indexed
        // column) is marked for re-preparing whenever its bindings are cleared, which the
        // statement cache does on every reuse: three full re-prepares per check in a server.
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(sql_err)?;
        c.execute_batch(&format!(
            "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(sql_err)?;
        Ok(())
    }

    /// Brings the schema to [`current_version`]; the fast path is one `user_version` read.
    fn migrate(&self) -> anyhow::Result<()> {
        let target = current_version();
        let v = self.read_version()?;
        if v == target {
            return Ok(());
        }
        if v > target {
            bail!(
                "schema version {v} is newer than this aiperture knows ({target}); upgrade aiperture"
            );
        }
        self.ensure_wal()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let v = read_version(&tx)?;
        if v > target {
            bail!(
                "schema version {v} is newer than this aiperture knows ({target}); upgrade aiperture"
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            tx.execute_batch(sql)
                .map_err(|e| anyhow!("migration {:04} failed: {}", i + 1, sql_problem(&e)))?;
        }
        tx.pragma_update(None, "user_version", target)
            .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        Ok(())
    }

    /// Switches the file to WAL (persistent in the file, so only done while migrating).
    fn ensure_wal(&self) -> anyhow::Result<()> {
        let mut last = None;
        for _ in 0..50 {
            match self
                .conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => bail!("cannot switch to WAL journal mode (got {mode})"),
                Err(e) if is_busy(&e) => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(sql_err(e)),
            }
        }
        Err(anyhow!(
            "cannot switch to WAL journal mode: {}",
            last.map(|e| sql_problem(&e)).unwrap_or_default()
        ))
    }

    fn read_version(&self) -> anyhow::Result<u32> {
        read_version(&self.conn)
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> anyhow::Result<u32> {
        self.read_version()
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for advanced use (prefer [`Db::write`] and [`Db::read`]).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when `f` returns `Ok`,
    /// rolled back when it returns `Err` (or panics).
    pub fn write<T>(&self, f: impl FnOnce(&Transaction) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err("cannot start a write transaction", &e))?;
        crash_point("begun");
        let out = f(&tx)?;
        crash_point("written");
        tx.commit().map_err(|e| self.err("cannot commit", &e))?;
        crash_point("committed");
        self.bound_wal();
        Ok(out)
    }

    /// Checkpoints and truncates the WAL once it exceeds [`WAL_TRUNCATE_BYTES`]. Best effort:
    /// the commit is already durable, so a busy or failed checkpoint is left for a later call.
    fn bound_wal(&self) {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_BYTES) {
            let _ = self.conn.busy_timeout(Duration::from_millis(20));
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
    }

    /// Runs `f` in one read transaction (a consistent snapshot of the store).
    pub fn read<T>(&self, f: impl FnOnce(&Transaction) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
            .map_err(|e| self.err("cannot start a read transaction", &e))?;
        let out = f(&tx)?;
        tx.finish().map_err(|e| self.err("cannot end a read", &e))?;
        Ok(out)
    }

    fn err(&self, what: &str, e: &rusqlite::Error) -> anyhow::Error {
        let message = format!(
            "database {}: {what}: {}",
            self.path.display(),
            sql_problem(e)
        );
        if is_busy(e) {
            crate::error::GateError::busy(message).into()
        } else {
            anyhow!(message)
        }
    }
}

/// Crash-test hook, debug builds only (compiled out of release builds): when
/// `AIPERTURE_DEBUG_TX_DIR` names a directory, each stage of a write transaction (`begun`,
/// `written`, `committed`) leaves an empty file `<pid>.<stage>` there, and
/// `AIPERTURE_DEBUG_TX_PAUSE_MS` pauses after `begun` and `written`, so the crash tests
/// (`tests/reliability_crash.rs`) can SIGKILL a process provably inside its transaction.
#[cfg(debug_assertions)]
fn crash_point(stage: &str) {
    let Some(dir) = std::env::var_os("AIPERTURE_DEBUG_TX_DIR") else {
        return;
    };
    let mark = Path::new(&dir).join(format!("{}.{stage}", std::process::id()));
    let _ = std::fs::File::create(mark);
    let pause = std::env::var("AIPERTURE_DEBUG_TX_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(ms) = pause.filter(|_| stage != "committed") {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
fn crash_point(_stage: &str) {}

fn read_version(conn: &Connection) -> anyhow::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(sql_err)
        .and_then(|v| u32::try_from(v).map_err(|_| anyhow!("invalid schema version {v}")))
}

/// Creates the parent directory (0700) and the file (0600) when missing.
fn create_file(path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                anyhow!(
                    "database directory {}: cannot create: {}",
                    dir.display(),
                    io_problem(&e)
                )
            })?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(()),
            Ok(_) => bail!("database {shown}: not a regular file"),
            Err(e) => bail!("database {shown}: {}", io_problem(&e)),
        },
        Err(e) => bail!("database {shown}: cannot create: {}", io_problem(&e)),
    }
}

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn sql_err(e: rusqlite::Error) -> anyhow::Error {
    anyhow!("{}", sql_problem(&e))
}

/// A one-line description of an SQLite error in a user's terms.
pub fn sql_problem(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => "not a database (corrupt or a different file)".into(),
        Some(C::DatabaseCorrupt) => "database disk image is corrupt".into(),
        Some(C::ReadOnly) => "read-only (check the file's and directory's permissions)".into(),
        Some(C::CannotOpen) => "cannot open (missing directory or no permission)".into(),
        Some(C::PermissionDenied) => "permission denied".into(),
        Some(C::DatabaseBusy | C::DatabaseLocked) => {
            "locked by another process for too long (busy timeout)".into()
        }
        Some(C::DiskFull) => "disk full".into(),
        Some(C::SystemIoFailure) => format!("I/O error ({e})"),
        _ => e.to_string(),
    }
}

/// A one-line description of an I/O error (kept here for existing callers).
pub use crate::paths::io_problem;

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_cached_statement_is_not_prepared_again_when_its_values_change() {
        // `LIMIT ?` and a range on an indexed column made SQLite re-prepare the statement
        // on every reuse from the cache, unless the planner's stability guarantee is on.
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("a.db")).unwrap();
        let sql = "SELECT count(*) FROM (SELECT 1 FROM checks WHERE session = ?1 AND ts_ms >= ?2 \
                   LIMIT ?3)";
        for (i, limit) in [(0i64, 5i64), (10, 7), (20, 9)] {
            let mut st = db.conn().prepare_cached(sql).unwrap();
            let n: i64 = st
                .query_row(rusqlite::params!["s", i, limit], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0);
            let reprepared = st.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(reprepared, 0, "use {i}: the statement was prepared again");
        }
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn fresh_open_creates_0600_file_in_0700_dir_and_migrates() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("sub/dir/a.db");
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), current_version());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let jm: String = db
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(jm, "wal");
        let sync: i64 = db
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
        for table in ["meta", "audit_events", "audit_head"] {
            let n: i64 = db
                .conn()
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{table}");
        }
    }

    #[test]
    fn reopen_is_idempotent_and_keeps_data() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("a.db");
        {
            let db = Db::open(&path).unwrap();
            db.write(|tx| {
                tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')", [])?;
                Ok(())
            })
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), current_version());
        let v: String = db
            .read(|tx| Ok(tx.query_row("SELECT value FROM meta WHERE key='k'", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(v, "v");
    }

    #[test]
    fn a_version_2_store_loses_only_the_report_indexes() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("v2.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(MIGRATIONS[0]).unwrap();
            c.execute_batch(MIGRATIONS[1]).unwrap();
            c.execute_batch(
                "PRAGMA user_version = 2; INSERT INTO meta(key, value) VALUES ('k', 'v');",
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), current_version());
        let indexes: Vec<String> = db
            .read(|tx| {
                let mut st = tx.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'index' \
                     AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
                )?;
                let names = st.query_map([], |r| r.get(0))?;
                Ok(names.collect::<Result<_, _>>()?)
            })
            .unwrap();
        for gone in [
            "audit_events_ts",
            "audit_events_type_ts",
            "executions_ts",
            "pending_asks_state",
            "consumed_nonces_ts",
        ] {
            assert!(!indexes.iter().any(|i| i == gone), "{gone} in {indexes:?}");
        }
        // The hot path's lookups keep theirs.
        for kept in ["checks_session_ts", "pending_asks_session", "grants_lookup"] {
            assert!(indexes.iter().any(|i| i == kept), "{kept} missing");
        }
        let v: String = db
            .read(|tx| Ok(tx.query_row("SELECT value FROM meta WHERE key='k'", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(v, "v");
    }

    #[test]
    fn migrates_an_existing_empty_file() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("empty.db");
        std::fs::write(&path, b"").unwrap();
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), current_version());
    }

    #[test]
    fn writes_keep_the_wal_bounded_across_connections() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("a.db");
        let blob = "x".repeat(3000);
        // One connection per write, as hook processes do; without the truncating checkpoint
        // the WAL grows without bound (each new connection forgets what was checkpointed).
        for _ in 0..400 {
            let db = Db::open(&path).unwrap();
            db.write(|tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (hex(randomblob(8)), ?1)",
                    [&blob],
                )?;
                Ok(())
            })
            .unwrap();
        }
        let wal = std::fs::metadata(t.path().join("a.db-wal")).unwrap().len();
        assert!(wal <= WAL_TRUNCATE_BYTES + 64 * 1024, "WAL is {wal} bytes");
    }

    #[test]
    fn write_rolls_back_on_error() {
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("a.db")).unwrap();
        let r: anyhow::Result<()> = db.write(|tx| {
            tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')", [])?;
            bail!("boom")
        });
        assert!(r.is_err());
        let n: i64 = db
            .read(|tx| {
                Ok(
                    tx.query_row("SELECT count(*) FROM meta WHERE key = 'k'", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn newer_schema_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("a.db");
        drop(Db::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", current_version() + 7)
            .unwrap();
        drop(c);
        let e = Db::open(&path).unwrap_err().to_string();
        assert!(e.contains("newer") && e.contains("a.db"), "{e}");
    }

    #[test]
    fn garbage_file_is_a_one_line_error_naming_the_file() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("junk.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let e = format!("{:#}", Db::open(&path).unwrap_err());
        assert!(e.contains("junk.db") && e.contains("not a database"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // Nothing was written over the file.
        assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 4096]);
    }

    #[test]
    fn missing_file_with_open_existing_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("none.db");
        let e = Db::open_existing(&path).unwrap_err().to_string();
        assert!(e.contains("none.db") && e.contains("does not exist"), "{e}");
        assert!(!path.exists());
    }

    #[test]
    fn concurrent_fresh_opens_migrate_once() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("race.db");
        // A second run of 0001 would fail (plain CREATE TABLE, unique meta row), so every
        // opener succeeding and one `created_at` row mean it ran exactly once.
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Db::open(&p).map(|db| db.schema_version().unwrap()))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), current_version());
        }
        let db = Db::open(&path).unwrap();
        let n: i64 = db
            .conn()
            .query_row(
                "SELECT count(*) FROM meta WHERE key='created_at'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }
}
