//! The chain's format and rules, without a database: hashing, canonical JSON, export files,
//! and append, verify, export and reseal over an in-memory [`ChainSink`] + [`ChainSource`].

use super::*;
use serde_json::json;

const KEY: [u8; 32] = [7u8; 32];

#[test]
fn hash_is_unambiguous_across_field_boundaries() {
    let a = event_hash(1, GENESIS, 5, "a|b", "c", "", "", "", "", "", "", "{}");
    let b = event_hash(1, GENESIS, 5, "a", "b|c", "", "", "", "", "", "", "{}");
    let c = event_hash(1, GENESIS, 5, "ab", "", "", "", "", "", "", "", "{}");
    let d = event_hash(1, GENESIS, 5, "a", "b", "", "", "", "", "", "", "{}");
    assert_ne!(a, b);
    assert_ne!(c, d);
    // Pinned vector: changing the serialization breaks every stored chain.
    assert_eq!(
        event_hash(
            1,
            GENESIS,
            1_772_366_400_123,
            "permission.check",
            "hook",
            "h",
            "claude-code",
            "s",
            "/p",
            "e",
            "x",
            "{}"
        ),
        event_hash(
            1,
            GENESIS,
            1_772_366_400_123,
            "permission.check",
            "hook",
            "h",
            "claude-code",
            "s",
            "/p",
            "e",
            "x",
            "{}"
        )
    );
}

#[test]
fn canonical_json_round_trips() {
    let v = json!({"b": {"y": 1, "x": [true, "q\"\n"]}, "a": 1.5e300, "c": -3});
    let c = canonical_json(&v);
    assert_eq!(c, r#"{"a":1.5e+300,"b":{"x":[true,"q\"\n"],"y":1},"c":-3}"#);
    let back: Value = serde_json::from_str(&c).unwrap();
    assert_eq!(canonical_json(&back), c);
}

#[test]
fn hostile_seq_values_in_an_export_never_panic() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("hostile.jsonl");
    let max = u64::MAX;
    std::fs::write(
        &path,
        format!(
            "{{\"seq\":{max},\"ts_ms\":0,\"event_type\":\"\",\"actor_type\":\"\",\"actor\":\"\",\
             \"runtime\":\"\",\"session_id\":\"\",\"project\":\"\",\"entity\":\"\",\"summary\":\"\",\
             \"details\":null,\"prev_hash\":\"\",\"hash\":\"\"}}\n\
             {{\"manifest\":{{\"format\":1,\"count\":1,\"first_seq\":{max},\"last_seq\":{max},\
             \"head_seq\":{max},\"head_hash\":\"\",\"head_mac\":\"\",\"exported_at_ms\":0}}}}\n"
        ),
    )
    .unwrap();
    assert!(!verify_file(&path, Some(&KEY)).unwrap().intact);
    std::fs::write(&path, "not json\n").unwrap();
    assert!(
        verify_file(&path, Some(&KEY))
            .unwrap_err()
            .to_string()
            .contains("line 1")
    );
}

/// A chain in memory: the smallest store behind both ports (one owner, so no transaction is
/// needed to serialize appenders). Refuses a second event with the same `seq`, as a store must.
#[derive(Debug, Default)]
struct MemChain {
    events: Vec<(AuditEvent, String)>,
    head: Option<Head>,
}

impl ChainSink for MemChain {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        Ok(self.head.clone())
    }

    fn last_event(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        Ok(self
            .events
            .iter()
            .max_by_key(|(e, _)| e.seq)
            .map(|(e, _)| (e.seq, e.hash.clone())))
    }

    fn insert(&mut self, e: &AuditEvent, details: &str, mac: &str) -> anyhow::Result<()> {
        if self.events.iter().any(|(x, _)| x.seq == e.seq) {
            anyhow::bail!("event {} exists", e.seq);
        }
        self.events.push((e.clone(), details.to_string()));
        self.head = Some(Head {
            seq: e.seq,
            hash: e.hash.clone(),
            mac: mac.to_string(),
        });
        Ok(())
    }
}

impl ChainSource for MemChain {
    fn head(&mut self) -> anyhow::Result<Option<Head>> {
        Ok(self.head.clone())
    }

    fn scan(
        &mut self,
        visit: &mut dyn FnMut(AuditEvent, String) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut rows = self.events.clone();
        rows.sort_by_key(|(e, _)| e.seq);
        for (mut e, details) in rows {
            e.details = Value::Null;
            visit(e, details)?;
        }
        Ok(())
    }
}

fn mem_with(n: u64) -> MemChain {
    let mut m = MemChain::default();
    for i in 0..n {
        let mut ev = NewEvent::new("permission.check", ActorType::Hook);
        ev.entity = format!("shell/execute/echo {i}");
        ev.summary = format!("ask: echo {i}");
        ev.details = json!({"z": i, "a": "é"});
        append(&mut m, &KEY, &ev, 1_000 + i as i64).unwrap();
    }
    m
}

#[test]
fn append_over_a_sink_links_from_genesis_and_signs_the_head() {
    let mut m = mem_with(3);
    let seqs: Vec<u64> = m.events.iter().map(|(e, _)| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(m.events[0].0.prev_hash, GENESIS);
    assert_eq!(m.events[1].0.prev_hash, m.events[0].0.hash);
    assert_eq!(
        m.events[2].1, r#"{"a":"é","z":2}"#,
        "details stored canonical"
    );
    let h = m.head.clone().unwrap();
    assert_eq!((h.seq, &h.hash), (3, &m.events[2].0.hash));
    assert!(head_mac_ok(&KEY, h.seq, &h.hash, &h.mac));
    let r = verify(&mut m, Some(&KEY)).unwrap();
    assert!(r.intact && r.mac_checked && r.events == 3, "{r:?}");
    assert!(!verify(&mut m, None).unwrap().mac_checked);
    assert!(!verify(&mut m, Some(&[9u8; 32])).unwrap().intact);
    assert!(verify(&mut MemChain::default(), Some(&KEY)).unwrap().intact);
}

#[test]
fn append_over_a_sink_refuses_a_bad_or_missing_head_and_writes_nothing() {
    let mut m = mem_with(2);
    if let Some(h) = m.head.as_mut() {
        h.mac = head_mac(&[9u8; 32], h.seq, &h.hash);
    }
    let e = append(&mut m, &KEY, &NewEvent::new("x", ActorType::System), 9)
        .unwrap_err()
        .to_string();
    assert!(e.contains("head does not verify"), "{e}");
    m.head = None;
    let e = append(&mut m, &KEY, &NewEvent::new("x", ActorType::System), 9)
        .unwrap_err()
        .to_string();
    assert!(e.contains("head is missing"), "{e}");
    assert_eq!(m.events.len(), 2);
    let r = verify(&mut m, Some(&KEY)).unwrap();
    assert!(r.problem.unwrap_or_default().contains("head is missing"));
}

#[test]
fn append_continues_from_the_signed_head_so_a_truncation_stays_visible() {
    let mut m = mem_with(5);
    m.events.truncate(3);
    let r = verify(&mut m, Some(&KEY)).unwrap();
    assert_eq!(r.first_bad_seq, Some(4), "{r:?}");
    let ev = append(&mut m, &KEY, &NewEvent::new("x", ActorType::System), 9).unwrap();
    assert_eq!(ev.seq, 6);
    assert_eq!(verify(&mut m, Some(&KEY)).unwrap().first_bad_seq, Some(4));
}

#[test]
fn checker_names_the_first_altered_event() {
    let mut m = mem_with(4);
    m.events[1].1 = r#"{"a":"é","z":9}"#.into();
    m.events[3].0.summary = "ALLOW".into();
    let r = verify(&mut m, Some(&KEY)).unwrap();
    assert_eq!(r.first_bad_seq, Some(2), "{r:?}");
    assert!(r.problem.unwrap_or_default().contains("altered"));
    assert_eq!(r.events, 4, "keeps counting after the first problem");
}

#[test]
fn export_from_a_source_round_trips_through_verify_file() {
    let mut m = mem_with(3);
    let mut buf = Vec::new();
    let man = export(&mut m, &mut buf, 42).unwrap();
    assert_eq!(
        (man.count, man.first_seq, man.last_seq, man.head_seq),
        (3, 1, 3, 3)
    );
    let text = String::from_utf8(buf).unwrap();
    let first: AuditEvent = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        first.details,
        json!({"a": "é", "z": 0}),
        "details exported parsed"
    );
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("mem.jsonl");
    std::fs::write(&path, &text).unwrap();
    let r = verify_file(&path, Some(&KEY)).unwrap();
    assert!(r.intact && r.mac_checked && r.events == 3, "{r:?}");
    assert!(!verify_file(&path, Some(&[9u8; 32])).unwrap().intact);
    let mut empty = Vec::new();
    let man = export(&mut MemChain::default(), &mut empty, 1).unwrap();
    assert_eq!(
        (man.count, man.head_seq, man.head_hash.as_str()),
        (0, 0, "")
    );
}

#[test]
fn reseal_over_a_sink_re_anchors_only_a_head_that_does_not_verify() {
    let mut m = mem_with(3);
    assert!(reseal(&mut m, &KEY, "alice", 10).unwrap().is_none());
    let new_key = [8u8; 32];
    let ev = reseal(&mut m, &new_key, "alice", 10).unwrap().unwrap();
    assert_eq!((ev.seq, ev.event_type.as_str()), (4, RESEALED));
    assert_eq!(ev.details["old_head_seq"], 3);
    append(&mut m, &new_key, &NewEvent::new("x", ActorType::System), 11).unwrap();
    let r = verify(&mut m, Some(&new_key)).unwrap();
    assert!(r.intact && r.events == 5 && r.reseals == 1, "{r:?}");
    assert!(
        reseal(&mut MemChain::default(), &KEY, "a", 1)
            .unwrap()
            .is_none()
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_json_is_a_fixed_point(v in json()) {
            let c = canonical_json(&v);
            let back: Value = serde_json::from_str(&c).unwrap();
            prop_assert_eq!(canonical_json(&back), c);
        }

        #[test]
        fn moving_bytes_between_fields_changes_the_hash(a in ".{0,6}", b in ".{0,6}", k in 0usize..6) {
            let joined = format!("{a}{b}");
            let cut = joined.char_indices().map(|(i, _)| i).nth(k).unwrap_or(joined.len());
            let (x, y) = joined.split_at(cut);
            prop_assume!(x != a);
            let h1 = event_hash(1, GENESIS, 0, &a, &b, "", "", "", "", "", "", "");
            let h2 = event_hash(1, GENESIS, 0, x, y, "", "", "", "", "", "", "");
            prop_assert_ne!(h1, h2);
        }
    }
}

#[test]
fn an_event_without_identity_hashes_as_v1_and_one_with_it_as_v2() {
    let mut m = MemChain::default();
    let old = append(&mut m, &KEY, &NewEvent::new("x", ActorType::Hook), 5).unwrap();
    assert_eq!(
        old.hash,
        event_hash(1, GENESIS, 5, "x", "hook", "", "", "", "", "", "", "null")
    );
    let mut ev = NewEvent::new("x", ActorType::Hook);
    ev.principal = "alice".into();
    ev.host = "box1".into();
    let new = append(&mut m, &KEY, &ev, 6).unwrap();
    let v2 = event_hash_v2(
        2, &old.hash, 6, "x", "hook", "", "", "", "", "", "", "null", "alice", "box1",
    );
    assert_eq!(new.hash, v2);
    let v1 = event_hash(2, &old.hash, 6, "x", "hook", "", "", "", "", "", "", "null");
    assert_ne!(new.hash, v1);
}

#[test]
fn a_chain_of_old_and_new_events_verifies_and_an_edited_identity_is_caught() {
    let mut m = MemChain::default();
    for i in 0..6u64 {
        let mut ev = NewEvent::new("permission.check", ActorType::Hook);
        if i >= 3 {
            ev.principal = format!("user{i}");
            ev.host = "box1".into();
        }
        append(&mut m, &KEY, &ev, 10 + i as i64).unwrap();
    }
    let r = verify(&mut m, Some(&KEY)).unwrap();
    assert!(r.intact, "{r:?}");
    assert_eq!(r.events, 6);

    for edit in [
        |e: &mut AuditEvent| e.principal = "mallory".into(),
        |e: &mut AuditEvent| e.host = "elsewhere".into(),
        // Blanking both would turn a v2 event back into a v1 one: its hash still differs.
        |e: &mut AuditEvent| {
            e.principal.clear();
            e.host.clear();
        },
    ] {
        let mut t = MemChain {
            events: m.events.clone(),
            head: m.head.clone(),
        };
        if let Some((e, _)) = t.events.iter_mut().find(|(e, _)| e.seq == 5) {
            edit(e);
        }
        let r = verify(&mut t, Some(&KEY)).unwrap();
        assert!(!r.intact);
        assert_eq!(r.first_bad_seq, Some(5));
    }
    // Giving an old (v1) event an identity is caught as well.
    let mut t = MemChain {
        events: m.events.clone(),
        head: m.head.clone(),
    };
    if let Some((e, _)) = t.events.iter_mut().find(|(e, _)| e.seq == 2) {
        e.principal = "alice".into();
    }
    assert_eq!(verify(&mut t, Some(&KEY)).unwrap().first_bad_seq, Some(2));
}

#[test]
fn a_v1_hash_is_pinned_so_old_chains_keep_verifying() {
    // Chains written before identity was recorded hash as v1; this value must never change.
    let h = event_hash(
        1,
        GENESIS,
        5,
        "permission.check",
        "hook",
        "claude-code",
        "claude-code",
        "s",
        "/p",
        "shell/execute/ls",
        "ALLOW",
        "{}",
    );
    assert_eq!(h, PINNED_V1);
    // v2 with no identity is a different hash (the tag differs), so v1 events stay v1.
    let v2 = event_hash_v2(
        1,
        GENESIS,
        5,
        "permission.check",
        "hook",
        "claude-code",
        "claude-code",
        "s",
        "/p",
        "shell/execute/ls",
        "ALLOW",
        "{}",
        "",
        "",
    );
    assert_ne!(v2, h);
}

/// [`event_hash`] of the pinned event, computed independently from the documented format
/// (SHA-256 of the tag, big-endian integers and length-prefixed fields).
const PINNED_V1: &str = "143b48f30432b00114d5d89715ec481fba2590d2425edf981a742edf9beb4eb0";
