//! Unit tests of the artifact store: hashing, inline and file storage, verification of a
//! changed or missing file, listing and cost sums.

use super::*;
use crate::clock::ManualClock;
use crate::config::Settings;
use crate::paths::Paths;
use crate::store::LocalGate;
use std::sync::Arc;

fn gate(dir: &tempfile::TempDir, inline_max: u64) -> LocalGate {
    let paths = Paths::at(&dir.path().join("home"), &dir.path().join("a.db"));
    let settings = Settings {
        artifacts_inline_max_bytes: inline_max,
        ..Settings::default()
    };
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    LocalGate::open_with(paths, settings, clock).unwrap()
}

fn new(content: &[u8]) -> NewArtifact {
    NewArtifact {
        content: content.to_vec(),
        ..NewArtifact::default()
    }
}

#[test]
fn the_reference_vector_hashes_and_a_small_content_is_inline() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 16);
    let a = store(&g, new(b"hello")).unwrap();
    assert_eq!(
        a.sha256,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert!(valid_id(&a.id), "{}", a.id);
    assert_eq!(
        (a.backend.as_str(), a.size, a.kind.as_str()),
        ("inline", 5, "custom")
    );
    assert_eq!(content(&g, &a.id).unwrap(), b"hello");
    assert_eq!(verify(&g, &a.id).unwrap().status, "verified");
    assert_eq!(get(&g, &a.id).unwrap().unwrap(), a);
    assert!(get(&g, "not-an-id").unwrap().is_none());
    assert!(verify(&g, "0123456789abcdef").is_err());
}

#[test]
fn a_large_content_is_a_file_and_a_changed_or_missing_file_fails() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 4);
    let a = store(&g, new(b"large enough")).unwrap();
    assert_eq!(a.backend, "file");
    let file = blob::dir(g.paths()).join(a.path.clone().unwrap());
    assert_eq!(std::fs::read(&file).unwrap(), b"large enough");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The same content twice: one file, two records.
    let b = store(&g, new(b"large enough")).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.path, b.path);
    assert_eq!(verify(&g, &a.id).unwrap().status, "verified");

    std::fs::write(&file, b"large enougH").unwrap();
    let v = verify(&g, &a.id).unwrap();
    assert_eq!(v.status, "failed");
    assert!(v.problem.unwrap().contains("content changed"));
    assert_eq!(get(&g, &a.id).unwrap().unwrap().status, "failed");

    std::fs::remove_file(&file).unwrap();
    let v = verify(&g, &b.id).unwrap();
    assert_eq!((v.status.as_str(), v.actual_sha256), ("failed", None));
    assert!(v.problem.unwrap().contains("missing"));
    assert!(content(&g, &b.id).is_err());

    // Storing the content again restores the file, and the old record verifies again.
    store(&g, new(b"large enough")).unwrap();
    assert_eq!(verify(&g, &a.id).unwrap().status, "verified");
}

#[test]
fn an_inline_content_edited_in_the_store_fails() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 1024);
    let a = store(&g, new(b"report v1")).unwrap();
    g.store()
        .db()
        .conn()
        .execute(
            "UPDATE artifacts SET content = x'00' WHERE id = ?1",
            [&a.id],
        )
        .unwrap();
    assert_eq!(verify(&g, &a.id).unwrap().status, "failed");
}

#[test]
fn bad_costs_and_oversized_contents_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 1024);
    for cost in [f64::NAN, -1.0, f64::INFINITY] {
        let mut n = new(b"x");
        n.cost_usd = cost;
        assert!(store(&g, n).is_err(), "{cost}");
    }
    assert!(store(&g, new(&vec![0u8; MAX_CONTENT + 1])).is_err());
}

#[test]
fn listing_filters_and_costs_sum_by_each_dimension() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 1024);
    let rec = |session: &str, model: &str, provider: &str, tin: u64, cost: f64| NewArtifact {
        content: format!("{session}{model}").into_bytes(),
        session: session.into(),
        task: "t1".into(),
        runtime: "claude-code".into(),
        model: model.into(),
        provider: provider.into(),
        tokens_in: tin,
        tokens_out: 10,
        cost_usd: cost,
        ..NewArtifact::default()
    };
    store(&g, rec("s1", "opus", "anthropic", 100, 0.5)).unwrap();
    store(&g, rec("s1", "haiku", "anthropic", 50, 0.25)).unwrap();
    store(&g, rec("s2", "gpt", "openai", 10, 1.0)).unwrap();
    store(&g, rec("s2", "", "", 0, 0.0)).unwrap();

    let all = list(&g, &ArtifactFilter::default()).unwrap();
    assert_eq!(all.len(), 4);
    let s1 = ArtifactFilter {
        session: Some("s1".into()),
        ..ArtifactFilter::default()
    };
    assert_eq!(list(&g, &s1).unwrap().len(), 2);
    let one = ArtifactFilter {
        limit: 1,
        ..ArtifactFilter::default()
    };
    assert_eq!(list(&g, &one).unwrap().len(), 1);

    let c = cost_summary(&g, &ArtifactFilter::default()).unwrap();
    assert_eq!((c.artifacts, c.tokens_in, c.tokens_out), (4, 160, 40));
    assert!((c.cost_usd - 1.75).abs() < 1e-9);
    let names = |v: &[CostGroup]| v.iter().map(|g| g.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&c.by_model), ["gpt", "opus", "haiku"]);
    assert_eq!(names(&c.by_provider), ["openai", "anthropic"]);
    assert!((c.by_provider[1].cost_usd - 0.75).abs() < 1e-9);
    assert_eq!(names(&c.by_session), ["s2", "s1"]);
    assert_eq!(c.by_task[0].artifacts, 4);
    assert_eq!(c.by_runtime[0].name, "claude-code");
    let c1 = cost_summary(&g, &s1).unwrap();
    assert_eq!(c1.artifacts, 2);
}

#[test]
fn storing_and_verifying_append_audit_events_and_the_chain_verifies() {
    let d = tempfile::tempdir().unwrap();
    let g = gate(&d, 1024);
    let a = store(&g, new(b"x")).unwrap();
    verify(&g, &a.id).unwrap();
    let db = g.store().db();
    let types: Vec<String> = db
        .conn()
        .prepare("SELECT event_type FROM audit_events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(types.ends_with(&[
        "artifact.stored".to_string(),
        "artifact.verified".to_string()
    ]));
    let key = crate::key::load(g.paths()).unwrap();
    assert!(
        crate::store::audit_sql::verify(&db, Some(&key))
            .unwrap()
            .intact
    );
}
