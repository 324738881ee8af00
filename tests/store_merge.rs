//! `aiperture store migrate --merge` (issue 13): two SQLite stores made by real hook calls,
//! human approvals, a grant and a revocation are merged: the target's chain verifies with the
//! learned state, every source event is present once with its original seq and hash in its
//! details, approvals add up, a revocation in either store holds, merging again writes
//! nothing, a dry run writes nothing and a tampered source is refused.

mod store_support;

use aiperture::store::postgres::testing::{fresh_database, server_url};
use std::path::Path;
use store_support::AdminCmd;
use store_support::{Env, ok};

impl Env {
    fn gate(&self, db: &Path) -> aiperture::engine::Gate<aiperture::store::SqliteStore> {
        aiperture::engine::Gate::open_with(
            aiperture::paths::Paths::at(&self.home, db),
            aiperture::config::Settings::default(),
            std::sync::Arc::new(aiperture::clock::SystemClock),
        )
        .unwrap()
    }

    fn req(scope: &str, session: &str) -> aiperture::request::Request {
        aiperture::request::Request {
            runtime: "claude-code".into(),
            event: "PreToolUse".into(),
            session_id: session.into(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: scope.into(),
            ..Default::default()
        }
    }

    /// A store with hook calls, `n` approvals of `scope` by `who`, and a grant.
    fn populate(&self, db: &Path, tag: &str, scope: &str, n: usize, who: &str) {
        for i in 0..3 {
            self.hook(db, &format!("{tag}{i}"), "npm test");
        }
        let g = self.gate(db);
        for i in 0..n {
            g.record_human(
                &Self::req(scope, &format!("{tag}-h{i}")),
                aiperture::request::Decision::Allow,
                who,
            )
            .unwrap();
        }
        drop(g);
        ok(&self
            .cmd(db)
            .admin(
                &self.home,
                &[
                    "grant",
                    "--scope",
                    &format!("cargo build {tag}"),
                    "--ttl",
                    "1h",
                ],
            )
            .output()
            .unwrap());
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// The source's events as (seq, hash, details) in order.
fn events(db: &Path) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT seq, hash FROM audit_events ORDER BY seq")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// (seq, hash) of the merged events on the target, from their details.
fn merged_from(db: &Path) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare(
            "SELECT json_extract(details, '$.merged_from.seq'), \
             json_extract(details, '$.merged_from.hash') FROM audit_events \
             WHERE json_extract(details, '$.merged_from.seq') IS NOT NULL ORDER BY seq",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

const ALLOWS: &str = "SELECT IFNULL(SUM(human_allow), 0) FROM patterns WHERE tool = 'shell' \
                      AND key LIKE '%make deploy%'";

#[test]
fn two_solo_stores_merge_into_one_verified_chain_once() {
    let e = Env::new();
    let b = e.dir.path().join("b.db");
    e.populate(&e.db, "a", "make deploy", 5, "alice");
    e.populate(&b, "b", "make deploy", 5, "bob");
    let a_allows = count(&e.db, ALLOWS);
    let b_allows = count(&b, ALLOWS);
    assert!(a_allows > 0 && b_allows > 0, "{a_allows} {b_allows}");
    let learned = |db: &Path| {
        let v = e
            .gate(db)
            .check_dry_run(&Env::req("make deploy", "probe"))
            .unwrap();
        v.decided_by.starts_with("learned")
    };
    assert!(
        !learned(&e.db) && !learned(&b),
        "5 approvals each are below the threshold"
    );
    let source_events = events(&b);
    let target_before = events(&e.db);
    let to = format!("sqlite:{}", e.db.display());
    let from = format!("sqlite:{}", b.display());

    let dry = ok(&e.migrate(
        &e.db,
        &["--from", &from, "--to", &to, "--merge", "--dry-run"],
    ));
    assert!(dry.contains("would append"), "{dry}");
    assert_eq!(events(&e.db), target_before, "a dry run writes nothing");

    let out = e.migrate(&e.db, &["--from", &from, "--to", &to, "--merge"]);
    let stdout = ok(&out);
    assert!(stdout.contains("appended"), "{stdout}");
    let v = e.verify(&e.db, None);
    assert_eq!(v["intact"], true, "{v}");
    let after = events(&e.db);
    assert_eq!(
        after[..target_before.len()],
        target_before[..],
        "the target keeps its chain"
    );
    assert_eq!(after.len(), target_before.len() + source_events.len() + 1);
    assert_eq!(
        merged_from(&e.db),
        source_events,
        "every source event once, in order"
    );
    assert_eq!(
        count(&e.db, ALLOWS),
        a_allows + b_allows,
        "approvals add up"
    );
    assert!(
        learned(&e.db),
        "5 + 5 approvals reach the default threshold of 10"
    );
    assert_eq!(
        count(&e.db, "SELECT COUNT(*) FROM grants"),
        2,
        "both grants are kept"
    );
    assert_eq!(
        count(
            &e.db,
            "SELECT COUNT(*) FROM audit_events WHERE event_type = 'store.merged'"
        ),
        1
    );

    // Merging again writes nothing; more work on the source merges only that.
    let again = ok(&e.migrate(&e.db, &["--from", &from, "--to", &to, "--merge"]));
    assert!(again.contains("nothing to merge"), "{again}");
    assert_eq!(events(&e.db), after);
    e.hook(&b, "b-late", "git status");
    let more = ok(&e.migrate(&e.db, &["--from", &from, "--to", &to, "--merge"]));
    assert!(more.contains("appended"), "{more}");
    assert_eq!(merged_from(&e.db), events(&b), "the new events only, once");
    assert_eq!(
        count(&e.db, ALLOWS),
        a_allows + b_allows,
        "nothing counted twice"
    );
    assert_eq!(e.verify(&e.db, None)["intact"], true);
}

#[test]
fn a_revocation_in_the_source_holds_after_the_merge() {
    let e = Env::new();
    let b = e.dir.path().join("b.db");
    e.populate(&e.db, "a", "make deploy", 4, "alice");
    e.populate(&b, "b", "make deploy", 4, "bob");
    // alice's approvals predate bob's revocation: it wins over them too.
    std::thread::sleep(std::time::Duration::from_millis(5));
    e.gate(&b)
        .revoke_command(&Env::req("make deploy", "b-rev"), "bob", "test")
        .unwrap();
    assert_eq!(count(&b, ALLOWS), 0);
    ok(&e.migrate(
        &e.db,
        &[
            "--from",
            &format!("sqlite:{}", b.display()),
            "--to",
            &format!("sqlite:{}", e.db.display()),
            "--merge",
        ],
    ));
    let v = e.verify(&e.db, None);
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(
        count(&e.db, ALLOWS),
        0,
        "the revocation wins over the target's approvals"
    );
    assert!(
        count(
            &e.db,
            "SELECT COUNT(*) FROM decisions WHERE revoked_ms IS NOT NULL"
        ) >= 8
    );
}

#[test]
fn a_tampered_source_is_refused_and_the_target_unchanged() {
    let e = Env::new();
    let b = e.dir.path().join("b.db");
    e.populate(&e.db, "a", "make deploy", 2, "alice");
    e.populate(&b, "b", "make deploy", 2, "bob");
    rusqlite::Connection::open(&b)
        .unwrap()
        .execute(
            "UPDATE audit_events SET summary = 'edited' WHERE seq = 2",
            [],
        )
        .unwrap();
    let before = events(&e.db);
    let out = e.migrate(
        &e.db,
        &[
            "--from",
            &format!("sqlite:{}", b.display()),
            "--to",
            &format!("sqlite:{}", e.db.display()),
            "--merge",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not verify"), "{err}");
    assert_eq!(events(&e.db), before);
}

/// One number from the team store at `url`.
fn pg_count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

/// (seq, hash) of the merged events on the team store at `url`, from their details.
fn pg_merged_from(url: &str) -> Vec<(i64, String)> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(
        "SELECT (details::jsonb #>> '{merged_from,seq}')::bigint, \
         details::jsonb #>> '{merged_from,hash}' FROM audit_events \
         WHERE details::jsonb ? 'merged_from' ORDER BY seq",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// [`ALLOWS`] in PostgreSQL's dialect.
const PG_ALLOWS: &str = "SELECT COALESCE(SUM(human_allow), 0)::bigint FROM patterns \
                         WHERE tool = 'shell' AND key LIKE '%make deploy%'";

#[test]
fn a_solo_store_merges_into_the_team_store_and_the_team_store_into_a_solo_one() {
    let Some(admin) = server_url("store_merge") else {
        eprintln!("skipped: set AIPERTURE_TEST_PG_URL to run the PostgreSQL merge test");
        return;
    };
    let url = fresh_database(&admin, "merge").unwrap();
    let e = Env::new();
    let b = e.dir.path().join("b.db");
    e.populate(&e.db, "a", "make deploy", 5, "alice");
    e.populate(&b, "b", "make deploy", 5, "bob");
    // Bob's store becomes the team store; then Alice merges hers into it.
    ok(&e.migrate(
        &b,
        &["--from", &format!("sqlite:{}", b.display()), "--to", &url],
    ));
    let mine = format!("sqlite:{}", e.db.display());
    let team_before = pg_count(&url, "SELECT COUNT(*) FROM audit_events");
    let dry = ok(&e.migrate(
        &e.db,
        &["--from", &mine, "--to", &url, "--merge", "--dry-run"],
    ));
    assert!(dry.contains("would append"), "{dry}");
    assert_eq!(
        pg_count(&url, "SELECT COUNT(*) FROM audit_events"),
        team_before,
        "a dry run writes nothing"
    );
    let out = ok(&e.migrate(&e.db, &["--from", &mine, "--to", &url, "--merge"]));
    assert!(out.contains("appended"), "{out}");
    let v = e.verify(&e.db, Some(&url));
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(
        pg_merged_from(&url),
        events(&e.db),
        "every event of Alice's store once, in order"
    );
    assert_eq!(
        pg_count(&url, PG_ALLOWS),
        count(&e.db, ALLOWS) + count(&b, ALLOWS),
        "approvals add up"
    );
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM grants"), 2);
    // The team store takes new calls (its ids go on after the merged rows), and what the
    // two stores' approvals add up to is learned there.
    let deploy = e.hook_on(&url, "team-1", "make deploy");
    assert!(
        deploy.contains("\"allow\""),
        "5 + 5 approvals are learned: {deploy}"
    );
    let other = e.hook_on(&url, "team-2", "make other-thing");
    assert!(
        other.contains("permissionDecision") && !other.contains("could not"),
        "{other}"
    );
    let again = ok(&e.migrate(&e.db, &["--from", &mine, "--to", &url, "--merge"]));
    assert!(again.contains("nothing to merge"), "{again}");
    assert_eq!(e.verify(&e.db, Some(&url))["intact"], true);

    // And the other way: the team store merged into a fresh solo store, for an offline audit.
    let solo = e.dir.path().join("solo.db");
    e.populate(&solo, "c", "make other", 1, "carol");
    let solo_to = format!("sqlite:{}", solo.display());
    ok(&e.migrate(&solo, &["--from", &url, "--to", &solo_to, "--merge"]));
    assert_eq!(e.verify(&solo, None)["intact"], true);
    assert_eq!(
        count(&solo, ALLOWS),
        pg_count(&url, PG_ALLOWS),
        "the team's approvals, once"
    );
}

#[test]
fn a_source_larger_than_a_batch_merges_batch_by_batch() {
    let e = Env::new();
    let b = e.dir.path().join("b.db");
    e.populate(&e.db, "a", "make deploy", 2, "alice");
    e.populate(&b, "b", "make deploy", 3, "bob");
    store_support::add_bulk_checks(&b, 1_200);
    let bulk = "SELECT count(*) FROM checks WHERE session = 'bulk'";
    let before = count(&e.db, "SELECT count(*) FROM checks");
    let source_checks = count(&b, "SELECT count(*) FROM checks");
    let to = format!("sqlite:{}", e.db.display());
    let from = format!("sqlite:{}", b.display());
    let out = e.migrate(&e.db, &["--from", &from, "--to", &to, "--merge"]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    // 500 rows a batch (the build's `BATCH`): the checks arrive in three.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("checks: ")).count(),
        3,
        "{err}"
    );
    assert_eq!(
        count(&e.db, "SELECT count(*) FROM checks"),
        before + source_checks
    );
    assert_eq!(count(&e.db, bulk), 1_200);
    assert_eq!(e.verify(&e.db, None)["intact"], true);
    // Again: nothing more.
    ok(&e.migrate(&e.db, &["--from", &from, "--to", &to, "--merge"]));
    assert_eq!(count(&e.db, bulk), 1_200);
    // Into the team store too, and merged again: nothing more.
    let Some(admin) = server_url("store_merge") else {
        eprintln!("skipped: set AIPERTURE_TEST_PG_URL to run the PostgreSQL half");
        return;
    };
    // A team store with a chain of its own takes the bulk source: its checks land there.
    let team = fresh_database(&admin, "merge_bulk_team").unwrap();
    let c_db = e.dir.path().join("c.db");
    e.populate(&c_db, "c", "make deploy", 1, "carol");
    ok(&e.migrate(&c_db, &["--to", &team]));
    ok(&e.migrate(&c_db, &["--from", &from, "--to", &team, "--merge"]));
    let v = e.verify(&c_db, Some(&team));
    assert_eq!(v["intact"], true, "{v}");
    let back = e.dir.path().join("team-copy.db");
    ok(&e.migrate(
        &c_db,
        &[
            "--from",
            &team,
            "--to",
            &format!("sqlite:{}", back.display()),
        ],
    ));
    assert_eq!(count(&back, bulk), 1_200);
    let url = fresh_database(&admin, "merge_bulk").unwrap();
    ok(&e.migrate(&e.db, &["--to", &url]));
    let out = e.migrate(&b, &["--from", &from, "--to", &url, "--merge"]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already merged: nothing to do"), "{err}");
    let v = e.verify(&e.db, Some(&url));
    assert_eq!(v["intact"], true, "{v}");
}
