//! The chain in SQLite: appends, tampering with the tables, listing, export and reseal,
//! checked through the SQLite store.

use super::*;
use crate::audit::{
    ActorType, GENESIS, ListFilter, NewEvent, RESEALED, VerifyReport, event_hash, verify_file,
};
use serde_json::json;

const KEY: [u8; 32] = [7u8; 32];

fn db_with(n: u64) -> (tempfile::TempDir, Db) {
    let t = tempfile::tempdir().unwrap();
    let db = Db::open(&t.path().join("a.db")).unwrap();
    for i in 0..n {
        db.write(|tx| {
            let mut ev = NewEvent::new("permission.check", ActorType::Hook);
            ev.actor = "claude-code-hook".into();
            ev.runtime = "claude-code".into();
            ev.session_id = format!("s{}", i % 2);
            ev.project = "/p".into();
            ev.entity = format!("shell/execute/echo {i}");
            ev.summary = format!("ask: echo {i}");
            ev.details = json!({"z": i, "a": "é", "n": [1, 2.5, null]});
            append(tx, &KEY, &ev, 1_000 + i as i64)
        })
        .unwrap();
    }
    (t, db)
}

fn exec(db: &Db, sql: &str) {
    db.conn().execute_batch(sql).unwrap();
}

fn bad_at(db: &Db) -> (Option<u64>, String) {
    let r = verify(db, Some(&KEY)).unwrap();
    assert!(!r.intact, "tampering not detected");
    (r.first_bad_seq, r.problem.unwrap_or_default())
}

#[test]
fn append_assigns_seq_links_and_verifies() {
    let (_t, db) = db_with(5);
    let r = verify(&db, Some(&KEY)).unwrap();
    assert_eq!(
        r,
        VerifyReport {
            intact: true,
            events: 5,
            first_bad_seq: None,
            problem: None,
            mac_checked: true,
            reseals: 0
        }
    );
    let all = list(&db, &ListFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(all[4].prev_hash, GENESIS);
    assert_eq!(all[3].prev_hash, all[4].hash);
    assert_eq!(
        all[0].details,
        json!({"a": "é", "n": [1, 2.5, null], "z": 4})
    );
    let stored: String = db
        .conn()
        .query_row("SELECT details FROM audit_events WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, r#"{"a":"é","n":[1,2.5,null],"z":0}"#);
}

#[test]
fn empty_chain_is_intact() {
    let (_t, db) = db_with(0);
    let r = verify(&db, Some(&KEY)).unwrap();
    assert!(r.intact && r.events == 0);
}

#[test]
fn editing_any_field_is_detected_at_that_seq() {
    for (col, val) in [
        ("ts_ms", "999"),
        ("event_type", "'x'"),
        ("actor_type", "'human'"),
        ("actor", "'x'"),
        ("runtime", "'x'"),
        ("session_id", "'x'"),
        ("project", "'x'"),
        ("entity", "'x'"),
        ("summary", "'x'"),
        ("details", "'{}'"),
        ("prev_hash", "'00'"),
        ("hash", "'00'"),
    ] {
        let (_t, db) = db_with(5);
        exec(
            &db,
            &format!("UPDATE audit_events SET {col} = {val} WHERE seq = 3"),
        );
        let (seq, p) = bad_at(&db);
        assert_eq!(seq, Some(3), "{col}: {p}");
    }
}

#[test]
fn deleting_a_middle_event_is_detected() {
    let (_t, db) = db_with(5);
    exec(&db, "DELETE FROM audit_events WHERE seq = 2");
    let (seq, p) = bad_at(&db);
    assert_eq!(seq, Some(2));
    assert!(p.contains("missing"), "{p}");
}

#[test]
fn reordering_is_detected() {
    let (_t, db) = db_with(5);
    // Swap the contents of events 2 and 3 (keeping seq in place).
    exec(
        &db,
        "UPDATE audit_events SET seq = -2 WHERE seq = 2;
         UPDATE audit_events SET seq = 2 WHERE seq = 3;
         UPDATE audit_events SET seq = 3 WHERE seq = -2;",
    );
    assert_eq!(bad_at(&db).0, Some(2));
}

#[test]
fn tail_truncation_is_detected_and_not_papered_over_by_the_next_append() {
    let (_t, db) = db_with(5);
    exec(&db, "DELETE FROM audit_events WHERE seq >= 4");
    let (seq, p) = bad_at(&db);
    assert_eq!(seq, Some(4));
    assert!(p.contains("4..5"), "{p}");
    // The next append continues from the signed head (seq 6), leaving the gap visible.
    db.write(|tx| append(tx, &KEY, &NewEvent::new("x", ActorType::System), 9))
        .unwrap();
    assert_eq!(bad_at(&db).0, Some(4));
}

#[test]
fn truncation_with_a_forged_head_is_detected_and_blocks_appends() {
    let (_t, db) = db_with(5);
    let h3: String = db
        .conn()
        .query_row("SELECT hash FROM audit_events WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    exec(&db, "DELETE FROM audit_events WHERE seq >= 4");
    exec(
        &db,
        &format!("UPDATE audit_head SET seq = 3, hash = '{h3}'"),
    );
    let (_, p) = bad_at(&db);
    assert!(p.contains("signature"), "{p}");
    // Without the key the forgery passes: that is what the key is for.
    assert!(verify(&db, None).unwrap().intact);
    let e = db
        .write(|tx| append(tx, &KEY, &NewEvent::new("x", ActorType::System), 9))
        .unwrap_err()
        .to_string();
    assert!(e.contains("head does not verify"), "{e}");
}

#[test]
fn deleted_head_is_detected_and_blocks_appends() {
    let (_t, db) = db_with(2);
    exec(&db, "DELETE FROM audit_head");
    assert!(bad_at(&db).1.contains("head is missing"));
    assert!(
        db.write(|tx| append(tx, &KEY, &NewEvent::new("x", ActorType::System), 9))
            .is_err()
    );
}

#[test]
fn events_appended_behind_the_heads_back_are_detected() {
    let (_t, db) = db_with(3);
    let last = list(
        &db,
        &ListFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let prev = &last[0].hash;
    let h = event_hash(4, prev, 5, "x", "system", "", "", "", "", "", "", "null");
    exec(
        &db,
        &format!(
            "INSERT INTO audit_events (seq, ts_ms, event_type, actor_type, details, prev_hash, hash) \
             VALUES (4, 5, 'x', 'system', 'null', '{prev}', '{h}')"
        ),
    );
    assert_eq!(bad_at(&db).0, Some(4));
}

#[test]
fn wrong_key_is_reported() {
    let (_t, db) = db_with(2);
    let r = verify(&db, Some(&[9u8; 32])).unwrap();
    assert!(!r.intact);
}

#[test]
fn list_filters_since_type_session_limit() {
    let (_t, db) = db_with(6);
    let f = ListFilter {
        since_ms: Some(1_002),
        session_id: Some("s1".into()),
        ..Default::default()
    };
    let got: Vec<u64> = list(&db, &f).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(got, [6, 4]);
    let f = ListFilter {
        event_type: Some("nope".into()),
        ..Default::default()
    };
    assert!(list(&db, &f).unwrap().is_empty());
    let f = ListFilter {
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(list(&db, &f).unwrap().len(), 2);
    assert_eq!(count(&db).unwrap(), 6);
}

#[test]
fn export_then_verify_file_and_detect_file_tampering() {
    let (t, db) = db_with(4);
    let path = t.path().join("out.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    let m = export(&db, &mut f, 42).unwrap();
    drop(f);
    assert_eq!((m.count, m.first_seq, m.last_seq, m.head_seq), (4, 1, 4, 4));
    let r = verify_file(&path, Some(&KEY)).unwrap();
    assert!(r.intact && r.mac_checked && r.events == 4, "{r:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    // Edited event.
    let edited = text.replacen("echo 2", "echo 9", 1);
    std::fs::write(&path, edited).unwrap();
    assert_eq!(
        verify_file(&path, Some(&KEY)).unwrap().first_bad_seq,
        Some(3)
    );

    // Manifest cut off.
    std::fs::write(&path, lines[..4].join("\n")).unwrap();
    let r = verify_file(&path, Some(&KEY)).unwrap();
    assert!(!r.intact && r.problem.unwrap().contains("manifest"));

    // Last event dropped, manifest kept.
    let mut cut = lines[..3].to_vec();
    cut.push(lines[4]);
    std::fs::write(&path, cut.join("\n")).unwrap();
    assert_eq!(
        verify_file(&path, Some(&KEY)).unwrap().first_bad_seq,
        Some(4)
    );
}

#[test]
fn sixteen_processes_opening_a_fresh_store_and_appending_keep_one_chain() {
    const CHILD: &str = "AIPERTURE_TEST_AUDIT_CHILD";
    if let Some(p) = std::env::var_os(CHILD) {
        let db = Db::open(std::path::Path::new(&p)).unwrap();
        for i in 0..10 {
            db.write(|tx| append(tx, &KEY, &NewEvent::new("race", ActorType::System), i))
                .unwrap();
        }
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("fresh/race.db");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..16)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "store::audit_sql::tests::sixteen_processes_opening_a_fresh_store_and_appending_keep_one_chain",
                    "--test-threads=1",
                ])
                .env(CHILD, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
    }
    let db = Db::open(&path).unwrap();
    let n: i64 = db
        .conn()
        .query_row(
            "SELECT count(*) FROM meta WHERE key = 'created_at'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "migrated more than once");
    let r = verify(&db, Some(&KEY)).unwrap();
    assert!(r.intact, "{r:?}");
    assert_eq!(r.events, 160);
}

#[test]
fn hostile_seq_values_never_panic() {
    let (_t, db) = db_with(2);
    exec(&db, "UPDATE audit_events SET seq = -1 WHERE seq = 1");
    assert!(!verify(&db, Some(&KEY)).unwrap().intact);
    exec(&db, "UPDATE audit_head SET seq = -1");
    assert!(!verify(&db, Some(&KEY)).unwrap().intact);
    assert!(
        db.write(|tx| append(tx, &KEY, &NewEvent::new("x", ActorType::System), 1))
            .is_err()
    );
}

#[test]
fn reseal_after_a_key_change_restores_appends_and_is_on_record() {
    let (_t, db) = db_with(3);
    let new_key = [8u8; 32];
    let append_new =
        || db.write(|tx| append(tx, &new_key, &NewEvent::new("x", ActorType::System), 9));
    assert!(append_new().is_err(), "a different key must not append");
    let ev = db
        .write(|tx| reseal(tx, &new_key, "alice", 10))
        .unwrap()
        .unwrap();
    assert_eq!((ev.seq, ev.event_type.as_str()), (4, RESEALED));
    assert!(ev.summary.contains("signature"), "{}", ev.summary);
    append_new().unwrap();
    let r = verify(&db, Some(&new_key)).unwrap();
    assert!(r.intact && r.events == 5 && r.reseals == 1, "{r:?}");
    // A sound head needs no reseal.
    assert!(
        db.write(|tx| reseal(tx, &new_key, "alice", 11))
            .unwrap()
            .is_none()
    );
}

#[test]
fn reseal_keeps_a_truncation_visible() {
    let (_t, db) = db_with(5);
    exec(&db, "DELETE FROM audit_events WHERE seq >= 4");
    // The head is still signed, but does not match the last event present.
    let ev = db
        .write(|tx| reseal(tx, &KEY, "alice", 10))
        .unwrap()
        .unwrap();
    assert_eq!(ev.seq, 6, "numbered after the old head");
    assert_eq!(ev.details["old_head_seq"], 5);
    let r = verify(&db, Some(&KEY)).unwrap();
    assert_eq!(r.first_bad_seq, Some(4), "{r:?}");
    db.write(|tx| append(tx, &KEY, &NewEvent::new("x", ActorType::System), 11))
        .unwrap();
}
