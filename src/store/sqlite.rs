//! [`SqliteStore`]: the embedded store behind the engine's [`Store`] port, one SQLite
//! connection behind a mutex, each call one transaction (`BEGIN IMMEDIATE` for writes, which
//! serializes budget charges and audit appends across threads and processes). Also the
//! constructor of a [`Gate`] on it (`Gate::open`, which picks the store the environment
//! selects, is in `super::select`).

use super::Db;
use super::state::SqliteState;
use crate::clock::Clock;
use crate::config::Settings;
use crate::engine::Gate;
use crate::engine::state::State;
use crate::engine::store::Store;
use crate::error::{ErrorKind, GateError};
use crate::paths::Paths;
use std::sync::{Arc, Mutex, MutexGuard};

/// The SQLite store as the engine sees it. `Send + Sync`: a server shares one; each hook
/// process opens its own.
#[derive(Debug)]
pub struct SqliteStore {
    db: Mutex<Db>,
}

/// A gate on the embedded SQLite store: what every command and hook opens.
pub type LocalGate = Gate<SqliteStore>;

impl SqliteStore {
    /// The store over an open database.
    pub fn new(db: Db) -> Self {
        SqliteStore { db: Mutex::new(db) }
    }

    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &std::path::Path) -> anyhow::Result<Self> {
        Ok(Self::new(Db::open(path)?))
    }

    /// The database, for SQLite-specific readers (report, audit verification, integrity).
    /// A poisoned lock (a panic in another thread mid-call) still yields the connection:
    /// SQLite rolled the transaction back when its guard dropped.
    pub fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The kind of a failure from SQLite: busy or locked past the wait, a typed kind from below,
/// else a store failure.
fn classify(e: anyhow::Error) -> GateError {
    let busy = e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .is_some_and(super::is_busy)
    });
    let mut g = GateError::classify(e);
    if busy && g.kind == ErrorKind::Store {
        g.kind = ErrorKind::Busy;
    }
    g
}

impl Store for SqliteStore {
    fn write<T>(
        &self,
        audit_key: &[u8; 32],
        f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>,
    ) -> Result<T, GateError> {
        self.db()
            .write(|tx| f(&mut SqliteState::with_audit(tx, audit_key)))
            .map_err(classify)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>) -> Result<T, GateError> {
        self.db()
            .read(|tx| f(&mut SqliteState::new(tx)))
            .map_err(classify)
    }
}

impl Gate<SqliteStore> {
    /// Opens with explicit paths, settings and clock (embedding, tests).
    pub fn open_with(
        paths: Paths,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let store = SqliteStore::open(&paths.db)?;
        Ok(Gate::new(store, paths, settings, clock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{self, Harness};

    /// One SQLite file; every handle is its own connection, as hook processes are.
    struct Sqlite {
        dir: tempfile::TempDir,
    }

    impl Harness for Sqlite {
        type S = SqliteStore;
        fn open(&self) -> SqliteStore {
            SqliteStore::open(&self.paths().db).unwrap()
        }
        fn paths(&self) -> Paths {
            Paths::at(&self.dir.path().join("home"), &self.dir.path().join("a.db"))
        }
        fn verify_chain(&self, key: &[u8; 32]) -> crate::audit::VerifyReport {
            let store = self.open();
            let db = store.db();
            crate::store::audit_sql::verify(&db, Some(key)).unwrap()
        }
        fn forge_head(&self) {
            let store = self.open();
            let db = store.db();
            db.conn()
                .execute("UPDATE audit_head SET mac = ?1", [&"00".repeat(32)])
                .unwrap();
        }
    }

    #[test]
    fn sqlite_passes_the_store_conformance_suite() {
        let h = Sqlite {
            dir: tempfile::tempdir().unwrap(),
        };
        conformance::run_all(&h);
    }

    #[test]
    fn the_store_and_its_gate_are_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<SqliteStore>();
        shareable::<LocalGate>();
    }

    #[test]
    fn a_locked_database_is_busy_and_other_failures_are_store() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("a.db");
        let a = SqliteStore::open(&path).unwrap();
        let b = SqliteStore::open(&path).unwrap();
        b.db()
            .conn()
            .busy_timeout(std::time::Duration::from_millis(10))
            .unwrap();
        let key = [1u8; 32];
        let err = a
            .write(&key, |_| Ok(b.write(&key, |_| Ok(())).err()))
            .unwrap()
            .expect("the second writer waits and gives up");
        assert_eq!(err.kind, ErrorKind::Busy, "{err}");
        let err = a
            .read(|_| -> anyhow::Result<()> { anyhow::bail!("boom") })
            .unwrap_err();
        assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Store, "boom"));
    }
}
