//! Pipeline and learning tests over the SQLite state in an in-memory database (the same code
//! the product runs, no file system) with hand-crafted assessments and explicit times.

use super::config::EngineConfig;
use super::learning::{self, HumanDecision};
use super::pipeline::{self, Env};
use super::policy::{Policy, RuleSource};
use super::state::{Grant, KeyKind, LearnKey, Source, State};
use crate::request::{Decision, Request, Risk, RiskTier, Verdict};
use crate::risk::{Assessment, SegmentAssessment};
use crate::store::state::SqliteState;
use rusqlite::Connection;

const T0: i64 = 1_772_366_400_000;
const MIN: i64 = 60_000;

fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(include_str!("../store/migrations/0002_engine.sql"))
        .unwrap();
    c
}

fn seg(cmd: &str, tier: RiskTier, pattern: Option<&str>) -> SegmentAssessment {
    SegmentAssessment {
        command: cmd.into(),
        program: cmd.split_whitespace().next().unwrap_or("").into(),
        risk: Risk::of_tier(tier),
        pattern: pattern.map(str::to_string),
        reason: String::new(),
    }
}

fn assess(segs: Vec<SegmentAssessment>) -> Assessment {
    let risk = segs
        .iter()
        .map(|s| s.risk.clone())
        .max_by_key(|r| r.tier)
        .unwrap();
    Assessment {
        risk,
        reason: "test".into(),
        explanation: String::new(),
        segments: segs,
    }
}

fn req(scope: &str) -> Request {
    Request {
        runtime: "claude-code".into(),
        event: "PreToolUse".into(),
        session_id: "s1".into(),
        cwd: "/p".into(),
        project: "/p".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: scope.into(),
        ..Request::default()
    }
}

struct Kit {
    conn: Connection,
    cfg: EngineConfig,
    policy: Policy,
}

impl Kit {
    fn new() -> Kit {
        Kit {
            conn: db(),
            cfg: EngineConfig::default(),
            policy: Policy::default(),
        }
    }

    fn check(&self, now: i64, r: &Request, a: &Assessment) -> Verdict {
        let mut st = SqliteState::new(&self.conn);
        let env = Env {
            cfg: &self.cfg,
            policy: &self.policy,
            home: "/home/u",
        };
        pipeline::check(&mut st, env, now, r, a, true).unwrap().0
    }

    fn decide(
        &self,
        now: i64,
        r: &Request,
        a: &Assessment,
        d: Decision,
        source: Source,
        who: &str,
    ) -> learning::Recorded {
        let mut st = SqliteState::new(&self.conn);
        let session = pipeline::session_key(r);
        learning::record(
            &mut st,
            &self.cfg,
            now,
            &HumanDecision {
                session: &session,
                runtime: &r.runtime,
                project: &r.project,
                tool: &r.tool,
                action: &r.action,
                scope: &r.scope,
                content_hash: r.content_hash.as_deref(),
                decision: d,
                source,
                who,
                host: "",
                pending_id: None,
            },
            a,
        )
        .unwrap()
    }

    /// `n` decisions a minute apart (never rubber stamps), each in its own session.
    fn decide_n(&self, start: i64, n: i64, r: &Request, a: &Assessment, d: Decision) -> i64 {
        for i in 0..n {
            let mut r = r.clone();
            r.session_id = format!("h{i}");
            self.decide(start + i * 2 * MIN, &r, a, d, Source::Terminal, "alice");
        }
        start + n * 2 * MIN
    }
}

fn npm_test() -> Assessment {
    assess(vec![seg("npm test", RiskTier::Medium, Some("npm test *"))])
}

#[test]
fn ten_approvals_make_a_learned_allow_nine_do_not() {
    let k = Kit::new();
    let t = k.decide_n(T0, 9, &req("npm test"), &npm_test(), Decision::Allow);
    let v = k.check(t, &req("npm test"), &npm_test());
    assert_eq!(v.decision, Decision::Ask);
    assert_eq!(v.decided_by, "default");
    k.decide(
        t + MIN,
        &req("npm test"),
        &npm_test(),
        Decision::Allow,
        Source::Terminal,
        "alice",
    );
    let v = k.check(
        t + 2 * MIN,
        &{
            let mut r = req("npm test -- --watch");
            r.session_id = "new".into();
            r
        },
        &npm_test(),
    );
    assert_eq!(v.decision, Decision::Allow);
    assert_eq!(v.decided_by, "learned:project:npm test *");
    assert_eq!(
        v.segments[0].decided_by.as_deref(),
        Some("learned:project:npm test *")
    );
}

#[test]
fn a_learned_segment_never_carries_another_segment() {
    let k = Kit::new();
    let gs = assess(vec![seg("git status", RiskTier::Low, Some("git status *"))]);
    let t = k.decide_n(T0, 10, &req("git status"), &gs, Decision::Allow);
    assert_eq!(
        k.check(t, &req("git status"), &gs).decision,
        Decision::Allow
    );
    // Even with a classifier that rated every part MEDIUM, an unlearned segment stops it.
    let compound = assess(vec![
        seg("git status", RiskTier::Low, Some("git status *")),
        seg("curl x", RiskTier::Medium, Some("curl *")),
    ]);
    let v = k.check(t, &req("git status; curl x"), &compound);
    assert_eq!(v.decision, Decision::Ask);
    assert_eq!(v.segments[0].decision, Some(Decision::Allow));
    assert_eq!(v.segments[1].decision, None);
    let with_sub = assess(vec![
        seg("git status", RiskTier::Low, Some("git status *")),
        seg("rm -rf ~", RiskTier::Critical, None),
    ]);
    let v = k.check(t, &req("git status $(rm -rf ~)"), &with_sub);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Deny, "risk_floor")
    );
}

#[test]
fn high_is_never_auto_allowed_but_is_auto_denied() {
    let mut k = Kit::new();
    let high = assess(vec![seg(
        "git push --force",
        RiskTier::High,
        Some("git push *"),
    )]);
    let r = req("git push --force");
    let t = k.decide_n(T0, 12, &r, &high, Decision::Allow);
    // Learning, session memory, grants and allow rules all refuse to allow it.
    k.decide(t, &r, &high, Decision::Allow, Source::Terminal, "alice");
    {
        let mut st = SqliteState::new(&k.conn);
        st.insert_grant(&Grant {
            id: "g1".into(),
            created_ms: t,
            expires_ms: t + 60 * MIN,
            project: "/p".into(),
            session: String::new(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: "*".into(),
            decision: Decision::Allow,
            granted_by: "alice".into(),
            reason: String::new(),
        })
        .unwrap();
    }
    k.policy.add(
        "[[rule]]\ntool = \"shell\"\ndecision = \"allow\"\n",
        "u.toml",
        RuleSource::User,
        None,
        "/h",
    );
    let v = k.check(t + MIN, &r, &high);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Ask, "risk_floor")
    );

    let k = Kit::new();
    let t = k.decide_n(T0, 12, &r, &high, Decision::Deny);
    let v = k.check(t, &r, &high);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Deny, "learned:project:git push *")
    );
}

#[test]
fn critical_is_denied_whatever_was_learned() {
    let k = Kit::new();
    let crit = assess(vec![seg("rm -rf /", RiskTier::Critical, None)]);
    let t = k.decide_n(T0, 12, &req("rm -rf /"), &crit, Decision::Allow);
    let v = k.check(t, &req("rm -rf /"), &crit);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Deny, "risk_floor")
    );
}

#[test]
fn the_201st_check_in_a_minute_is_denied() {
    let k = Kit::new();
    let a = npm_test();
    for i in 0..200 {
        let v = k.check(T0 + i * 100, &req("npm test"), &a);
        assert_ne!(v.decided_by, "rate_limit", "check {i}");
    }
    let v = k.check(T0 + 20_000, &req("npm test"), &a);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Deny, "rate_limit")
    );
    // Another session is not affected; the window slides.
    let mut other = req("npm test");
    other.session_id = "s2".into();
    assert_ne!(k.check(T0 + 20_000, &other, &a).decided_by, "rate_limit");
    assert_ne!(
        k.check(T0 + 20_000 + 2 * MIN, &req("npm test"), &a)
            .decided_by,
        "rate_limit"
    );
}

#[test]
fn an_exhausted_budget_turns_allows_into_asks_and_idles_back() {
    let mut k = Kit::new();
    k.cfg.session_risk_budget = 1.0;
    let a = npm_test();
    let t = k.decide_n(T0, 10, &req("npm test"), &a, Decision::Allow);
    for i in 0..3 {
        assert_eq!(
            k.check(t + i, &req("npm test"), &a).decision,
            Decision::Allow
        );
    }
    let v = k.check(t + 3, &req("npm test"), &a);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Ask, "budget")
    );
    let v = k.check(t + 61 * MIN, &req("npm test"), &a);
    assert_eq!(v.decision, Decision::Allow);
}

#[test]
fn rubber_stamped_approvals_do_not_count() {
    let k = Kit::new();
    let a = npm_test();
    let mut rapid = 0;
    for i in 0..12 {
        if k.decide(
            T0 + i * 1000,
            &req("npm test"),
            &a,
            Decision::Allow,
            Source::Runtime,
            "alice",
        )
        .rapid
        {
            rapid += 1;
        }
    }
    assert_eq!(
        rapid, 8,
        "the 5th and later approvals inside the window are flagged"
    );
    let mut r = req("npm test");
    r.session_id = "other".into();
    let v = k.check(T0 + 20_000, &r, &a);
    assert_eq!(v.decision, Decision::Ask);
}

#[test]
fn revocation_stops_learning_and_session_memory_at_once() {
    let k = Kit::new();
    let a = npm_test();
    let t = k.decide_n(T0, 10, &req("npm test"), &a, Decision::Allow);
    // Session s1 approved it itself, too (session memory).
    k.decide(
        t,
        &req("npm test"),
        &a,
        Decision::Allow,
        Source::Terminal,
        "alice",
    );
    assert_eq!(
        k.check(t + 1, &req("npm test"), &a).decided_by,
        "session_memory"
    );
    {
        let mut st = SqliteState::new(&k.conn);
        let key = LearnKey {
            kind: KeyKind::Pattern,
            key: "npm test *".into(),
        };
        assert_eq!(
            learning::revoke_key(&mut st, t + 2, "shell", "execute", &key, "alice", "").unwrap(),
            11
        );
    }
    for s in ["s1", "s9"] {
        let mut r = req("npm test");
        r.session_id = s.into();
        let v = k.check(t + 3, &r, &a);
        assert_eq!(v.decision, Decision::Ask, "session {s}: {v:?}");
    }
    // Learning starts over.
    let t2 = k.decide_n(t + MIN, 10, &req("npm test"), &a, Decision::Allow);
    let mut r = req("npm test");
    r.session_id = "s9".into();
    assert_eq!(k.check(t2, &r, &a).decision, Decision::Allow);
}

#[test]
fn revoking_an_exact_scope_revokes_its_pattern() {
    let k = Kit::new();
    let a = assess(vec![seg(
        "git log --oneline",
        RiskTier::Low,
        Some("git log *"),
    )]);
    let t = k.decide_n(T0, 10, &req("git log --oneline"), &a, Decision::Allow);
    let other = assess(vec![seg("git log -3", RiskTier::Low, Some("git log *"))]);
    assert_eq!(
        k.check(t, &req("git log -3"), &other).decision,
        Decision::Allow
    );
    let mut st = SqliteState::new(&k.conn);
    let out = learning::revoke_scope(
        &mut st,
        t + 1,
        "shell",
        "execute",
        "git log --oneline",
        &a,
        "alice",
        "",
    )
    .unwrap();
    assert!(out.keys.iter().any(|k| k.key == "git log *"));
    assert_eq!(
        k.check(t + 2, &req("git log -3"), &other).decision,
        Decision::Ask
    );
}

#[test]
fn patterns_expire_after_the_max_age() {
    let k = Kit::new();
    let a = npm_test();
    let t = k.decide_n(T0, 10, &req("npm test"), &a, Decision::Allow);
    let mut r = req("npm test");
    r.session_id = "x".into();
    assert_eq!(
        k.check(t + 89 * 24 * 60 * MIN, &r, &a).decision,
        Decision::Allow
    );
    r.session_id = "y".into();
    assert_eq!(
        k.check(t + 91 * 24 * 60 * MIN, &r, &a).decision,
        Decision::Ask
    );
}

#[test]
fn inferred_denials_are_weaker() {
    let k = Kit::new();
    let a = npm_test();
    for i in 0..10 {
        k.decide(
            T0 + i * MIN,
            &req("npm test"),
            &a,
            Decision::Deny,
            Source::Inferred,
            "runtime",
        );
    }
    let mut r = req("npm test");
    r.session_id = "z".into();
    assert_eq!(k.check(T0 + 20 * MIN, &r, &a).decision, Decision::Ask);
    for i in 10..20 {
        k.decide(
            T0 + i * MIN,
            &req("npm test"),
            &a,
            Decision::Deny,
            Source::Inferred,
            "runtime",
        );
    }
    assert_eq!(k.check(T0 + 30 * MIN, &r, &a).decision, Decision::Deny);
}

#[test]
fn denials_of_compound_commands_do_not_blame_innocent_segments() {
    let k = Kit::new();
    let a = assess(vec![
        seg("cd x", RiskTier::Low, Some("cd *")),
        seg("make deploy", RiskTier::Medium, Some("make deploy *")),
    ]);
    k.decide_n(T0, 12, &req("cd x && make deploy"), &a, Decision::Deny);
    let mut st = SqliteState::new(&k.conn);
    let cd = st
        .pattern(
            "/p",
            "shell",
            "execute",
            &LearnKey {
                kind: KeyKind::Pattern,
                key: "cd *".into(),
            },
        )
        .unwrap();
    assert!(cd.is_none(), "cd x was not blamed: {cd:?}");
    let md = st
        .pattern(
            "/p",
            "shell",
            "execute",
            &LearnKey {
                kind: KeyKind::Pattern,
                key: "make deploy *".into(),
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(md.human_deny, 12);
}

#[test]
fn one_decision_counts_once_per_key() {
    let k = Kit::new();
    let a = assess(vec![
        seg("ls", RiskTier::Low, Some("ls *")),
        seg("ls -la", RiskTier::Low, Some("ls *")),
    ]);
    k.decide(
        T0,
        &req("ls; ls -la"),
        &a,
        Decision::Allow,
        Source::Terminal,
        "alice",
    );
    let mut st = SqliteState::new(&k.conn);
    let s = st
        .pattern(
            "/p",
            "shell",
            "execute",
            &LearnKey {
                kind: KeyKind::Pattern,
                key: "ls *".into(),
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!((s.human_allow, s.humans), (1, 1));
}

#[test]
fn project_patterns_come_before_global_ones() {
    let k = Kit::new();
    let a = npm_test();
    let mut g = req("npm test");
    g.project = "global".into();
    let t = k.decide_n(T0, 10, &g, &a, Decision::Allow);
    let mut r = req("npm test");
    r.session_id = "q".into();
    assert_eq!(k.check(t, &r, &a).decided_by, "learned:global:npm test *");
    let t = k.decide_n(t, 10, &req("npm test"), &a, Decision::Deny);
    assert_eq!(k.check(t, &r, &a).decided_by, "learned:project:npm test *");
}

#[test]
fn project_allow_rules_only_cover_low_risk_unless_trusted() {
    let mut k = Kit::new();
    let rule = "[[rule]]\ntool = \"shell\"\nscope = \"make *\"\ndecision = \"allow\"\n";
    k.policy
        .add(rule, "proj.toml", RuleSource::Project, Some("/p"), "/h");
    let medium = assess(vec![seg(
        "make build",
        RiskTier::Medium,
        Some("make build *"),
    )]);
    let low = assess(vec![seg("make build", RiskTier::Low, Some("make build *"))]);
    assert_eq!(
        k.check(T0, &req("make build"), &medium).decision,
        Decision::Ask
    );
    assert_eq!(
        k.check(T0, &req("make build"), &low).decided_by,
        "rule:project:1"
    );
    k.policy.trust_project_allow = true;
    assert_eq!(
        k.check(T0, &req("make build"), &medium).decided_by,
        "rule:project:1"
    );
    // Deny and ask rules apply whatever was learned; a broken file fails closed.
    k.policy.add(
        "[[rule]]\nscope = \"make *\"\ndecision = \"deny\"\n",
        "proj2.toml",
        RuleSource::Project,
        Some("/p"),
        "/h",
    );
    assert_eq!(
        k.check(T0, &req("make build"), &low).decided_by,
        "rule:project:1"
    );
    assert_eq!(
        k.check(T0, &req("make build"), &low).decision,
        Decision::Deny
    );
    k.policy
        .add("[[rule]\n", "bad.toml", RuleSource::User, None, "/h");
    let v = k.check(T0, &req("make build"), &low);
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Ask, "policy_error")
    );
}

#[test]
fn grants_expire() {
    let k = Kit::new();
    {
        let mut st = SqliteState::new(&k.conn);
        st.insert_grant(&Grant {
            id: "g1".into(),
            created_ms: T0,
            expires_ms: T0 + 10 * MIN,
            project: "/p".into(),
            session: String::new(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: "npm *".into(),
            decision: Decision::Allow,
            granted_by: "alice".into(),
            reason: String::new(),
        })
        .unwrap();
    }
    assert_eq!(
        k.check(T0 + MIN, &req("npm test"), &npm_test()).decided_by,
        "grant:g1"
    );
    assert_eq!(
        k.check(T0 + 11 * MIN, &req("npm test"), &npm_test())
            .decided_by,
        "default"
    );
}

#[test]
fn session_memory_is_exact_including_content() {
    let k = Kit::new();
    let a = assess(vec![seg("/p/a.py", RiskTier::Medium, Some("/p/*.py"))]);
    let mut w = req("/p/a.py");
    w.tool = "filesystem".into();
    w.action = "write".into();
    w.content_hash = Some("aa".into());
    k.decide(T0, &w, &a, Decision::Allow, Source::Terminal, "alice");
    assert_eq!(k.check(T0 + 1, &w, &a).decided_by, "session_memory");
    w.content_hash = Some("bb".into());
    assert_eq!(k.check(T0 + 2, &w, &a).decided_by, "default");
}

#[test]
fn dry_runs_write_nothing() {
    let k = Kit::new();
    let mut st = SqliteState::new(&k.conn);
    let env = Env {
        cfg: &k.cfg,
        policy: &k.policy,
        home: "/home/u",
    };
    pipeline::check(&mut st, env, T0, &req("npm test"), &npm_test(), false).unwrap();
    let n: i64 = k
        .conn
        .query_row("SELECT count(*) FROM checks", [], |r| r.get(0))
        .unwrap();
    let p: i64 = k
        .conn
        .query_row("SELECT count(*) FROM pending_asks", [], |r| r.get(0))
        .unwrap();
    assert_eq!((n, p, st.audited), (0, 0, 0));
}

mod compound;
mod travel;

#[test]
fn low_risk_reads_inside_a_real_project_are_the_baseline() {
    let k = Kit::new();
    let read = |path: &str, project: &str, tier: RiskTier| {
        let r = Request {
            tool: "filesystem".into(),
            action: "read".into(),
            scope: path.into(),
            cwd: project.into(),
            project: project.into(),
            ..req("")
        };
        k.check(T0, &r, &assess(vec![seg(path, tier, None)]))
    };
    let v = read("/p/src/main.rs", "/p", RiskTier::Low);
    assert_eq!(v.decision, Decision::Allow);
    assert_eq!(v.decided_by, "baseline:project-read");
    // Relative paths resolve against the cwd, and `..` cannot climb out.
    assert_eq!(
        read("src/lib.rs", "/p", RiskTier::Low).decision,
        Decision::Allow
    );
    assert_eq!(
        read("/p/../etc/hosts", "/p", RiskTier::Low).decision,
        Decision::Ask
    );
    // Outside the project, or a higher tier (secrets are HIGH): asked.
    assert_eq!(read("/q/x.rs", "/p", RiskTier::Low).decision, Decision::Ask);
    assert_eq!(
        read("/p/.env", "/p", RiskTier::High).decision,
        Decision::Ask
    );
    assert_eq!(
        read("/p/notes.md", "/p", RiskTier::Medium).decision,
        Decision::Ask
    );
    // A "project" that is the home directory or above it is no project.
    assert_eq!(
        read("/home/u/x.txt", "/home/u", RiskTier::Low).decision,
        Decision::Ask
    );
    assert_eq!(
        read("/home/u/x.txt", "/home", RiskTier::Low).decision,
        Decision::Ask
    );
    assert_eq!(
        read("/etc/hosts", "/", RiskTier::Low).decision,
        Decision::Ask
    );
    // Writes are never covered.
    let w = Request {
        tool: "filesystem".into(),
        action: "write".into(),
        scope: "/p/src/main.rs".into(),
        ..req("")
    };
    let v = k.check(
        T0,
        &w,
        &assess(vec![seg("/p/src/main.rs", RiskTier::Low, None)]),
    );
    assert_eq!(v.decision, Decision::Ask);
}

#[test]
fn the_read_baseline_can_be_turned_off() {
    let mut k = Kit::new();
    k.cfg.allow_project_reads = false;
    let r = Request {
        tool: "filesystem".into(),
        action: "read".into(),
        scope: "/p/src/main.rs".into(),
        ..req("")
    };
    let v = k.check(
        T0,
        &r,
        &assess(vec![seg("/p/src/main.rs", RiskTier::Low, None)]),
    );
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Ask, "default")
    );
}

#[test]
fn the_pipeline_reads_what_runs_unasked_never_the_mode_string() {
    use crate::request::Unasked;
    let k = Kit::new();
    let pending = |session: &str| {
        SqliteState::new(&k.conn)
            .pending_in_session(session)
            .unwrap()
            .len()
    };
    let file = |session: &str| Request {
        session_id: session.into(),
        tool: "filesystem".into(),
        action: "write".into(),
        scope: "/p/x.txt".into(),
        ..req("")
    };
    let medium = || assess(vec![seg("/p/x.txt", RiskTier::Medium, None)]);
    // A mode string the adapter did not map decides nothing.
    let mut raw = file("raw");
    raw.permission_mode = Some("auto".into());
    let v = k.check(T0, &raw, &medium());
    assert_eq!(v.decided_by, "default");
    assert_eq!(pending("raw"), 1);
    // A classifier reviews: the unlearned ask is left to it, and no ask is kept.
    let mut c = file("classifier");
    c.unasked = Unasked::Classifier;
    let v = k.check(T0, &c, &medium());
    assert_eq!(v.decided_by, super::modes::DEFERRED_BY);
    assert_eq!(pending("classifier"), 0);
    // Edits run unasked: an ask about a file keeps no pending ask; a command's does.
    let mut e = file("edits");
    e.unasked = Unasked::Edits;
    assert_eq!(k.check(T0, &e, &medium()).decision, Decision::Ask);
    assert_eq!(pending("edits"), 0);
    let mut cmd = req("npm test");
    cmd.session_id = "edits-cmd".into();
    cmd.unasked = Unasked::Edits;
    assert_eq!(k.check(T0, &cmd, &npm_test()).decision, Decision::Ask);
    assert_eq!(pending("edits-cmd"), 1);
    // Everything runs unasked: no ask is kept for anything.
    cmd.session_id = "everything".into();
    cmd.unasked = Unasked::Everything;
    assert_eq!(k.check(T0, &cmd, &npm_test()).decision, Decision::Ask);
    assert_eq!(pending("everything"), 0);
}

#[test]
fn a_quorum_of_two_needs_two_humans_not_more_approvals_from_one() {
    let mut k = Kit::new();
    k.cfg.min_humans = 2;
    let r = req("npm test");
    let t = k.decide_n(T0, 25, &r, &npm_test(), Decision::Allow);
    let v = k.check(t, &r, &npm_test());
    assert_eq!(v.decision, Decision::Ask, "{v:?}");
    k.decide(
        t + MIN,
        &r,
        &npm_test(),
        Decision::Allow,
        Source::Terminal,
        "bob",
    );
    let mut fresh = r.clone();
    fresh.session_id = "new".into();
    let v = k.check(t + 2 * MIN, &fresh, &npm_test());
    assert_eq!(v.decision, Decision::Allow, "{v:?}");
    assert!(v.decided_by.starts_with("learned:"), "{}", v.decided_by);
}

#[test]
fn a_solo_user_learns_as_before_and_denials_need_no_quorum() {
    let k = Kit::new();
    let t = k.decide_n(T0, 10, &req("npm test"), &npm_test(), Decision::Allow);
    assert_eq!(
        k.check(t, &req("npm test"), &npm_test()).decision,
        Decision::Allow
    );

    let mut k = Kit::new();
    k.cfg.min_humans = 3;
    let t = k.decide_n(T0, 10, &req("npm test"), &npm_test(), Decision::Deny);
    let v = k.check(t, &req("npm test"), &npm_test());
    assert_eq!(v.decision, Decision::Deny, "{v:?}");
}
