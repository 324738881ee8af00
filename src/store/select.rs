//! Which store a gate opens: the embedded SQLite file (the default, and the fastest path), or
//! the team's PostgreSQL database when `AIPERTURE_DB_URL` (or `store.url` in the config file)
//! names one. [`AnyStore`] is the engine's [`Store`] port over either; `Gate::open` picks.

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use crate::engine::Gate;
use crate::engine::state::State;
use crate::engine::store::Store;
use crate::error::GateError;
use crate::paths::Paths;

/// The environment variable that selects the team store.
pub const DB_URL_ENV: &str = "AIPERTURE_DB_URL";

/// The store a gate runs on.
#[derive(Debug)]
pub enum AnyStore {
    /// The embedded SQLite file (`AIPERTURE_DB_PATH`).
    Sqlite(SqliteStore),
    /// A team's PostgreSQL database (boxed: its connection is large, the SQLite arm small).
    Postgres(Box<PgStore>),
}

/// A gate on whichever store the environment selects: what every command and hook opens.
pub type AnyGate = Gate<AnyStore>;

/// Where the store is: a PostgreSQL URL, or the SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The SQLite file at this path.
    Sqlite(std::path::PathBuf),
    /// The PostgreSQL database at this URL.
    Postgres(String),
}

impl Location {
    /// The location the environment and the config file select: `AIPERTURE_DB_URL`, else
    /// `store.url` in the config file (`file_url`), else the SQLite file of `paths`. An empty
    /// URL counts as unset; a URL that is neither `postgres://` nor `postgresql://` (nor
    /// `sqlite:PATH`) is an error, never a silent fall back to the local file.
    pub fn select(paths: &Paths, file_url: Option<&str>) -> anyhow::Result<Location> {
        let env = std::env::var(DB_URL_ENV).ok().filter(|u| !u.is_empty());
        let Some(url) = env.or_else(|| file_url.filter(|u| !u.is_empty()).map(String::from)) else {
            return Ok(Location::Sqlite(paths.db.clone()));
        };
        Self::parse(&url)
    }

    /// The location the environment and the user's config file select (loads the settings).
    pub fn from_env(paths: &Paths) -> anyhow::Result<Location> {
        let settings = crate::config::Settings::load(paths)?;
        Self::select(paths, Some(settings.store_url.as_str()))
    }

    /// The team store when the environment selects one (commands that read the store
    /// themselves: `audit`, `doctor`); `None` for the SQLite file.
    pub fn team_store(paths: &Paths) -> anyhow::Result<Option<PgStore>> {
        match Self::from_env(paths)? {
            Location::Postgres(url) => Ok(Some(PgStore::open(&url)?)),
            Location::Sqlite(_) => Ok(None),
        }
    }

    /// The store as the warm path names it: `sqlite` (the home's file: the socket is the
    /// home's already) or the PostgreSQL URL without its password; [`AnyStore::describe`]
    /// says the same of the store opened here.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(_) => "sqlite".into(),
            Location::Postgres(url) => super::postgres::redact(url),
        }
    }

    /// Reads a store URL: `postgres://…`, `postgresql://…` or `sqlite:PATH`.
    pub fn parse(url: &str) -> anyhow::Result<Location> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Location::Sqlite(path.into()))
        } else {
            anyhow::bail!(
                "{DB_URL_ENV}: `{}` is not a postgres:// URL (nor sqlite:PATH)",
                super::postgres::redact(url)
            )
        }
    }
}

impl AnyStore {
    /// Opens the store at `at` (creating and migrating it if needed).
    pub fn open(at: &Location) -> anyhow::Result<AnyStore> {
        Ok(match at {
            Location::Sqlite(path) => AnyStore::Sqlite(SqliteStore::open(path)?),
            // The gate runs only transactions: the schema is checked in the first one.
            Location::Postgres(url) => AnyStore::Postgres(Box::new(PgStore::open_deferred(url)?)),
        })
    }

    /// `sqlite` or `postgresql`.
    pub fn kind(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgresql",
        }
    }

    /// Opens the store at `at`, a team store with up to `pool` connections (a resident
    /// server; each connects on first need). The SQLite file ignores `pool`.
    pub fn open_pooled(at: &Location, pool: usize) -> anyhow::Result<AnyStore> {
        Ok(match at {
            Location::Sqlite(path) => AnyStore::Sqlite(SqliteStore::open(path)?),
            Location::Postgres(url) => AnyStore::Postgres(Box::new(PgStore::open_pool(url, pool)?)),
        })
    }

    /// The store as the warm path names it ([`Location::describe`]).
    pub fn describe(&self) -> String {
        match self {
            AnyStore::Sqlite(_) => "sqlite".into(),
            AnyStore::Postgres(p) => p.url().to_string(),
        }
    }

    /// The schema version recorded in the store.
    pub fn schema_version(&self) -> anyhow::Result<u32> {
        match self {
            AnyStore::Sqlite(s) => s.db().schema_version(),
            AnyStore::Postgres(p) => p.schema_version(),
        }
    }

    /// The number of events in the audit chain.
    pub fn audit_count(&self) -> anyhow::Result<u64> {
        match self {
            AnyStore::Sqlite(s) => super::audit_sql::count(&s.db()),
            AnyStore::Postgres(p) => super::postgres::chain::count(p),
        }
    }

    /// Audit events, newest first, with optional filters.
    pub fn audit_list(
        &self,
        filter: &crate::audit::ListFilter,
    ) -> anyhow::Result<Vec<crate::audit::AuditEvent>> {
        match self {
            AnyStore::Sqlite(s) => super::audit_sql::list(&s.db(), filter),
            AnyStore::Postgres(p) => super::postgres::chain::list(p, filter),
        }
    }

    /// The audit event at `seq`, if the chain has one.
    pub fn audit_get(&self, seq: u64) -> anyhow::Result<Option<crate::audit::AuditEvent>> {
        match self {
            AnyStore::Sqlite(s) => super::audit_sql::get(&s.db(), seq),
            AnyStore::Postgres(p) => super::postgres::chain::get(p, seq),
        }
    }

    /// The newest `limit` events about `entity` whose type starts with `type_prefix`.
    pub fn audit_by_entity(
        &self,
        type_prefix: &str,
        entity: &str,
        limit: u64,
    ) -> anyhow::Result<Vec<crate::audit::AuditEvent>> {
        match self {
            AnyStore::Sqlite(s) => super::audit_sql::by_entity(&s.db(), type_prefix, entity, limit),
            AnyStore::Postgres(p) => {
                super::postgres::chain::by_entity(p, type_prefix, entity, limit)
            }
        }
    }

    /// The number of learned patterns.
    pub fn pattern_count(&self) -> anyhow::Result<u64> {
        match self {
            AnyStore::Sqlite(s) => s.db().read(|tx| {
                let n: i64 = tx.query_row("SELECT count(*) FROM patterns", [], |r| r.get(0))?;
                Ok(n.max(0) as u64)
            }),
            AnyStore::Postgres(p) => super::postgres::chain::pattern_count(p),
        }
    }

    /// Runs `f` on a SQLite database holding this store's rows (the compliance report's
    /// queries are SQLite's): the file itself, or, for the team store, a copy taken on one
    /// snapshot into a private directory under `scratch`, removed afterwards.
    pub fn with_sqlite_copy<T>(
        &self,
        scratch: &std::path::Path,
        f: impl FnOnce(&super::Db) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match self {
            AnyStore::Sqlite(s) => f(&s.db()),
            AnyStore::Postgres(p) => {
                let dir = ScratchDir::create(scratch)?;
                let db = super::Db::open(&dir.0.join("team.db"))?;
                super::postgres::export::to_sqlite(p, &db)?;
                f(&db)
            }
        }
    }

    /// Verifies the audit chain (and, on SQLite, the learned state against it) from one
    /// snapshot: what `aiperture audit verify` reports.
    pub fn verify_audit(
        &self,
        key: Option<&[u8; crate::key::KEY_LEN]>,
    ) -> anyhow::Result<crate::audit::VerifyReport> {
        match self {
            AnyStore::Sqlite(s) => super::integrity::verify_store(&s.db(), key),
            AnyStore::Postgres(p) => super::postgres::chain::verify_store(p, key),
        }
    }
}

/// A private (0700) directory, removed with everything in it when dropped.
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn create(under: &std::path::Path) -> anyhow::Result<ScratchDir> {
        use std::os::unix::fs::DirBuilderExt;
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = under.join(format!("report-copy-{}-{nanos}-{n}", std::process::id()));
        std::fs::DirBuilder::new()
            .recursive(false)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Store for AnyStore {
    fn write<T>(
        &self,
        audit_key: &[u8; 32],
        f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>,
    ) -> Result<T, GateError> {
        match self {
            AnyStore::Sqlite(s) => s.write(audit_key, f),
            AnyStore::Postgres(p) => p.write(audit_key, f),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>) -> Result<T, GateError> {
        match self {
            AnyStore::Sqlite(s) => s.read(f),
            AnyStore::Postgres(p) => p.read(f),
        }
    }
}

impl Gate<AnyStore> {
    /// Opens the store `settings` and the environment select, with explicit paths, settings
    /// and clock, a team store with up to `pool` connections (`aiperture serve`).
    pub fn open_pooled(
        paths: Paths,
        settings: crate::config::Settings,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        pool: usize,
    ) -> anyhow::Result<Self> {
        let at = Location::select(&paths, Some(settings.store_url.as_str()))?;
        let store = AnyStore::open_pooled(&at, pool)?;
        Ok(Gate::new(store, paths, settings, clock))
    }

    /// Opens the store the environment selects (`AIPERTURE_DB_URL`, else `AIPERTURE_DB_PATH`
    /// and `AIPERTURE_HOME`) with the user's settings.
    pub fn open() -> anyhow::Result<Self> {
        let paths = Paths::from_env()?;
        let settings = crate::config::Settings::load(&paths)?;
        let at = Location::select(&paths, Some(settings.store_url.as_str()))?;
        Self::open_in(paths, settings, &at)
    }

    /// Opens the store at `at` (selected already, [`Location::select`]) with `paths` and
    /// `settings`.
    pub fn open_in(
        paths: Paths,
        settings: crate::config::Settings,
        at: &Location,
    ) -> anyhow::Result<Self> {
        let store = AnyStore::open(at)?;
        Ok(Gate::new(
            store,
            paths,
            settings,
            crate::engine::clock_from_env(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pool_size_setting_fits_the_pool() {
        let info = crate::config::SETTINGS
            .iter()
            .find(|i| i.key == "store.pool_size")
            .expect("store.pool_size is a setting");
        assert_eq!(info.env, "AIPERTURE_DB_POOL_SIZE");
        assert_eq!(
            info.kind,
            crate::config::Kind::Int {
                min: 1,
                max: super::super::postgres::MAX_POOL as u64
            }
        );
        assert_eq!(crate::config::Settings::default().store_pool_size, 8);
    }
}
