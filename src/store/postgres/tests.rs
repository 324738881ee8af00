//! The team store against a real server (`AIPERTURE_TEST_PG_URL`): the store conformance
//! suite, migrations, time limits, and what a down server does.

use super::testing::{exec, fresh_database, server_url};
use super::*;
use crate::paths::Paths;
use crate::store::conformance::{self, Harness};

/// One fresh database; every handle is its own connection, as hook processes are.
struct Pg {
    dir: tempfile::TempDir,
    url: String,
}

impl Harness for Pg {
    type S = PgStore;
    fn open(&self) -> PgStore {
        PgStore::open(&self.url).unwrap()
    }
    fn paths(&self) -> Paths {
        Paths::at(
            &self.dir.path().join("home"),
            &self.dir.path().join("unused.db"),
        )
    }
    fn verify_chain(&self, key: &[u8; 32]) -> crate::audit::VerifyReport {
        chain::verify(&self.open(), Some(key)).unwrap()
    }
    fn forge_head(&self) {
        exec(
            &self.url,
            &format!("UPDATE audit_head SET mac = '{}'", "00".repeat(32)),
        )
        .unwrap();
    }
}

/// How many times migration 0001 recorded the store's creation.
fn created_at_rows(store: &PgStore) -> i64 {
    store
        .read_conn(|c| {
            let r = c
                .client
                .query_one("SELECT count(*) FROM meta WHERE key = 'created_at'", &[])
                .map_err(pg_err)?;
            Ok(r.get::<_, i64>(0))
        })
        .unwrap()
}

fn harness(test: &str) -> Option<Pg> {
    let admin = server_url(test)?;
    Some(Pg {
        dir: tempfile::tempdir().unwrap(),
        url: fresh_database(&admin, test).unwrap(),
    })
}

#[test]
fn postgres_passes_the_store_conformance_suite() {
    let Some(h) = harness("conformance") else {
        return;
    };
    conformance::run_all(&h);
}

#[test]
fn concurrent_opens_of_a_fresh_database_migrate_once() {
    let Some(h) = harness("migrate_once") else {
        return;
    };
    let versions: Vec<u32> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| PgStore::open(&h.url).and_then(|p| p.schema_version())))
            .collect();
        hs.into_iter().map(|j| j.join().unwrap().unwrap()).collect()
    });
    assert!(
        versions.iter().all(|v| *v == MIGRATIONS.len() as u32),
        "{versions:?}"
    );
    let store = h.open();
    let n = created_at_rows(&store);
    assert_eq!(n, 1, "0001 ran once");
    let info = store.info().unwrap();
    assert_eq!(info.schema_version, MIGRATIONS.len() as u32);
    assert!(
        info.server_version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(h) = harness("newer") else {
        return;
    };
    drop(h.open());
    exec(&h.url, "UPDATE aiperture_schema SET version = 99").unwrap();
    let e = format!("{:#}", PgStore::open(&h.url).unwrap_err());
    assert!(e.contains("newer"), "{e}");
}

#[test]
fn a_writer_held_past_the_statement_timeout_is_busy() {
    let Some(h) = harness("busy") else {
        return;
    };
    let a = h.open();
    let b = h.open();
    let key = [1u8; 32];
    let started = Instant::now();
    let err = a
        .write(&key, |_| Ok(b.write(&key, |_| Ok(())).err()))
        .unwrap()
        .expect("the second writer waits for the lock and gives up");
    assert_eq!(err.kind, ErrorKind::Busy, "{err}");
    let waited = started.elapsed();
    assert!(
        waited >= STATEMENT_TIMEOUT && waited < STATEMENT_TIMEOUT * 2,
        "{waited:?}"
    );
}

#[test]
fn an_unreachable_server_fails_within_the_connect_timeout() {
    // A port on loopback where nothing listens refuses at once; a non-routable address
    // would wait, and the connect timeout bounds that.
    let started = Instant::now();
    let e = PgStore::open("postgres://nobody@127.0.0.1:1/x?sslmode=disable").unwrap_err();
    assert!(
        started.elapsed() < CONNECT_TIMEOUT * 2,
        "{:?}",
        started.elapsed()
    );
    assert!(format!("{e:#}").contains("cannot connect"), "{e:#}");
}

#[test]
fn a_url_that_is_not_postgres_is_refused_and_passwords_are_redacted() {
    assert_eq!(
        redact("postgres://hook:s3cret@db:5432/team"),
        "postgres://hook:***@db:5432/team"
    );
    let e = format!(
        "{:#}",
        PgStore::open("postgres://hook:s3cret@db:notaport/team").unwrap_err()
    );
    assert!(!e.contains("s3cret"), "{e}");
}

/// The harness on pooled stores (a resident server's): every handle holds up to 4
/// connections.
struct Pooled(Pg);

impl Harness for Pooled {
    type S = PgStore;
    fn open(&self) -> PgStore {
        PgStore::open_pool(&self.0.url, 4).unwrap()
    }
    fn paths(&self) -> Paths {
        self.0.paths()
    }
    fn verify_chain(&self, key: &[u8; 32]) -> crate::audit::VerifyReport {
        self.0.verify_chain(key)
    }
    fn forge_head(&self) {
        self.0.forge_head()
    }
}

#[test]
fn a_pooled_store_passes_the_store_conformance_suite() {
    let Some(h) = harness("conformance_pooled") else {
        return;
    };
    conformance::run_all(&Pooled(h));
}

/// One pooled store shared by many threads (a server's gate): every check is one event of
/// one chain that verifies, and the pool opened more than one connection to serve them.
#[test]
fn many_threads_on_one_pooled_store_keep_one_chain() {
    use crate::engine::Gate;
    use crate::request::{Decision, Request};
    let Some(h) = harness("pooled_threads") else {
        return;
    };
    const THREADS: usize = 8;
    const CHECKS: usize = 20;
    let key = crate::key::load(&h.paths()).unwrap();
    let store = PgStore::open_pool(&h.url, THREADS).unwrap();
    let before = chain::count(&store).unwrap();
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(1_700_000_000_000));
    let gate = Gate::new(store, h.paths(), crate::config::Settings::default(), clock);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let gate = &gate;
            s.spawn(move || {
                for _ in 0..CHECKS {
                    let req = Request {
                        runtime: "cli".into(),
                        event: "check".into(),
                        session_id: format!("pool-{t}"),
                        cwd: "/srv/pool".into(),
                        project: "/srv/pool".into(),
                        tool: "shell".into(),
                        action: "execute".into(),
                        scope: "ls -la".into(),
                        ..Request::default()
                    };
                    let v = gate.check(&req).unwrap();
                    assert_eq!(v.decision, Decision::Allow, "{}", v.reason);
                }
            });
        }
    });
    let store = gate.store();
    assert_eq!(
        chain::count(store).unwrap() - before,
        (THREADS * CHECKS) as u64
    );
    let report = chain::verify(store, Some(&key)).unwrap();
    assert!(report.intact, "{report:?}");
    let connected = store
        .pool
        .idle
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.is_some())
        .count();
    assert!(
        connected > 1,
        "{connected} connection(s) served {THREADS} threads"
    );
}

/// A call takes a free slot: a read answers while another call holds its transaction open.
#[test]
fn a_call_does_not_wait_behind_another_s_transaction() {
    let Some(h) = harness("pooled_free_slot") else {
        return;
    };
    let store = PgStore::open_pool(&h.url, 2).unwrap();
    let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            store
                .write_conn(|_| {
                    held.wait();
                    release.wait();
                    Ok(())
                })
                .unwrap();
        });
        held.wait();
        let started = Instant::now();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
        assert!(started.elapsed() < Duration::from_secs(1));
        release.wait();
    });
    // A hook's store has one slot; a size below 1 is 1.
    let one = PgStore::open(&h.url).unwrap();
    assert_eq!(one.pool_size(), 1);
    assert!(PgStore::open_pool(&h.url, 0).unwrap().pool_size() == 1);
}

#[test]
fn a_statement_is_prepared_from_its_third_use() {
    // Preparing is a round trip of its own: a one-shot hook, which runs a statement once or
    // twice, must not pay it; a server's connection prepares what it keeps running.
    let Some(h) = harness("prepare_third") else {
        return;
    };
    let store = h.open();
    let mut guard = store.lock().unwrap();
    let conn = store.connected(&mut guard).unwrap();
    let sql = "SELECT $1::bigint + 1";
    for i in 1..=4i64 {
        let rows = conn.query(sql, &[&i]).unwrap();
        let got: i64 = rows[0].get(0);
        assert_eq!(got, i + 1);
        assert_eq!(conn.cache.contains_key(sql), i >= 3, "after use {i}");
    }
}

#[test]
fn a_deferred_open_checks_the_schema_in_its_first_transaction() {
    let Some(h) = harness("deferred") else {
        return;
    };
    let store = PgStore::open_deferred(&h.url).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        0,
        "nothing migrated at open"
    );
    let created = created_at_rows(&store);
    assert_eq!(created, 1, "the first transaction migrated, then ran");
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
    // A current schema: the next store's first transaction begins in one round trip, the
    // version read with it (a write's `BEGIN` selects its lock first).
    for write in [false, true] {
        let again = PgStore::open_deferred(&h.url).unwrap();
        let mut guard = again.lock().unwrap();
        let conn = again.connected(&mut guard).unwrap();
        let begin = if write {
            format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string()
        };
        assert!(again.begin_checked(conn, &begin).unwrap(), "write: {write}");
        conn.client.batch_execute("ROLLBACK").unwrap();
    }
    // A schema from a newer aiperture is refused, not written to.
    exec(&h.url, "UPDATE aiperture_schema SET version = version + 1").unwrap();
    let newer = PgStore::open_deferred(&h.url).unwrap();
    let err = newer.write_conn(|_| Ok(())).unwrap_err();
    assert!(format!("{err:#}").contains("newer"), "{err:#}");
}
