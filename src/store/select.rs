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
    /// Opens the store the environment selects (`AIPERTURE_DB_URL`, else `AIPERTURE_DB_PATH`
    /// and `AIPERTURE_HOME`) with the user's settings.
    pub fn open() -> anyhow::Result<Self> {
        let paths = Paths::from_env()?;
        let settings = crate::config::Settings::load(&paths)?;
        let at = Location::select(&paths, Some(settings.store_url.as_str()))?;
        let store = AnyStore::open(&at)?;
        Ok(Gate::new(
            store,
            paths,
            settings,
            crate::engine::clock_from_env(),
        ))
    }
}
