//! The conformance suite of the engine's [`Store`] port: what any store must do for the gate
//! to be correct on it. SQLite runs it today (`store::sqlite` tests); a team store runs the same
//! functions through its own [`Harness`].
//!
//! It checks that a snapshot reads back what effects wrote, that a failed transaction leaves
//! nothing, that every kind of learned state reaches the snapshot, that concurrent checks lose
//! no budget charge and keep one audit chain, and that a tampered chain head is an integrity
//! error, never a silent allow.

use crate::audit::VerifyReport;
use crate::clock::ManualClock;
use crate::config::Settings;
use crate::engine::Gate;
use crate::engine::learning::{self, HumanDecision};
use crate::engine::pipeline::budget_cost;
use crate::engine::snapshot::{CheckLog, Effect, SnapshotKeys};
use crate::engine::state::{
    AuditNote, Grant, KeyKind, LearnKey, PendingAsk, SessionRow, Source, WrittenFile,
};
use crate::engine::store::Store;
use crate::error::ErrorKind;
use crate::paths::Paths;
use crate::request::{Decision, Request, RiskTier};
use std::sync::Arc;

/// A store under test: fresh handles on one store, and the store-specific checks.
pub trait Harness: Sync {
    /// The store type.
    type S: Store + 'static;
    /// A new handle (connection) on the same store.
    fn open(&self) -> Self::S;
    /// Where the gate keeps its key and policy files.
    fn paths(&self) -> Paths;
    /// Verifies the whole audit chain with `key`.
    fn verify_chain(&self, key: &[u8; 32]) -> VerifyReport;
    /// Replaces the chain head's signature with a forged one.
    fn forge_head(&self);
}

/// Runs every check of the suite against `h`. Each check uses its own session and project
/// names, so they share one store.
pub fn run_all(h: &impl Harness) {
    snapshot_reads_back_what_effects_wrote(h);
    a_failed_transaction_leaves_nothing(h);
    learned_state_reaches_the_snapshot(h);
    concurrent_checks_lose_no_budget_and_keep_one_chain(h);
    a_team_quorum_counts_people_not_approvals(h);
    an_ask_is_shown_its_program_s_patterns_among_many(h);
    a_check_reads_its_ask_s_context_in_its_own_transaction(h);
    // Last: it leaves the chain head forged.
    a_forged_chain_head_is_an_integrity_error(h);
    a_call_id_is_claimed_once(h);
}

/// A hook call's id is claimed by one transaction only, also when two race for it, and a day
/// later its claim may be pruned.
pub fn a_call_id_is_claimed_once(h: &impl Harness) {
    use crate::request_id;
    let install_key = key_of(h);
    let old = request_id::fresh(T0).unwrap_or_default();
    let store = h.open();
    let first = store
        .write(&install_key, |st| st.claim_request(&old, T0))
        .unwrap();
    let again = store
        .write(&install_key, |st| st.claim_request(&old, T0 + 1))
        .unwrap();
    assert!(first && !again);
    // Two handles race for one id: exactly one wins.
    let id = request_id::fresh(T0 + 5).unwrap_or_default();
    let wins: usize = std::thread::scope(|s| {
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let id = id.clone();
                s.spawn(move || {
                    let store = h.open();
                    store
                        .write(&install_key, |st| st.claim_request(&id, T0 + 5))
                        .unwrap()
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| usize::from(r.join().unwrap()))
            .sum()
    });
    assert_eq!(wins, 1);
    // A claim a day and more later prunes the old ones (on the times divisible by 64).
    let later = T0 + request_id::KEEP_MS + 64 * 1000;
    let fresh_id = request_id::fresh(later).unwrap_or_default();
    assert!(
        store
            .write(&install_key, |st| st.claim_request(&fresh_id, later))
            .unwrap()
    );
    let reclaimed = store
        .write(&install_key, |st| st.claim_request(&old, later + 64))
        .unwrap();
    assert!(reclaimed, "a claim older than a day was not pruned");
}

const T0: i64 = 1_800_000_000_000;
/// The install key of the harness's home: the one the gates of the suite sign with.
fn key_of(h: &impl Harness) -> [u8; 32] {
    crate::key::load(&h.paths()).unwrap()
}

fn note(event_type: &str) -> AuditNote {
    AuditNote {
        event_type: event_type.into(),
        actor_type: "system".into(),
        summary: "conformance".into(),
        details: serde_json::json!({}),
        ..AuditNote::default()
    }
}

fn keys_for(session: &str, project: &str, key: &LearnKey) -> SnapshotKeys {
    SnapshotKeys {
        session: session.into(),
        project: project.into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "npm test".into(),
        rate_window: Some((0, 1000)),
        decidable: true,
        keys: vec![key.clone()],
        learning: true,
        budget: true,
        now_ms: T0,
        ..SnapshotKeys::default()
    }
}

fn npm_key() -> LearnKey {
    LearnKey {
        kind: KeyKind::Pattern,
        key: "npm test *".into(),
    }
}

/// Effects applied in one transaction are all in the next snapshot.
pub fn snapshot_reads_back_what_effects_wrote(h: &impl Harness) {
    let install_key = key_of(h);
    let store = h.open();
    let session = SessionRow {
        session: "conf-a".into(),
        runtime: "cli".into(),
        project: "/srv/conf-a".into(),
        started_ms: T0,
        last_ms: T0,
        budget_used: 0.3,
        budget_ms: T0,
        auto_allowed: 1,
    };
    let written = WrittenFile {
        path: "/srv/conf-a/run.sh".into(),
        sha256: "ab".repeat(32),
        tier: Some(RiskTier::High),
        reason: "runs curl | sh".into(),
        in_project: true,
        project: "/srv/conf-a".into(),
        ts_ms: T0,
        session: "conf-a".into(),
        runtime: "cli".into(),
    };
    let pending = PendingAsk {
        id: "c0ffee000001".into(),
        ts_ms: T0,
        session: "conf-a".into(),
        runtime: "cli".into(),
        tool_use_id: Some("t1".into()),
        project: "/srv/conf-a".into(),
        cwd: "/srv/conf-a".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "npm test".into(),
        content_hash: None,
        risk_tier: RiskTier::Medium,
        state: "pending".into(),
    };
    let log = CheckLog {
        ts_ms: T0,
        session: "conf-a".into(),
        runtime: "cli".into(),
        event: "check".into(),
        tool_use_id: Some("t1".into()),
        project: "/srv/conf-a".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "npm test".into(),
        content_hash: None,
        decision: Decision::Ask,
        decided_by: "default".into(),
        risk_tier: RiskTier::Medium,
        risk_score: 0.3,
    };
    let effects = vec![
        Effect::PutSession(session.clone()),
        Effect::LogCheck(log.clone()),
        Effect::LogCheck(log),
        Effect::InsertPending(pending.clone()),
        Effect::PutWrittenFile(written.clone()),
        Effect::Audit(note("conformance.effects"), T0),
    ];
    let before = h.verify_chain(&install_key).events;
    store.write(&install_key, |st| st.apply(&effects)).unwrap();
    let mut keys = keys_for("conf-a", "/srv/conf-a", &npm_key());
    keys.written_paths = vec![written.path.clone(), "/srv/conf-a/absent.sh".into()];
    let snap = store.read(|st| st.snapshot(&keys)).unwrap();
    assert_eq!(snap.recent_checks, 2, "both logged checks are counted");
    assert_eq!(snap.session.as_ref(), Some(&session));
    assert_eq!(snap.written, vec![written]);
    let stored = store.read(|st| st.pending("c0ffee000001")).unwrap();
    assert_eq!(stored, Some(pending));
    let report = h.verify_chain(&install_key);
    assert!(report.intact, "{:?}", report.problem);
    assert_eq!(report.events, before + 1);
    // The rate-limit count stops at its cap, and the window's start is respected.
    keys.rate_window = Some((0, 1));
    assert_eq!(
        store.read(|st| st.snapshot(&keys)).unwrap().recent_checks,
        1
    );
    keys.rate_window = Some((T0 + 1, 1000));
    assert_eq!(
        store.read(|st| st.snapshot(&keys)).unwrap().recent_checks,
        0
    );
}

/// A transaction whose closure fails writes nothing, audit event included.
pub fn a_failed_transaction_leaves_nothing(h: &impl Harness) {
    let install_key = key_of(h);
    let store = h.open();
    let before = h.verify_chain(&install_key).events;
    let session = SessionRow {
        session: "conf-b".into(),
        runtime: "cli".into(),
        project: "/srv/conf-b".into(),
        started_ms: T0,
        last_ms: T0,
        budget_used: 0.1,
        budget_ms: T0,
        auto_allowed: 1,
    };
    let err = store
        .write(&install_key, |st| -> anyhow::Result<()> {
            st.apply(&[
                Effect::PutSession(session),
                Effect::Audit(note("conformance.rolled_back"), T0),
            ])?;
            anyhow::bail!("the decision failed after its effects")
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Store);
    let keys = keys_for("conf-b", "/srv/conf-b", &npm_key());
    let snap = store.read(|st| st.snapshot(&keys)).unwrap();
    assert_eq!(snap.session, None);
    assert_eq!(h.verify_chain(&install_key).events, before);
}

/// Session memory, revocations, grants, presets and learned aggregates (project and global)
/// all reach the snapshot; nothing is read for a request the floor decides.
pub fn learned_state_reaches_the_snapshot(h: &impl Harness) {
    let install_key = key_of(h);
    let store = h.open();
    let project = "/srv/conf-c";
    let key = npm_key();
    let cfg = crate::engine::config::EngineConfig::from(&Settings::default());
    let grant = Grant {
        id: "g-conf-c".into(),
        created_ms: T0,
        expires_ms: T0 + 60_000,
        project: project.into(),
        session: String::new(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "npm *".into(),
        decision: Decision::Allow,
        granted_by: "conformance".into(),
        reason: "test".into(),
    };
    store
        .write(&install_key, |st| {
            st.put_memory(
                "conf-c",
                project,
                "shell",
                "execute",
                "npm test",
                "",
                Decision::Allow,
                "alice",
                T0,
            )?;
            st.insert_grant(&grant)?;
            st.add_preset(project, "node", T0, "alice")?;
            for (i, p) in [project, learning::GLOBAL].into_iter().enumerate() {
                let a = crate::risk::assess(
                    "shell",
                    "execute",
                    "npm test",
                    &crate::risk::Context::default(),
                );
                learning::record(
                    st,
                    &cfg,
                    T0 + i as i64,
                    &HumanDecision {
                        session: "conf-c",
                        runtime: "cli",
                        project: p,
                        tool: "shell",
                        action: "execute",
                        scope: "npm test",
                        content_hash: None,
                        decision: Decision::Allow,
                        source: Source::Terminal,
                        who: "alice",
                        host: "",
                        pending_id: None,
                    },
                    &a,
                )?;
            }
            Ok(())
        })
        .unwrap();
    let keys = keys_for("conf-c", project, &key);
    let snap = store.read(|st| st.snapshot(&keys)).unwrap();
    assert_eq!(snap.memory.map(|(d, _)| d), Some(Decision::Allow));
    assert_eq!(snap.grants, vec![grant]);
    assert_eq!(snap.presets, vec!["node".to_string()]);
    assert!(
        snap.pattern(project, &key)
            .is_some_and(|p| p.human_allow == 1)
    );
    assert!(snap.pattern(learning::GLOBAL, &key).is_some());
    assert_eq!(snap.revoked(&key), None);
    let (everywhere, known, unknown) = store
        .read(|st| {
            Ok((
                st.pattern_everywhere("shell", "execute", &key)?,
                st.project_known(project)?,
                st.project_known("/srv/conf-never")?,
            ))
        })
        .unwrap();
    let mut where_: Vec<&str> = everywhere.iter().map(|p| p.project.as_str()).collect();
    where_.sort();
    assert_eq!(where_, [project, learning::GLOBAL]);
    assert!(known && !unknown);
    // Every project with learned aggregates, sorted byte-wise on both stores.
    let projects = store.read(|st| st.pattern_projects()).unwrap();
    assert!(
        projects.iter().any(|p| p == project) && projects.iter().any(|p| p == learning::GLOBAL),
        "{projects:?}"
    );
    assert!(projects.windows(2).all(|w| w[0] < w[1]), "{projects:?}");
    // A key that travels is read everywhere, and whether the human decided here comes with it
    // when another project has evidence.
    let mut travel = keys.clone();
    travel.travel = vec![key.clone()];
    travel.project = "/srv/conf-c2".into();
    let snap = store.read(|st| st.snapshot(&travel)).unwrap();
    assert!(snap.pattern(project, &key).is_some());
    assert!(!snap.project_known);
    store
        .write(&install_key, |st| {
            st.revoke_key("shell", "execute", &key, T0 + 10, "alice", "conformance")
        })
        .unwrap();
    let snap = store.read(|st| st.snapshot(&keys)).unwrap();
    assert_eq!(snap.revoked(&key), Some(T0 + 10));
    // Expired grants are not read.
    let mut later = keys.clone();
    later.now_ms = T0 + 120_000;
    assert!(
        store
            .read(|st| st.snapshot(&later))
            .unwrap()
            .grants
            .is_empty()
    );
    // However a store batches its reads, the snapshot is the one read statement by statement.
    let mut variants = vec![keys.clone()];
    let mut two = keys.clone();
    two.keys.insert(
        0,
        LearnKey {
            kind: KeyKind::Exact,
            key: "npm test".into(),
        },
    );
    two.keys.push(LearnKey {
        kind: KeyKind::Pattern,
        key: "never learned *".into(),
    });
    variants.push(two);
    let mut quiet = keys.clone();
    quiet.learning = false;
    quiet.budget = false;
    quiet.rate_window = None;
    variants.push(quiet);
    let mut elsewhere = keys.clone();
    elsewhere.session = "conf-other".into();
    elsewhere.project = learning::GLOBAL.into();
    variants.push(elsewhere);
    // Keys that travel: read in every project, from one with evidence and one without.
    variants.push(travel.clone());
    let mut travel_here = travel.clone();
    travel_here.project = project.into();
    variants.push(travel_here);
    let mut floor = keys.clone();
    floor.decidable = false;
    variants.push(floor);
    for v in &variants {
        let (batched, each) = store
            .read(|st| Ok((st.snapshot(v)?, crate::engine::state::fetch_each(st, v)?)))
            .unwrap();
        assert_eq!(batched, each, "{v:?}");
    }
    // A request the risk floor decides reads only its rate-limit window.
    let mut floor = keys.clone();
    floor.decidable = false;
    floor.budget = false;
    let snap = store.read(|st| st.snapshot(&floor)).unwrap();
    assert!(snap.memory.is_none() && snap.grants.is_empty() && snap.patterns.is_empty());
}

/// Checks from many threads, each on its own handle, charge one session's budget: no charge
/// is lost and the audit chain stays one unbroken sequence.
pub fn concurrent_checks_lose_no_budget_and_keep_one_chain(h: &impl Harness) {
    const THREADS: usize = 4;
    const CHECKS: usize = 8;
    let key = key_of(h);
    let before = h.verify_chain(&key).events;
    let clock = Arc::new(ManualClock::new(T0));
    let request = Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: "conf-d".into(),
        cwd: "/srv/conf-d".into(),
        project: "/srv/conf-d".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "ls -la".into(),
        ..Request::default()
    };
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            let gate = Gate::new(h.open(), h.paths(), Settings::default(), clock.clone());
            let request = &request;
            scope.spawn(move || {
                for _ in 0..CHECKS {
                    let v = gate.check(request).unwrap();
                    assert_eq!(v.decision, Decision::Allow, "{}", v.reason);
                }
            });
        }
    });
    let store = h.open();
    let keys = SnapshotKeys {
        session: "conf-d".into(),
        budget: true,
        ..SnapshotKeys::default()
    };
    let row = store
        .read(|st| st.snapshot(&keys))
        .unwrap()
        .session
        .unwrap();
    let n = THREADS * CHECKS;
    assert_eq!(row.auto_allowed, n as u64, "an allow's charge was lost");
    let want = budget_cost(RiskTier::Low) * n as f64;
    assert!(
        (row.budget_used - want).abs() < 1e-9,
        "{} != {want}",
        row.budget_used
    );
    let report = h.verify_chain(&key);
    assert!(report.intact, "{:?}", report.problem);
    assert_eq!(report.events, before + n as u64);
}

/// A chain head whose signature was forged stops checks with an integrity error (the hook
/// answers "ask"), and nothing is written.
pub fn a_forged_chain_head_is_an_integrity_error(h: &impl Harness) {
    let paths = h.paths();
    let gate = Gate::new(
        h.open(),
        paths,
        Settings::default(),
        Arc::new(ManualClock::new(T0)),
    );
    let request = Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: "conf-e".into(),
        cwd: "/srv/conf-e".into(),
        project: "/srv/conf-e".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "ls".into(),
        ..Request::default()
    };
    gate.check(&request).unwrap();
    h.forge_head();
    let err = gate.check(&request).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Integrity, "{err}");
    assert!(err.message.contains("does not verify"), "{err}");
}

/// With `learning_min_humans = 2`, a dozen approvals by one person (named by the request's
/// call site, whatever the caller passes as `who`) do not teach a pattern; one more by a
/// second person does. The chain, with who and which machine on every event, verifies.
pub fn a_team_quorum_counts_people_not_approvals(h: &impl Harness) {
    let clock = Arc::new(ManualClock::new(T0));
    let settings = Settings {
        learning_min_humans: 2,
        ..Settings::default()
    };
    let gate = Gate::new(h.open(), h.paths(), settings, clock.clone());
    let by = |person: &str, session: String| Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: session,
        cwd: "/srv/conf-q".into(),
        project: "/srv/conf-q".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "npm test".into(),
        callsite: Some(crate::request::CallSite {
            principal: crate::request::Principal {
                user: person.into(),
                runtime: "cli".into(),
                host: format!("{person}-laptop"),
            },
            ..Default::default()
        }),
        ..Request::default()
    };
    for i in 0..12 {
        clock.advance(120_000);
        gate.record_human(
            &by("alice", format!("conf-q-a{i}")),
            Decision::Allow,
            "human:exec",
        )
        .unwrap();
    }
    clock.advance(120_000);
    let v = gate.check(&by("alice", "conf-q-x".into())).unwrap();
    assert_eq!(v.decision, Decision::Ask, "{v:?}");
    clock.advance(120_000);
    gate.record_human(&by("bob", "conf-q-b".into()), Decision::Allow, "human:exec")
        .unwrap();
    clock.advance(120_000);
    let v = gate.check(&by("carol", "conf-q-y".into())).unwrap();
    assert_eq!(v.decision, Decision::Allow, "{v:?}");
    assert!(v.decided_by.starts_with("learned:"), "{}", v.decided_by);
    assert!(h.verify_chain(&key_of(h)).intact);
}

/// A check that shows its ask reads the ask's context (progress and similar patterns) in its
/// own transaction, the progress from its snapshot: the same context a separate read gives,
/// for a key whose evidence stays in its project, one that travels between projects, and one
/// approved in another project only.
pub fn a_check_reads_its_ask_s_context_in_its_own_transaction(h: &impl Harness) {
    let clock = Arc::new(ManualClock::new(T0));
    let gate = Gate::new(h.open(), h.paths(), Settings::default(), clock.clone());
    let req = |project: &str, scope: &str, session: String| Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: session,
        cwd: project.into(),
        project: project.into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: scope.into(),
        ..Request::default()
    };
    let here = "/srv/conf-ctx";
    let approved = [
        (here, "terraform apply a.tfplan", 3),
        (here, "npm run lint", 2),
        ("/srv/conf-ctx-other", "cargo fmt --check", 2),
        (here, "terraform plan", 1),
    ];
    for (i, (project, scope, times)) in approved.into_iter().enumerate() {
        for n in 0..times {
            clock.advance(1_000);
            let r = req(project, scope, format!("conf-ctx-h{i}-{n}"));
            gate.record_human(&r, Decision::Allow, "human:exec")
                .unwrap();
        }
    }
    for (i, (scope, approvals)) in [
        ("terraform apply b.tfplan", 3),
        ("npm run lint", 2),
        ("cargo fmt --check", 0),
    ]
    .into_iter()
    .enumerate()
    {
        clock.advance(1_000);
        let ask = req(here, scope, format!("conf-ctx-ask{i}"));
        let out = gate.check_with_context(&ask, 2).unwrap();
        assert_eq!(
            out.verdict.decision,
            Decision::Ask,
            "{scope}: {:?}",
            out.verdict
        );
        let ctx = out.context.expect("a recorded ask carries its context");
        let apart = gate.ask_context(&ask, &out.verdict, 2);
        let progress = ctx.progress.as_ref().expect("an ask's progress is known");
        assert_eq!(progress.approvals, approvals, "{scope}: {progress:?}");
        assert_eq!(ctx.progress, apart.progress, "{scope}");
        assert_eq!(ctx.similar, apart.similar, "{scope}");
    }
    // A check that is not shown, or not an ask, reads no context.
    clock.advance(1_000);
    let out = gate
        .check_full(
            &req(here, "terraform apply c.tfplan", "conf-ctx-x".into()),
            false,
        )
        .unwrap();
    assert!(out.context.is_none());
}

/// An ask is shown the learned patterns of its own program, however many patterns of other
/// programs come before them in key order (the candidates are one bounded read).
pub fn an_ask_is_shown_its_program_s_patterns_among_many(h: &impl Harness) {
    let clock = Arc::new(ManualClock::new(T0));
    let gate = Gate::new(h.open(), h.paths(), Settings::default(), clock.clone());
    let req = |scope: &str, session: String| Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: session,
        cwd: "/srv/conf-sim".into(),
        project: "/srv/conf-sim".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: scope.into(),
        ..Request::default()
    };
    // More patterns than one read takes, all before `terraform` in key order.
    let others = crate::engine::similar::CANDIDATES as usize + 20;
    for i in 0..others {
        clock.advance(1_000);
        let r = req(&format!("make target{i:03}"), format!("conf-sim-o{i}"));
        gate.record_human(&r, Decision::Allow, "human:exec")
            .unwrap();
    }
    for i in 0..3 {
        clock.advance(1_000);
        let r = req("terraform plan", format!("conf-sim-t{i}"));
        gate.record_human(&r, Decision::Allow, "human:exec")
            .unwrap();
    }
    clock.advance(1_000);
    let ask = req("terraform apply p", "conf-sim-ask".into());
    let v = gate.check(&ask).unwrap();
    assert_eq!(v.decision, Decision::Ask, "{v:?}");
    let ctx = gate.ask_context(&ask, &v, 2);
    assert!(
        ctx.similar
            .iter()
            .any(|s| s.pattern.starts_with("terraform plan")),
        "{:?}",
        ctx.similar
    );
    assert!(
        ctx.similar
            .iter()
            .all(|s| s.pattern.starts_with("terraform")),
        "{:?}",
        ctx.similar
    );
}
