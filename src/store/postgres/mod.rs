//! The team store: the engine's [`Store`] port on PostgreSQL, selected by
//! `AIPERTURE_DB_URL=postgres://…` (or `store.url` in the config file; see
//! [`crate::store::select`]). Several machines share one database: one set of learned
//! patterns, one audit chain.
//!
//! One [`PgStore`] is a pool of connection slots (rust-postgres, synchronous): one for a
//! one-shot hook ([`PgStore::open`]), up to N for a resident server ([`PgStore::open_pool`]).
//! Each slot connects on first need, reconnects when its connection broke, and keeps its own
//! prepared statements; a call takes a free slot, so it never waits behind another call's
//! transaction in this process while one is free. Every gate call is one transaction. A write transaction starts with `BEGIN` and a transaction-scoped advisory
//! lock ([`WRITE_LOCK`]) in one round trip: writers are serialized in the database, as
//! SQLite's `BEGIN IMMEDIATE` serializes them in a file, so a budget read-modify-write loses
//! no charge and two audit appends never continue from the same head. Reads run in a
//! `REPEATABLE READ READ ONLY` transaction (one consistent snapshot) and take no lock.
//! Statements are prepared once per connection and cached.
//!
//! Time limits: connecting gives up after [`CONNECT_TIMEOUT`], every statement (the lock
//! wait included) after [`STATEMENT_TIMEOUT`], so a hook answers its runtime's fail-closed
//! form within its budget when the database is down or stuck (docs/team.md).

use crate::engine::state::State;
use crate::engine::store::Store;
use crate::error::{ErrorKind, GateError};
use anyhow::{anyhow, bail};
use postgres::{Client, Config, Statement};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

mod batch;
pub mod chain;
pub mod export;
mod integrity;
mod state;
#[doc(hidden)]
pub mod testing;
mod tls;

pub use state::PgState;

/// The numbered migrations, mirroring the SQLite ones (`src/store/migrations/`) one for one, so
/// a schema version means the same tables on both stores.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_core.sql"),
    include_str!("migrations/0002_engine.sql"),
    include_str!("migrations/0003_lean_hot_path.sql"),
    include_str!("migrations/0004_written_files.sql"),
    include_str!("migrations/0005_artifacts.sql"),
    include_str!("migrations/0006_applied_requests.sql"),
    include_str!("migrations/0007_identity.sql"),
];

/// How long connecting may take before the gate gives up (and a hook fails closed).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one statement (a lock wait included) may run before the server cancels it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The advisory lock every write transaction takes first: it serializes writers (audit
/// appends and budget charges). Its value is arbitrary; `ai` `pe` in ASCII.
pub const WRITE_LOCK: i64 = 0x6169_7065;

/// The advisory lock migrations take (so many processes opening a fresh database at once
/// migrate it exactly once).
const MIGRATE_LOCK: i64 = 0x6169_7066;

/// One connection and its prepared statements.
pub(crate) struct Conn {
    pub(crate) client: Client,
    cache: HashMap<String, Statement>,
    /// Statements run on this connection and not prepared (yet), with how often.
    seen: HashMap<String, u8>,
}

/// The types a parameter may be sent as, tried in order: every Rust type the store binds
/// accepts exactly one of them.
const PARAM_TYPES: [postgres::types::Type; 8] = [
    postgres::types::Type::INT8,
    postgres::types::Type::TEXT,
    postgres::types::Type::FLOAT8,
    postgres::types::Type::BOOL,
    postgres::types::Type::BYTEA,
    postgres::types::Type::INT4,
    postgres::types::Type::TEXT_ARRAY,
    postgres::types::Type::BOOL_ARRAY,
];

type Param<'a> = &'a (dyn postgres::types::ToSql + Sync);

/// Each parameter with the type it is sent as (see [`PARAM_TYPES`]).
fn typed<'a>(params: &[Param<'a>]) -> anyhow::Result<Vec<(Param<'a>, postgres::types::Type)>> {
    let mut buf = bytes::BytesMut::new();
    params
        .iter()
        .map(|p| {
            for ty in &PARAM_TYPES {
                buf.clear();
                match p.to_sql_checked(ty, &mut buf) {
                    Err(e) if e.is::<postgres::types::WrongType>() => continue,
                    _ => return Ok((*p, ty.clone())),
                }
            }
            Err(anyhow!(
                "a query parameter of a type the store does not send"
            ))
        })
        .collect()
}

impl Conn {
    /// A connection with nothing prepared.
    fn new(client: Client) -> Conn {
        Conn {
            client,
            cache: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    /// Whether `sql` runs prepared: from its third use on this connection. Each earlier use
    /// is one round trip (parse, bind and execute sent together, typed), where preparing
    /// costs one more: a one-shot hook runs a statement once or twice (a learned pattern is
    /// read in the project and globally) and prepares nothing; a resident server's
    /// connection prepares what it keeps running, and reuses the plan.
    fn prepared(&mut self, sql: &str) -> anyhow::Result<Option<Statement>> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(Some(s.clone()));
        }
        let uses = self.seen.entry(sql.to_string()).or_insert(0);
        if *uses < 2 {
            *uses += 1;
            return Ok(None);
        }
        self.seen.remove(sql);
        self.stmt(sql).map(Some)
    }

    /// The rows of `sql` with `params`.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> anyhow::Result<Vec<postgres::Row>> {
        match self.prepared(sql)? {
            Some(st) => self.client.query(&st, params).map_err(pg_err),
            None => self
                .client
                .query_typed(sql, &typed(params)?)
                .map_err(pg_err),
        }
    }

    /// The first row of `sql` with `params`, if any (at most one is expected).
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> anyhow::Result<Option<postgres::Row>> {
        match self.prepared(sql)? {
            Some(st) => self.client.query_opt(&st, params).map_err(pg_err),
            None => self
                .client
                .query_typed_opt(sql, &typed(params)?)
                .map_err(pg_err),
        }
    }

    /// Runs `sql` with `params`; the rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> anyhow::Result<u64> {
        match self.prepared(sql)? {
            Some(st) => self.client.execute(&st, params).map_err(pg_err),
            None => {
                use postgres::fallible_iterator::FallibleIterator;
                let typed = typed(params)?;
                let mut rows = self
                    .client
                    .query_typed_raw(sql, typed.iter().map(|(p, t)| (*p, t.clone())))
                    .map_err(pg_err)?;
                while rows.next().map_err(pg_err)?.is_some() {}
                Ok(rows.rows_affected().unwrap_or(0))
            }
        }
    }

    /// The prepared statement for `sql`, prepared on first use on this connection.
    pub(crate) fn stmt(&mut self, sql: &str) -> anyhow::Result<Statement> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(pg_err)?;
        self.cache.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// The PostgreSQL store as the engine sees it: a pool of connection slots, each reconnected
/// when the server closed it (a restart), each call one transaction on one slot.
pub struct PgStore {
    config: Config,
    url: String,
    pool: Pool,
    /// False until the schema is known to be current: [`PgStore::open_deferred`] leaves the
    /// check to the first transaction, which reads the version in its `BEGIN` round trip.
    schema_known: AtomicBool,
    /// The first connection while [`PgStore::open_deferred`] is still making it, taken by
    /// the first call that needs a connection.
    connecting: Mutex<Option<tls::Connecting>>,
}

/// The slots: the idle ones (`None` until first connected) on a stack, so the warmest
/// connection is reused first and further ones connect only under concurrency.
struct Pool {
    idle: Mutex<Vec<Option<Conn>>>,
    freed: Condvar,
    size: usize,
}

/// How long a call waits for a free slot before it fails as busy.
const SLOT_WAIT: Duration = Duration::from_secs(3);

/// The largest pool [`PgStore::open_pool`] builds.
pub const MAX_POOL: usize = 64;

/// A slot taken from the pool, given back when dropped (emptied if a panic unwinds through
/// it: its connection may be inside a transaction).
struct Slot<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
}

impl std::ops::Deref for Slot<'_> {
    type Target = Option<Conn>;
    fn deref(&self) -> &Option<Conn> {
        &self.conn
    }
}

impl std::ops::DerefMut for Slot<'_> {
    fn deref_mut(&mut self) -> &mut Option<Conn> {
        &mut self.conn
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let conn = if std::thread::panicking() {
            None
        } else {
            self.conn.take()
        };
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(conn);
        drop(idle);
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn new(size: usize) -> Pool {
        let size = size.clamp(1, MAX_POOL);
        Pool {
            idle: Mutex::new((0..size).map(|_| None).collect()),
            freed: Condvar::new(),
            size,
        }
    }

    /// A free slot, waiting at most [`SLOT_WAIT`] for one.
    fn take(&self, url: &str) -> anyhow::Result<Slot<'_>> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let deadline = Instant::now() + SLOT_WAIT;
        loop {
            if let Some(conn) = idle.pop() {
                return Ok(Slot { pool: self, conn });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(anyhow::Error::new(PgFailure {
                    busy: true,
                    message: format!(
                        "database {url}: all {} connections busy for {} s",
                        self.size,
                        SLOT_WAIT.as_secs()
                    ),
                }));
            }
            idle = self
                .freed
                .wait_timeout(idle, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

/// What `aiperture doctor` shows of a team store.
#[derive(Debug, Clone, PartialEq)]
pub struct PgInfo {
    /// The URL without its password.
    pub url: String,
    /// `server_version` as the server reports it.
    pub server_version: String,
    /// The schema version recorded in the database.
    pub schema_version: u32,
    /// The round trip of one trivial query.
    pub latency: Duration,
}

impl PgStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`), migrating the schema when it is
    /// behind. Fails within [`CONNECT_TIMEOUT`] when the server cannot be reached.
    pub fn open(url: &str) -> anyhow::Result<PgStore> {
        let store = Self::open_deferred(url)?;
        store.ensure_schema()?;
        Ok(store)
    }

    /// As [`PgStore::open`], with up to `size` connections (1 to [`MAX_POOL`]); only the
    /// first connects now, the others when calls overlap.
    pub fn open_pool(url: &str, size: usize) -> anyhow::Result<PgStore> {
        let store = Self::connect_pool(url, size)?;
        store.ensure_schema()?;
        Ok(store)
    }

    /// Connects to `url` like [`PgStore::open`], but returns while the connection is being
    /// made (on a helper thread, bounded by [`CONNECT_TIMEOUT`] from now) and leaves the
    /// schema check to the first transaction, which reads the version in the round trip that
    /// begins it (and migrates first when it is behind). A one-shot hook analyses its request
    /// while the server forks and authenticates its backend, and saves a round trip on a
    /// fresh server process that costs it ~1 ms. A failure to connect is the first
    /// transaction's error. For callers that only run transactions (the gate).
    pub fn open_deferred(url: &str) -> anyhow::Result<PgStore> {
        let store = Self::configured(url, 1)?;
        let early = tls::Connecting::start(&store.config, CONNECT_TIMEOUT)
            .map_err(|e| anyhow!("database {}: cannot connect: {e:#}", store.url))?;
        *store.connecting.lock().unwrap_or_else(|p| p.into_inner()) = Some(early);
        Ok(store)
    }

    /// Migrates the schema when it is behind (one read of its version when it is not).
    fn ensure_schema(&self) -> anyhow::Result<()> {
        let mut guard = self.lock()?;
        let conn = self.connected(&mut guard)?;
        migrate(conn)?;
        drop(guard);
        self.schema_known.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The store with up to `size` connections, the first one connected, the schema unchecked.
    fn connect_pool(url: &str, size: usize) -> anyhow::Result<PgStore> {
        let store = Self::configured(url, size)?;
        let mut guard = store.lock()?;
        store.connected(&mut guard)?;
        drop(guard);
        Ok(store)
    }

    /// The store with up to `size` connections, none made yet.
    fn configured(url: &str, size: usize) -> anyhow::Result<PgStore> {
        let mut config: Config = url
            .parse()
            .map_err(|e| anyhow!("database URL {}: {e}", redact(url)))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // Bounds a send the server never acknowledges (a host gone from the network).
        config.tcp_user_timeout(STATEMENT_TIMEOUT + CONNECT_TIMEOUT);
        config.keepalives_idle(Duration::from_secs(30));
        let ms = STATEMENT_TIMEOUT.as_millis();
        config.options(&format!(
            "-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={}",
            ms * 5
        ));
        if config.get_application_name().is_none() {
            config.application_name("aiperture");
        }
        Ok(PgStore {
            config,
            url: redact(url),
            pool: Pool::new(size),
            schema_known: AtomicBool::new(false),
            connecting: Mutex::new(None),
        })
    }

    /// The URL this store connects to, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many connections this store may hold.
    pub fn pool_size(&self) -> usize {
        self.pool.size
    }

    fn lock(&self) -> anyhow::Result<Slot<'_>> {
        self.pool.take(&self.url)
    }

    /// The live connection, connecting (again) when there is none or the server closed it.
    fn connected<'g>(&self, slot: &'g mut Option<Conn>) -> anyhow::Result<&'g mut Conn> {
        if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
            *slot = None;
            let early = self
                .connecting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            let client = match early {
                Some(connecting) => connecting.finish(),
                None => tls::connect_within(&self.config, CONNECT_TIMEOUT),
            }
            .map_err(|e| anyhow!("database {}: cannot connect: {e:#}", self.url))?;
            *slot = Some(Conn::new(client));
        }
        slot.as_mut()
            .ok_or_else(|| anyhow!("database {}: no connection", self.url))
    }

    /// Runs `f` in one transaction begun with `begin` (a batch that may also take locks);
    /// commits on `Ok`, rolls back on `Err`.
    fn run<T>(
        &self,
        begin: &str,
        commit: bool,
        f: impl FnOnce(&mut Conn) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut guard = self.lock()?;
        let conn = self.connected(&mut guard)?;
        if self.schema_known.load(Ordering::Relaxed) || !self.begin_checked(conn, begin)? {
            conn.client
                .batch_execute(begin)
                .map_err(|e| pg_err(e).context(format!("database {}: cannot begin", self.url)))?;
        }
        match f(conn) {
            Ok(out) => {
                let end = if commit { "COMMIT" } else { "ROLLBACK" };
                conn.client.batch_execute(end).map_err(|e| {
                    pg_err(e).context(format!("database {}: cannot commit", self.url))
                })?;
                Ok(out)
            }
            Err(e) => {
                if conn.client.is_closed() || conn.client.batch_execute("ROLLBACK").is_err() {
                    // A connection whose transaction state is unknown is not reused.
                    *guard = None;
                }
                Err(e)
            }
        }
    }

    /// Begins with `begin` and reads the schema version in the same round trip. True when the
    /// transaction is open on a current schema; false when it was not begun (the schema was
    /// missing or behind and is now migrated: begin again). A schema newer than this build
    /// knows is an error.
    fn begin_checked(&self, conn: &mut Conn, begin: &str) -> anyhow::Result<bool> {
        let target = MIGRATIONS.len() as u32;
        let batch = format!("{begin}; SELECT version FROM aiperture_schema");
        let version = match conn.client.simple_query(&batch) {
            // The last row is the version's (`begin` may select a lock first).
            Ok(messages) => messages
                .iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(String::from)),
                    _ => None,
                })
                .next_back()
                .flatten(),
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => None,
            Err(e) => {
                return Err(pg_err(e).context(format!("database {}: cannot begin", self.url)));
            }
        };
        let version = version.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
        if version == target {
            self.schema_known.store(true, Ordering::Relaxed);
            return Ok(true);
        }
        if !conn.client.is_closed() {
            let _ = conn.client.batch_execute("ROLLBACK");
        }
        migrate(conn)?;
        self.schema_known.store(true, Ordering::Relaxed);
        Ok(false)
    }

    /// Runs `f` in one read-only transaction on one snapshot of the database.
    pub(crate) fn read_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", false, f)
    }

    /// Runs `f` in one write transaction holding [`WRITE_LOCK`].
    pub(crate) fn write_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.run(
            &format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"),
            true,
            f,
        )
    }

    /// The server's version, the schema version and one query's round trip.
    pub fn info(&self) -> anyhow::Result<PgInfo> {
        let mut guard = self.lock()?;
        let conn = self.connected(&mut guard)?;
        let started = Instant::now();
        conn.client.simple_query("SELECT 1").map_err(pg_err)?;
        let latency = started.elapsed();
        let row = conn
            .client
            .query_one("SELECT current_setting('server_version')", &[])
            .map_err(pg_err)?;
        let server_version: String = row.try_get(0).map_err(pg_err)?;
        let schema_version = read_version(&mut conn.client)?;
        Ok(PgInfo {
            url: self.url.clone(),
            server_version,
            schema_version,
            latency,
        })
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> anyhow::Result<u32> {
        let mut guard = self.lock()?;
        let conn = self.connected(&mut guard)?;
        read_version(&mut conn.client)
    }
}

impl Store for PgStore {
    fn write<T>(
        &self,
        audit_key: &[u8; 32],
        f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>,
    ) -> Result<T, GateError> {
        self.write_conn(|c| f(&mut PgState::with_audit(c, audit_key)))
            .map_err(classify)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>) -> Result<T, GateError> {
        self.read_conn(|c| f(&mut PgState::new(c)))
            .map_err(classify)
    }
}

/// The schema version: the `schema_version` table's one row, 0 before the first migration.
fn read_version(client: &mut Client) -> anyhow::Result<u32> {
    // Typed with no parameters: one round trip, no separate prepare.
    let rows = client
        .query_typed(
            "SELECT version FROM aiperture_schema WHERE to_regclass('aiperture_schema') IS NOT NULL",
            &[],
        )
        .or_else(|e| {
            // The table does not exist yet (a fresh database).
            if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        })
        .map_err(pg_err)?;
    let Some(row) = rows.first() else {
        return Ok(0);
    };
    let v: i64 = row.try_get(0).map_err(pg_err)?;
    u32::try_from(v).map_err(|_| anyhow!("invalid schema version {v}"))
}

/// Brings the schema to the current version; the fast path is one read of the version.
fn migrate(conn: &mut Conn) -> anyhow::Result<()> {
    let target = MIGRATIONS.len() as u32;
    let v = read_version(&mut conn.client)?;
    if v == target {
        return Ok(());
    }
    if v > target {
        bail!(
            "schema version {v} is newer than this aiperture knows ({target}); upgrade aiperture"
        );
    }
    let mut tx = conn.client.transaction().map_err(pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .map_err(pg_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS aiperture_schema (id BIGINT PRIMARY KEY CHECK (id = 1), \
         version BIGINT NOT NULL)",
    )
    .map_err(pg_err)?;
    let v = {
        let rows = tx
            .query("SELECT version FROM aiperture_schema", &[])
            .map_err(pg_err)?;
        match rows.first() {
            Some(r) => u32::try_from(r.try_get::<_, i64>(0).map_err(pg_err)?).unwrap_or(u32::MAX),
            None => 0,
        }
    };
    if v > target {
        bail!(
            "schema version {v} is newer than this aiperture knows ({target}); upgrade aiperture"
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
        tx.batch_execute(sql)
            .map_err(|e| anyhow!("migration {:04} failed: {}", i + 1, problem(&e)))?;
    }
    tx.execute(
        "INSERT INTO aiperture_schema (id, version) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&i64::from(target)],
    )
    .map_err(pg_err)?;
    tx.commit().map_err(pg_err)?;
    Ok(())
}

/// A URL with its password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(p) => p,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// A one-line description of a client or server error.
pub fn problem(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s.replace('\n', " ")
}

pub(crate) fn pg_err(e: postgres::Error) -> anyhow::Error {
    anyhow::Error::new(PgFailure {
        busy: is_busy(&e),
        message: problem(&e),
    })
}

/// An error from PostgreSQL, one line, and whether waiting could cure it.
#[derive(Debug, Clone)]
struct PgFailure {
    busy: bool,
    message: String,
}

impl std::fmt::Display for PgFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PgFailure {}

/// A lock or statement timeout, a deadlock or a serialization failure: another writer held
/// what this one needed for too long.
fn is_busy(e: &postgres::Error) -> bool {
    use postgres::error::SqlState as S;
    e.code().is_some_and(|c| {
        [
            S::QUERY_CANCELED,
            S::LOCK_NOT_AVAILABLE,
            S::T_R_DEADLOCK_DETECTED,
            S::T_R_SERIALIZATION_FAILURE,
        ]
        .contains(c)
    })
}

/// The kind of a failure: busy past the wait, a typed kind from below, else a store failure.
fn classify(e: anyhow::Error) -> GateError {
    let busy = e
        .chain()
        .any(|c| c.downcast_ref::<PgFailure>().is_some_and(|f| f.busy));
    let mut g = GateError::classify(e);
    if busy && g.kind == ErrorKind::Store {
        g.kind = ErrorKind::Busy;
    }
    g
}

#[cfg(test)]
mod tests;
