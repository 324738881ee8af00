//! `report::build` on a store written through the engine's state API, for the sections the
//! hook scenario does not reach cheaply: auto-denied, expiring, expired, candidate and revoked
//! patterns, budget-exhausted sessions and the project filter.

use aiperture::engine::config::EngineConfig;
use aiperture::engine::learning::{self, HumanDecision, key_of};
use aiperture::engine::state::{CheckRow, Source, State};
use aiperture::report::{self, ReportOptions, Status};
use aiperture::request::{Decision, Risk, RiskTier};
use aiperture::risk::{Assessment, SegmentAssessment};
use aiperture::store::Db;
use aiperture::store::state::SqliteState;

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_795_680_000_000;
const KEY: [u8; 32] = [9; 32];

fn assessment(cmd: &str, pattern: &str) -> Assessment {
    let risk = Risk::of_tier(RiskTier::Low);
    Assessment {
        risk: risk.clone(),
        reason: String::new(),
        explanation: String::new(),
        segments: vec![SegmentAssessment {
            command: cmd.into(),
            program: String::new(),
            risk,
            pattern: Some(pattern.into()),
            reason: String::new(),
        }],
    }
}

/// `count` decisions on `cmd` (pattern `pattern`) in project `/p/a`, one a day from `start`.
fn decide(st: &mut SqliteState<'_>, cmd: &str, pattern: &str, d: Decision, count: i64, start: i64) {
    let cfg = EngineConfig::default();
    for k in 0..count {
        let session = format!("teach-{cmd}-{k}");
        learning::record(
            st,
            &cfg,
            start + k * DAY,
            &HumanDecision {
                session: &session,
                runtime: "claude-code",
                project: "/p/a",
                tool: "shell",
                action: "execute",
                scope: cmd,
                content_hash: None,
                decision: d,
                source: Source::Terminal,
                who: if k % 2 == 0 { "alice" } else { "bob" },
                host: "",
                pending_id: None,
            },
            &assessment(cmd, pattern),
        )
        .unwrap();
    }
}

fn check(st: &mut SqliteState<'_>, ts: i64, session: &str, project: &str, d: Decision, by: &str) {
    st.insert_check(&CheckRow {
        ts_ms: ts,
        session,
        runtime: "cursor",
        event: "pre_tool_use",
        tool_use_id: None,
        project,
        tool: "shell",
        action: "execute",
        scope: "make build",
        content_hash: None,
        decision: d,
        decided_by: by,
        risk_tier: RiskTier::Low,
        risk_score: 0.1,
    })
    .unwrap();
}

fn store() -> (tempfile::TempDir, Db) {
    let t = tempfile::tempdir().unwrap();
    let db = Db::open(&t.path().join("a.db")).unwrap();
    db.write(|tx| {
        let mut st = SqliteState::with_audit(tx, &KEY);
        // Auto-approved, fresh.
        decide(
            &mut st,
            "git status",
            "git status",
            Decision::Allow,
            10,
            NOW - 20 * DAY,
        );
        // Auto-approved, last confirmed 79 days ago: expires within 14 days.
        decide(
            &mut st,
            "npm ci",
            "npm ci",
            Decision::Allow,
            10,
            NOW - 88 * DAY,
        );
        // Last confirmed 100 days ago: expired, decides nothing, listed nowhere.
        decide(
            &mut st,
            "make old",
            "make *",
            Decision::Allow,
            10,
            NOW - 120 * DAY,
        );
        // Auto-denied.
        decide(
            &mut st,
            "git push --force",
            "git push --force *",
            Decision::Deny,
            10,
            NOW - 15 * DAY,
        );
        // Six approvals: a candidate (needs ten).
        decide(
            &mut st,
            "cargo fmt",
            "cargo fmt",
            Decision::Allow,
            6,
            NOW - 10 * DAY,
        );
        // Ten approvals, then revoked.
        decide(
            &mut st,
            "docker ps",
            "docker ps",
            Decision::Allow,
            10,
            NOW - 12 * DAY,
        );
        st.revoke_key(
            "shell",
            "execute",
            &key_of(Some("docker ps"), "docker ps"),
            NOW - DAY,
            "carol",
            "too broad",
        )
        .unwrap();
        // Checks: project a and b; a session that ran out of budget.
        for i in 0..3 {
            check(
                &mut st,
                NOW - 3 * DAY + i,
                "s-a",
                "/p/a",
                Decision::Allow,
                "learned:project:git status",
            );
        }
        check(
            &mut st,
            NOW - 2 * DAY,
            "s-b",
            "/p/b",
            Decision::Ask,
            "default",
        );
        for i in 0..2 {
            check(
                &mut st,
                NOW - DAY + i,
                "s-budget",
                "/p/a",
                Decision::Ask,
                "budget",
            );
        }
        Ok(())
    })
    .unwrap();
    (t, db)
}

fn keys(l: &aiperture::report::model::Listing<aiperture::report::model::PatternItem>) -> Vec<&str> {
    l.items.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn pattern_sections_follow_the_engine_rules() {
    let (_t, db) = store();
    let opts = ReportOptions {
        key: Some(KEY),
        ..ReportOptions::default()
    };
    let r = report::build(&db, &opts, NOW).unwrap();
    let p = &r.patterns;
    assert_eq!(keys(&p.auto_approved), ["git status", "npm ci"]);
    assert_eq!(keys(&p.auto_denied), ["git push --force *"]);
    assert_eq!(keys(&p.expiring), ["npm ci"]);
    assert_eq!(keys(&p.candidates), ["cargo fmt"]);
    assert_eq!(p.revoked.count, 1);
    let rv = &p.revoked.items[0];
    assert_eq!(
        (rv.key.as_str(), rv.revoked_by.as_str(), rv.decisions),
        ("docker ps", "carol", 10)
    );
    let gs = &p.auto_approved.items[0];
    assert_eq!((gs.n, gs.rate, gs.humans, gs.approvals), (10.0, 1.0, 2, 10));
    assert!((gs.age_days - 11.0).abs() < 1e-9, "{}", gs.age_days);
    assert_eq!(gs.expires_ms, NOW - 11 * DAY + 90 * DAY);
    let denied = &p.auto_denied.items[0];
    assert_eq!((denied.rate, denied.denials), (0.0, 10));

    assert_eq!(r.compliance.budget_exhausted_sessions.count, 1);
    let b = &r.compliance.budget_exhausted_sessions.items[0];
    assert_eq!(
        (b.session.as_str(), b.hits, b.first_ms),
        ("s-budget", 2, NOW - DAY)
    );
    assert_eq!(r.totals.prompts.avoided_by_learning, 3);
    assert!(r.integrity.verified && r.integrity.mac_checked);
    assert_eq!(r.status, Status::Attention);
    assert!(
        r.findings
            .iter()
            .any(|f| f.contains("exhausted their risk budget"))
    );
}

#[test]
fn project_and_since_filter_checks() {
    let (_t, db) = store();
    let base = ReportOptions {
        key: Some(KEY),
        ..ReportOptions::default()
    };
    let all = report::build(&db, &base, NOW).unwrap();
    assert_eq!(all.totals.checks, 6);
    let a = report::build(
        &db,
        &ReportOptions {
            project: Some("/p/a".into()),
            ..base.clone()
        },
        NOW,
    )
    .unwrap();
    assert_eq!(a.totals.checks, 5);
    assert_eq!(a.totals.sessions, 2);
    let b = report::build(
        &db,
        &ReportOptions {
            project: Some("/p/b".into()),
            ..base.clone()
        },
        NOW,
    )
    .unwrap();
    assert_eq!(b.totals.checks, 1);
    assert_eq!(
        b.patterns.auto_approved.count, 0,
        "patterns are per project"
    );
    let recent = report::build(
        &db,
        &ReportOptions {
            since_ms: Some(NOW - 36 * 3_600_000),
            ..base
        },
        NOW,
    )
    .unwrap();
    assert_eq!(recent.totals.checks, 2);
    assert_eq!(recent.timeline.bucket_ms, 3_600_000);
    assert_eq!(recent.patterns.revoked.count, 1, "revoked a day ago");
}

#[test]
fn without_the_key_the_report_is_unverified() {
    let (_t, db) = store();
    let r = report::build(&db, &ReportOptions::default(), NOW).unwrap();
    assert_eq!(r.status, Status::Unverified);
    assert!(!r.integrity.verified);
    assert!(r.findings[0].starts_with("AUDIT CHAIN NOT VERIFIED"));
    let wrong = ReportOptions {
        key: Some([1; 32]),
        ..ReportOptions::default()
    };
    let r = report::build(&db, &wrong, NOW).unwrap();
    assert_eq!(r.status, Status::Unverified);
    assert!(r.integrity.mac_checked);
}
