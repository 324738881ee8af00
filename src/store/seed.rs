//! Synthetic stores for benchmarks: fills a store with logged checks and human decisions
//! through the same library calls the product uses ([`State::insert_check`] and
//! [`State::audit`] for checks, [`learning::record`] for decisions), in large transactions,
//! so that a store of 1,000,000 checks and 100,000 decisions takes well under a minute.
//!
//! The data is deterministic (no randomness): checks are spread evenly over the last
//! `span_days` before `end_ms`, grouped into sessions, across a few projects, over a
//! vocabulary of everyday shell commands and file paths. Every `checks / decisions`-th check
//! is also answered by a human (90 % approvals). This is what `bench/run` measures hook
//! latency against; it is not meant for anything else.

use super::Db;
use super::state::SqliteState;
use crate::engine::config::EngineConfig;
use crate::engine::learning::{self, HumanDecision};
use crate::engine::state::{AuditNote, CheckRow, Source, State};
use crate::request::{Decision, RiskTier};
use crate::risk::{self, Assessment, Context};
use std::collections::HashMap;

/// A request a human approved often enough that the engine allows it by learning.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// Project root the approvals belong to.
    pub project: String,
    /// Tool (`shell`, `filesystem`, …).
    pub tool: String,
    /// Action (`execute`, `read`, …).
    pub action: String,
    /// Exact scope approved.
    pub scope: String,
    /// How many approvals to record (each from its own session, ten minutes apart).
    pub approvals: u32,
}

/// The shape of a synthetic store.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSpec {
    /// Checks to log.
    pub checks: u64,
    /// Human decisions to record among them (at most `checks`).
    pub decisions: u64,
    /// Project roots the checks are spread over (round robin); at least one.
    pub projects: Vec<String>,
    /// Checks per session.
    pub checks_per_session: u64,
    /// The newest check's time (ms since the epoch).
    pub end_ms: i64,
    /// Days the checks are spread over before `end_ms`.
    pub span_days: u32,
    /// Checks per write transaction.
    pub batch: u64,
    /// Requests to make learned (recorded after the bulk, just before `end_ms`).
    pub learned: Vec<Learned>,
}

impl Default for SeedSpec {
    fn default() -> Self {
        SeedSpec {
            checks: 0,
            decisions: 0,
            projects: vec!["/srv/seed/app".to_string()],
            checks_per_session: 200,
            end_ms: 0,
            span_days: 30,
            batch: 50_000,
            learned: Vec::new(),
        }
    }
}

/// What [`seed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seeded {
    /// Checks logged.
    pub checks: u64,
    /// Human decisions recorded (bulk and learned).
    pub decisions: u64,
    /// Audit events appended.
    pub audit_events: u64,
}

/// Shell commands of an ordinary working day; `{n}` varies per check (several of them derive
/// a distinct learning pattern per `n`, so a large store holds many patterns, as real ones do).
const SHELL: &[&str] = &[
    "git status",
    "git diff",
    "git log --oneline -{n}",
    "git add src/mod{n}/lib.rs",
    "git commit -m 'change {n}'",
    "cargo test",
    "cargo build --release",
    "cargo clippy --all-targets",
    "ls -la src/mod{n}",
    "cat README.md",
    "npm run build",
    "npm test -- --grep case{n}",
    "pytest tests/test_{n}.py",
    "grep -rn TODO src",
    "make target{n}",
    "python3 tools/gen{n}.py",
    "./scripts/task{n}.sh --fast",
    "docker ps",
    "curl -s https://example.com/api/{n}",
    "rm -rf target/tmp{n}",
];

/// File paths relative to a project root; `{n}` varies per check.
const PATHS: &[&str] = &[
    "src/main.rs",
    "src/lib.rs",
    "src/mod{n}/lib.rs",
    "tests/case_{n}.rs",
    "README.md",
    "Cargo.toml",
    "docs/guide{n}/index.md",
];

/// A well-mixed 64-bit value of `i` (SplitMix64's finalizer): the request of check `i`.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One synthetic request: (tool, action, scope, content hash).
fn synthetic(i: u64, project: &str) -> (&'static str, &'static str, String, Option<String>) {
    let h = mix(i);
    let n = ((h >> 24) % 400).to_string();
    let pick = |list: &[&'static str]| list[((h >> 8) % list.len() as u64) as usize];
    match h % 10 {
        0..=5 => ("shell", "execute", pick(SHELL).replace("{n}", &n), None),
        6..=8 => {
            let p = pick(PATHS).replace("{n}", &n);
            ("filesystem", "read", format!("{project}/{p}"), None)
        }
        _ => {
            let p = pick(PATHS).replace("{n}", &n);
            let hash = format!("{:016x}{:016x}", h, mix(h));
            ("filesystem", "write", format!("{project}/{p}"), Some(hash))
        }
    }
}

/// Assessments are pure and the vocabulary is small: rate each distinct request once.
struct Rater {
    home: String,
    cache: HashMap<(String, String, String), Assessment>,
}

impl Rater {
    fn rate(&mut self, project: &str, tool: &str, action: &str, scope: &str) -> &Assessment {
        let k = (project.to_string(), tool.to_string(), scope.to_string());
        let home = &self.home;
        self.cache.entry(k).or_insert_with(|| {
            let ctx = Context {
                cwd: project.to_string(),
                project: project.to_string(),
                home: home.clone(),
                protected_paths: Vec::new(),
                resolver: None,
            };
            risk::assess(tool, action, scope, &ctx)
        })
    }
}

/// Fills `db` as `spec` says; `progress` is called after each committed batch with the
/// checks written so far. The connection is switched to `synchronous=OFF` and a large page
/// cache while seeding (a synthetic store needs no durability until it is complete), then
/// restored, and the WAL is checkpointed and truncated at the end.
pub fn seed(
    db: &Db,
    key: &[u8; 32],
    spec: &SeedSpec,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Seeded> {
    if spec.projects.is_empty() {
        anyhow::bail!("a seed needs at least one project");
    }
    let cfg = EngineConfig::default();
    let mut rater = Rater {
        home: dirs::home_dir()
            .map(|h| h.display().to_string())
            .unwrap_or_default(),
        cache: HashMap::new(),
    };
    let checks = spec.checks;
    let decisions = spec.decisions.min(checks);
    let every = checks.checked_div(decisions).unwrap_or(0);
    let span_ms = i64::from(spec.span_days) * 86_400_000;
    // Leave room after the bulk for the learned approvals, ten minutes apart.
    let learned_ms: i64 = spec
        .learned
        .iter()
        .map(|l| i64::from(l.approvals) * 600_000)
        .sum();
    let start_ms = spec.end_ms - span_ms - learned_ms;
    let step = if checks > 0 {
        span_ms as f64 / checks as f64
    } else {
        0.0
    };
    let per_session = spec.checks_per_session.max(1);
    let batch = spec.batch.max(1);
    let mut out = Seeded::default();

    db.conn()
        .execute_batch("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;")?;
    let mut i = 0u64;
    while i < checks {
        let end = (i + batch).min(checks);
        let (c, d, a) = db.write(|tx| {
            let mut st = SqliteState::with_audit(tx, key);
            let mut made = 0u64;
            for j in i..end {
                let ts = start_ms + (j as f64 * step) as i64;
                let project = &spec.projects[(j / per_session) as usize % spec.projects.len()];
                let session = format!("seed-{}", j / per_session);
                let (tool, action, scope, hash) = synthetic(j, project);
                let a = rater.rate(project, tool, action, &scope).clone();
                let human = every > 0 && j % every == every - 1;
                let (decision, by) = if human {
                    (Decision::Ask, "default".to_string())
                } else if a.risk.tier >= RiskTier::High {
                    (Decision::Ask, "risk_floor".to_string())
                } else {
                    (Decision::Allow, format!("learned:project:{scope}"))
                };
                let use_id = format!("toolu_seed_{j}");
                st.insert_check(&CheckRow {
                    ts_ms: ts,
                    session: &session,
                    runtime: "claude-code",
                    event: "PreToolUse",
                    tool_use_id: Some(&use_id),
                    project,
                    tool,
                    action,
                    scope: &scope,
                    content_hash: hash.as_deref(),
                    decision,
                    decided_by: &by,
                    risk_tier: a.risk.tier,
                    risk_score: a.risk.score,
                })?;
                st.audit(
                    &check_note(&session, project, tool, action, &scope, decision, &by),
                    ts,
                )?;
                if human {
                    let verdict = if j % (every * 10) == every * 10 - 1 {
                        Decision::Deny
                    } else {
                        Decision::Allow
                    };
                    learning::record(
                        &mut st,
                        &cfg,
                        ts,
                        &HumanDecision {
                            session: &session,
                            runtime: "claude-code",
                            project,
                            tool,
                            action,
                            scope: &scope,
                            content_hash: hash.as_deref(),
                            decision: verdict,
                            source: Source::Runtime,
                            who: "claude-code-prompt",
                            host: "",
                            pending_id: None,
                        },
                        &a,
                    )?;
                    made += 1;
                }
            }
            Ok((end - i, made, st.audited))
        })?;
        out.checks += c;
        out.decisions += d;
        out.audit_events += u64::from(a);
        i = end;
        progress(i);
    }

    let mut ts = spec.end_ms - learned_ms;
    for (k, l) in spec.learned.iter().enumerate() {
        let a = rater.rate(&l.project, &l.tool, &l.action, &l.scope).clone();
        let n = db.write(|tx| {
            let mut st = SqliteState::with_audit(tx, key);
            for m in 0..l.approvals {
                let session = format!("seed-learn-{k}-{m}");
                let who = if m % 2 == 0 { "alice" } else { "bob" };
                learning::record(
                    &mut st,
                    &cfg,
                    ts,
                    &HumanDecision {
                        session: &session,
                        runtime: "claude-code",
                        project: &l.project,
                        tool: &l.tool,
                        action: &l.action,
                        scope: &l.scope,
                        content_hash: None,
                        decision: Decision::Allow,
                        source: Source::Terminal,
                        who,
                        host: "",
                        pending_id: None,
                    },
                    &a,
                )?;
                ts += 600_000;
            }
            Ok(st.audited)
        })?;
        out.decisions += u64::from(l.approvals);
        out.audit_events += u64::from(n);
    }
    db.conn().execute_batch(
        "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-2000; PRAGMA wal_checkpoint(TRUNCATE);",
    )?;
    Ok(out)
}

/// The audit note of a logged check, shaped like the pipeline's.
fn check_note(
    session: &str,
    project: &str,
    tool: &str,
    action: &str,
    scope: &str,
    decision: Decision,
    by: &str,
) -> AuditNote {
    AuditNote {
        event_type: "permission.check".into(),
        actor_type: "hook".into(),
        actor_id: "claude-code".into(),
        principal: String::new(),
        host: String::new(),
        runtime: "claude-code".into(),
        session: session.to_string(),
        project: project.to_string(),
        entity: format!("{tool}/{action}/{scope}"),
        summary: format!(
            "{} {tool}/{action} ({by})",
            decision.as_str().to_uppercase()
        ),
        details: serde_json::json!({
            "session": session, "project": project, "tool": tool, "action": action,
            "scope": scope, "decision": decision.as_str(), "decided_by": by,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(checks: u64, decisions: u64) -> SeedSpec {
        SeedSpec {
            checks,
            decisions,
            projects: vec!["/srv/a".into(), "/srv/b".into()],
            checks_per_session: 50,
            end_ms: 1_780_000_000_000,
            batch: 300,
            learned: vec![Learned {
                project: "/srv/a".into(),
                tool: "shell".into(),
                action: "execute".into(),
                scope: "git status".into(),
                approvals: 12,
            }],
            ..SeedSpec::default()
        }
    }

    fn count(db: &Db, table: &str) -> i64 {
        db.conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn writes_what_it_says_and_the_chain_verifies() {
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("s.db")).unwrap();
        let key = [7u8; 32];
        let mut calls = Vec::new();
        let s = seed(&db, &key, &spec(1000, 100), |n| calls.push(n)).unwrap();
        assert_eq!(s.checks, 1000);
        assert_eq!(s.decisions, 112);
        assert_eq!(calls, vec![300, 600, 900, 1000]);
        assert_eq!(count(&db, "checks"), 1000);
        assert_eq!(count(&db, "decisions"), 112);
        assert_eq!(count(&db, "audit_events") as u64, s.audit_events);
        assert_eq!(s.audit_events, 1000 + 112);
        // Decisions fall on shell commands, reads and writes alike, over many patterns.
        let kinds: i64 = db
            .conn()
            .query_row(
                "SELECT count(DISTINCT tool || action) FROM decisions",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kinds, 3);
        assert!(count(&db, "patterns") > 40, "{}", count(&db, "patterns"));
        let r = crate::store::audit_sql::verify(&db, Some(&key)).unwrap();
        assert!(r.intact, "{r:?}");
    }

    #[test]
    fn the_learned_request_is_allowed_by_learning() {
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("s.db")).unwrap();
        let sp = spec(0, 0);
        seed(&db, &[1u8; 32], &sp, |_| {}).unwrap();
        let a = risk::assess("shell", "execute", "git status", &Context::default());
        let seg = &a.segments[0];
        let k = learning::key_of(seg.pattern.as_deref(), &seg.command);
        let mut st = SqliteState::new(db.conn());
        let got = learning::lookup(
            &mut st,
            &EngineConfig::default(),
            sp.end_ms,
            "/srv/a",
            "shell",
            "execute",
            &k,
        )
        .unwrap();
        assert_eq!(got.map(|g| g.0), Some(Decision::Allow));
    }

    #[test]
    fn no_project_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("s.db")).unwrap();
        let sp = SeedSpec {
            projects: vec![],
            ..SeedSpec::default()
        };
        assert!(seed(&db, &[1u8; 32], &sp, |_| {}).is_err());
    }
}
