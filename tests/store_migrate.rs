//! `aiperture store migrate` (issue 13): a store made by real hook calls and learning is
//! copied whole (the audit chain with the same hashes, patterns, decisions, grants, …), the
//! copy verifies, a second run writes nothing, a tampered source and a target holding another
//! chain are refused, and a dry run writes nothing. SQLite→PostgreSQL→SQLite runs when
//! `AIPERTURE_TEST_PG_URL` names a server.

mod store_support;

use aiperture::store::postgres::testing::{fresh_database, server_url};
use std::path::Path;
use store_support::AdminCmd;
use store_support::{Env, ok};

impl Env {
    /// A store with hook calls, human approvals (learning), a grant and a revocation.
    fn populate(&self, db: &Path) {
        for i in 0..4 {
            self.hook(db, &format!("s{i}"), "npm test");
        }
        let g = aiperture::engine::Gate::open_with(
            aiperture::paths::Paths::at(&self.home, db),
            aiperture::config::Settings::default(),
            std::sync::Arc::new(aiperture::clock::SystemClock),
        )
        .unwrap();
        for i in 0..4 {
            let req = aiperture::request::Request {
                runtime: "claude-code".into(),
                event: "PreToolUse".into(),
                session_id: format!("human-{i}"),
                tool: "shell".into(),
                action: "execute".into(),
                scope: "npm test".into(),
                ..Default::default()
            };
            g.record_human(&req, aiperture::request::Decision::Allow, "alice")
                .unwrap();
        }
        drop(g);
        self.cmd(db)
            .admin(
                &self.home,
                &["grant", "--scope", "cargo build", "--ttl", "1h"],
            )
            .output()
            .unwrap();
        self.hook(db, "s9", "ls -la");
    }

    fn rows(db: &Path, sql: &str) -> Vec<String> {
        let c = rusqlite::Connection::open(db).unwrap();
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        st.query_map([], |r| {
            Ok((0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }
}

/// Every copied table, every row, in key order: equal stores give equal dumps.
const TABLES: &[&str] = &[
    "SELECT * FROM audit_events ORDER BY seq",
    "SELECT * FROM decisions ORDER BY id",
    "SELECT * FROM decision_keys ORDER BY decision_id, kind, key",
    "SELECT * FROM patterns ORDER BY project, tool, action, kind, key",
    "SELECT * FROM checks ORDER BY id",
    "SELECT * FROM grants ORDER BY id",
    "SELECT * FROM sessions ORDER BY session",
];

fn dump(db: &Path) -> Vec<Vec<String>> {
    TABLES.iter().map(|q| Env::rows(db, q)).collect()
}

#[test]
fn sqlite_to_sqlite_copies_everything_verifies_and_is_idempotent() {
    let e = Env::new();
    e.populate(&e.db);
    assert_eq!(e.verify(&e.db, None)["intact"], true);
    let copy = e.dir.path().join("copy.db");
    let to = format!("sqlite:{}", copy.display());

    let dry = ok(&e.migrate(&e.db, &["--to", &to, "--dry-run"]));
    assert!(dry.contains("would write"), "{dry}");
    assert_eq!(
        Env::rows(&copy, "SELECT count(*) FROM audit_events"),
        ["Integer(0)"]
    );

    let first = e.migrate(&e.db, &["--to", &to]);
    let stdout = ok(&first);
    assert!(stdout.contains("audit_events: wrote"), "{stdout}");
    assert!(String::from_utf8_lossy(&first.stderr).contains("rows read"));
    assert_eq!(dump(&e.db), dump(&copy));
    assert!(!Env::rows(&copy, "SELECT * FROM patterns").is_empty());
    assert!(!Env::rows(&copy, "SELECT * FROM grants").is_empty());
    assert!(!Env::rows(&copy, "SELECT * FROM decisions").is_empty());
    let v = e.verify(&copy, None);
    assert_eq!(v["intact"], true, "{v}");

    let second = ok(&e.migrate(&e.db, &["--to", &to]));
    assert!(second.contains("nothing to copy"), "{second}");
    assert_eq!(dump(&e.db), dump(&copy));

    // More work on the source: the copy is a prefix, so the rest is copied.
    e.hook(&e.db, "s10", "git status");
    let third = ok(&e.migrate(&e.db, &["--to", &to]));
    assert!(third.contains("audit_events: wrote"), "{third}");
    assert_eq!(dump(&e.db), dump(&copy));
    assert_eq!(e.verify(&copy, None)["intact"], true);
}

#[test]
fn a_tampered_source_is_refused_and_nothing_is_written() {
    let e = Env::new();
    e.populate(&e.db);
    rusqlite::Connection::open(&e.db)
        .unwrap()
        .execute(
            "UPDATE audit_events SET summary = 'edited' WHERE seq = 2",
            [],
        )
        .unwrap();
    let copy = e.dir.path().join("copy.db");
    let out = e.migrate(&e.db, &["--to", &format!("sqlite:{}", copy.display())]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not verify"), "{err}");
    assert_eq!(
        Env::rows(&copy, "SELECT count(*) FROM audit_events"),
        ["Integer(0)"]
    );
}

#[test]
fn a_target_with_another_chain_is_refused() {
    let e = Env::new();
    e.populate(&e.db);
    let other = e.dir.path().join("other.db");
    e.hook(&other, "x", "echo hi");
    let before = dump(&other);
    let out = e.migrate(&e.db, &["--to", &format!("sqlite:{}", other.display())]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a prefix"), "{err}");
    assert_eq!(dump(&other), before);
}

#[test]
fn a_target_that_ends_elsewhere_or_learned_what_the_source_did_not_is_refused() {
    let e = Env::new();
    e.populate(&e.db);
    let copy = e.dir.path().join("copy.db");
    let to = format!("sqlite:{}", copy.display());
    ok(&e.migrate(&e.db, &["--to", &to]));
    let edit = |sql: &str| {
        rusqlite::Connection::open(&copy)
            .unwrap()
            .execute(sql, [])
            .unwrap();
    };
    // A pattern only the target has: copying over it would pass it off as the source's.
    edit(
        "INSERT INTO patterns (project, tool, action, kind, key, human_allow, human_deny, \
         inferred_deny, rapid_allow, first_ms, last_ms) \
         VALUES ('/srv/elsewhere', 'shell', 'execute', 'exact', 'make deploy', 9, 0, 0, 0, 1, 2)",
    );
    let before = dump(&copy);
    let out = e.migrate(&e.db, &["--to", &to]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("learned patterns the source lacks"), "{err}");
    assert_eq!(dump(&copy), before);
    edit("DELETE FROM patterns WHERE key = 'make deploy'");
    // The same length of chain, but its last event is not the source's.
    edit("UPDATE audit_events SET hash = 'f00d' WHERE seq = (SELECT max(seq) FROM audit_events)");
    let out = e.migrate(&e.db, &["--to", &to]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a prefix"), "{err}");
}

#[test]
fn a_store_larger_than_a_batch_is_copied_batch_by_batch() {
    let e = Env::new();
    e.populate(&e.db);
    store_support::add_bulk_checks(&e.db, 1_300);
    assert_eq!(e.verify(&e.db, None)["intact"], true);
    let copy = e.dir.path().join("copy.db");
    let out = e.migrate(&e.db, &["--to", &format!("sqlite:{}", copy.display())]);
    ok(&out);
    assert_eq!(dump(&e.db), dump(&copy));
    let err = String::from_utf8_lossy(&out.stderr);
    let progress: Vec<&str> = err.lines().filter(|l| l.contains("checks: ")).collect();
    // 500 rows a batch (the build's `BATCH`): three batches, each reported as it is written.
    assert_eq!(progress.len(), 3, "{err}");
    assert!(progress[0].contains("500 of 1305 rows read"), "{err}");
    assert!(progress[2].contains("1305 of 1305 rows read"), "{err}");
    // The same through the team store (many rows a statement there) and back.
    let Some(admin) = server_url("store_migrate") else {
        eprintln!("skipped: set AIPERTURE_TEST_PG_URL to run the PostgreSQL half");
        return;
    };
    let url = fresh_database(&admin, "migrate_bulk").unwrap();
    ok(&e.migrate(&e.db, &["--to", &url]));
    let again = ok(&e.migrate(&e.db, &["--to", &url]));
    assert!(again.contains("nothing to copy"), "{again}");
    let back = e.dir.path().join("back.db");
    let out = e.migrate(
        &e.db,
        &[
            "--from",
            &url,
            "--to",
            &format!("sqlite:{}", back.display()),
        ],
    );
    ok(&out);
    assert_eq!(dump(&e.db), dump(&back));
    assert_eq!(e.verify(&back, None)["intact"], true);
}

#[test]
fn migrating_is_an_admin_act() {
    let e = Env::new();
    e.populate(&e.db);
    let copy = e.dir.path().join("copy.db");
    let out = e
        .cmd(&e.db)
        .args([
            "store",
            "migrate",
            "--to",
            &format!("sqlite:{}", copy.display()),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin act"));
}

#[test]
fn sqlite_to_postgres_and_back_is_the_same_store() {
    let Some(admin) = server_url("store_migrate") else {
        eprintln!("skipped: set AIPERTURE_TEST_PG_URL to run the PostgreSQL migration test");
        return;
    };
    let url = fresh_database(&admin, "migrate").unwrap();
    let e = Env::new();
    e.populate(&e.db);
    ok(&e.migrate(&e.db, &["--to", &url]));
    let v = e.verify(&e.db, Some(&url));
    assert_eq!(v["intact"], true, "{v}");
    let again = ok(&e.migrate(&e.db, &["--to", &url]));
    assert!(again.contains("nothing to copy"), "{again}");
    let back = e.dir.path().join("back.db");
    ok(&e.migrate(
        &e.db,
        &[
            "--from",
            &url,
            "--to",
            &format!("sqlite:{}", back.display()),
        ],
    ));
    assert_eq!(dump(&e.db), dump(&back));
    assert_eq!(e.verify(&back, None)["intact"], true);
    // The team store takes new calls after the copy: its ids go on after the copied rows
    // (a copy that left the identity sequences at 1 made every later check fail closed on a
    // duplicate id), and the solo store's grant decides there.
    for i in 0..3 {
        let out = e.hook_on(&url, &format!("after{i}"), &format!("make step{i}"));
        assert!(
            out.contains("permissionDecision") && !out.contains("could not"),
            "{out}"
        );
    }
    let granted = e.hook_on(&url, "after-grant", "cargo build");
    assert!(granted.contains("\"allow\""), "{granted}");
}
