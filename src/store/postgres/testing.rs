//! Test support for the team store (unit and integration tests, `bench/run --postgres`): the
//! server under test comes from `AIPERTURE_TEST_PG_URL` (a superuser URL of a throwaway
//! cluster, `scripts/pg-cluster`), and every test gets a fresh database of its own.
//!
//! Without the URL a test skips with a printed line, except under CI (`CI` set), where a
//! missing server fails the test: CI must never pass by running nothing.

use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the test server (a superuser URL).
pub const TEST_URL_ENV: &str = "AIPERTURE_TEST_PG_URL";

/// The test server's URL; `None` (after printing why) when there is none outside CI.
///
/// # Panics
/// Under CI (`CI` set) when the URL is missing: the PostgreSQL tests must run there.
pub fn server_url(test: &str) -> Option<String> {
    match std::env::var(TEST_URL_ENV).ok().filter(|u| !u.is_empty()) {
        Some(u) => Some(u),
        None if std::env::var_os("CI").is_some() => {
            panic!("{test}: {TEST_URL_ENV} is not set under CI; .ci/run starts a cluster")
        }
        None => {
            eprintln!("skipped {test}: set {TEST_URL_ENV} to a PostgreSQL superuser URL");
            None
        }
    }
}

/// The environment variable that runs the integration suites' store matrix: `postgres` runs
/// them on a fresh PostgreSQL database per test (at [`TEST_URL_ENV`]'s server), anything else
/// (or unset) on the SQLite file.
pub const MATRIX_ENV: &str = "AIPERTURE_TEST_STORE";

/// The store URL a matrix test should use: a fresh database when [`MATRIX_ENV`] is
/// `postgres`, `None` for SQLite.
///
/// # Panics
/// When the matrix asks for PostgreSQL and there is no server (or it cannot create a
/// database): the run asked for PostgreSQL and must not quietly test SQLite instead.
pub fn matrix_url(tag: &str) -> Option<String> {
    if std::env::var(MATRIX_ENV).ok().as_deref() != Some("postgres") {
        return None;
    }
    let admin = std::env::var(TEST_URL_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| panic!("{MATRIX_ENV}=postgres needs {TEST_URL_ENV}"));
    Some(
        fresh_database(&admin, tag)
            .unwrap_or_else(|e| panic!("{tag}: cannot create a test database: {e:#}")),
    )
}

/// `url` with its database name replaced by `db`.
pub fn with_dbname(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh, empty database on the server at `admin_url`, named after `tag` and this process;
/// returns its URL. Dropped databases are not reclaimed: the cluster is throwaway.
pub fn fresh_database(admin_url: &str, tag: &str) -> anyhow::Result<String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let clean: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let name = format!(
        "t_{clean}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = Client::connect(admin_url, NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(with_dbname(admin_url, &name))
}

/// Runs SQL on the database at `url` as the URL's user (tests that edit rows directly).
pub fn exec(url: &str, sql: &str) -> anyhow::Result<()> {
    let mut c = Client::connect(url, NoTls)?;
    c.batch_execute(sql)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_dbname("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(with_dbname("postgres://h", "x"), "postgres://h/x");
    }
}
