//! Concurrency: 16 processes × 200 `aiperture hook claude-code` calls on one store, the way a
//! runtime fires hooks for parallel tool calls. Every call must be answered in a valid form, no
//! lock error may become an allow (or even a fail-closed ask: all 3,200 must be recorded),
//! the audit chain must hold exactly 3,200 check events and verify, and the rate window, the
//! risk budget and the learning counts must be exact under that load.
//!
//! Time is pinned with `AIPERTURE_NOW_MS` (debug builds) so every call falls in one rate
//! window and one budget period, which makes the expected figures exact.

#[path = "reliability_support/mod.rs"]
mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use support::*;

const PROCS: usize = 16;
const CALLS: usize = 200;
const RATE_LIMIT: usize = 500;
const BUDGET: f64 = 30.0;

/// The policy file: `npm test` is allowed by an explicit rule (so the budget has allows to
/// charge on a store that starts empty).
const POLICY: &str = r#"
[[rule]]
tool = "shell"
action = "execute"
scope = "npm test"
decision = "allow"
"#;

/// What each call is, by its index: four kinds, 800 calls each.
fn call(p: usize, i: usize) -> (String, String) {
    match i % 4 {
        // One session shared by every process: the rate window.
        0 => ("rate-shared".into(), "ls -la".into()),
        // One session shared by every process: the risk budget (allowed by policy).
        1 => ("budget-shared".into(), "npm test".into()),
        // Per-process sessions: asks that leave pending rows.
        2 => (format!("proc-{p}"), "git status".into()),
        _ => (format!("proc-{p}"), format!("echo {p}-{i}")),
    }
}

fn install() -> Install {
    let i = Install::new()
        .with_env("AIPERTURE_NOW_MS", &T0.to_string())
        .with_env("AIPERTURE_RATE_LIMIT_PER_MINUTE", &RATE_LIMIT.to_string())
        .with_env("AIPERTURE_SESSION_RISK_BUDGET", &BUDGET.to_string());
    std::fs::write(i.home.join("policy.toml"), POLICY).unwrap();
    i
}

/// One answer as the test saw it.
struct Seen {
    session: String,
    command: String,
    decision: String,
    reason: String,
}

/// 16 threads, each running 200 hook processes one after another (16 concurrent processes).
fn hammer(i: &Install) -> Vec<Seen> {
    let start = std::time::Instant::now();
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..PROCS)
            .map(|p| {
                s.spawn(move || {
                    (0..CALLS)
                        .map(|n| {
                            let (session, command) = call(p, n);
                            let id = format!("toolu_{p}_{n}");
                            let out = i.hook("claude-code", &claude_bash(&command, &session, &id));
                            assert_eq!(out.code, Some(0), "{session} {command}: {}", out.stderr);
                            let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
                                panic!("not a valid answer ({e}): {:?}", out.stdout)
                            });
                            let h = &v["hookSpecificOutput"];
                            assert_eq!(h["hookEventName"], "PreToolUse", "{v}");
                            Seen {
                                session,
                                command,
                                decision: h["permissionDecision"].as_str().unwrap_or("").into(),
                                reason: h["permissionDecisionReason"].as_str().unwrap_or("").into(),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "{} hook calls by {PROCS} concurrent processes in {:?}",
        seen.len(),
        start.elapsed()
    );
    seen
}

/// The expected number of allows before the budget runs out, computed the way the engine
/// charges it (`used + cost > budget` turns the allow into an ask).
fn allows_within_budget(cost: f64) -> (usize, f64) {
    let mut used = 0.0f64;
    let mut n = 0;
    while used + cost <= BUDGET {
        used += cost;
        n += 1;
    }
    (n, used)
}

fn cost_of(tier: &str) -> f64 {
    match tier {
        "low" => 0.1,
        "medium" => 0.3,
        "high" => 0.7,
        _ => 1.0,
    }
}

/// Whether an answer is the fail-closed one for a store error.
fn lock_timeout(s: &Seen) -> bool {
    s.reason.contains("could not check")
}

/// Whether a fail-closed reason is the store's own bound on waiting, the only store error a
/// sound store may give under overload: SQLite's busy timeout, or on the team store the
/// statement timeout (a `BEGIN` that waited for the write lock too long, SQLSTATE 57014) and
/// the connect bound (a server too loaded to accept within 1 s).
fn waited_too_long(reason: &str) -> bool {
    reason.contains("busy timeout")
        || reason.contains("statement timeout (57014)")
        || reason.contains("did not complete the connection within")
}

fn check_everything(i: &Install, seen: &[Seen]) {
    assert_eq!(seen.len(), PROCS * CALLS);
    // Every answer valid; allows only where the policy allows. A store error may only be a
    // lock held past the busy timeout (SQLite's busy handler is not fair: under extreme
    // machine load a process can lose the race for 5 s), and it must be a fail-closed ask.
    let mut by: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut timeouts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in seen {
        assert!(
            matches!(s.decision.as_str(), "allow" | "ask" | "deny"),
            "{}",
            s.decision
        );
        if lock_timeout(s) {
            assert_eq!(s.decision, "ask", "{}", s.reason);
            assert!(
                waited_too_long(&s.reason),
                "not a lock timeout: {}",
                s.reason
            );
            *timeouts.entry(s.session.as_str()).or_default() += 1;
            continue;
        }
        if s.decision == "allow" {
            assert_eq!(
                (s.session.as_str(), s.command.as_str()),
                ("budget-shared", "npm test")
            );
        }
        *by.entry((s.session.as_str(), s.decision.as_str()))
            .or_default() += 1;
    }
    let failed: usize = timeouts.values().sum();
    if failed > 0 {
        eprintln!(
            "WARNING: {failed} of {} calls waited past the busy timeout and failed closed \
             (machine overloaded?): {timeouts:?}",
            seen.len()
        );
    }
    let recorded = PROCS * CALLS - failed;
    let c = i.sql();
    // The audit chain: intact, and exactly one check event per recorded call (all 3,200 when
    // no call timed out on the lock).
    let v = i.verify();
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM audit_events WHERE event_type = 'permission.check'"
        ) as usize,
        recorded
    );
    assert_eq!(count(&c, "SELECT count(*) FROM checks") as usize, recorded);
    assert_eq!(
        count(&c, "SELECT count(*) FROM audit_events"),
        v["events"].as_i64().unwrap()
    );
    assert_eq!(
        count(&c, "SELECT max(seq) - min(seq) + 1 FROM audit_events"),
        count(&c, "SELECT count(*) FROM audit_events"),
        "gaps in the chain"
    );

    // Rate window: exactly RATE_LIMIT checks pass per shared session, the rest are denied by
    // the rate limit, and the answers the processes saw agree with the store.
    let per_shared = PROCS * CALLS / 4;
    let rate_n = per_shared - timeouts.get("rate-shared").copied().unwrap_or(0);
    let rate_denied = count(
        &c,
        "SELECT count(*) FROM checks WHERE session = 'rate-shared' AND decided_by = 'rate_limit'",
    );
    assert_eq!(rate_denied as usize, rate_n.saturating_sub(RATE_LIMIT));
    assert_eq!(
        by.get(&("rate-shared", "deny")).copied().unwrap_or(0),
        rate_n.saturating_sub(RATE_LIMIT)
    );
    assert_eq!(
        by.get(&("rate-shared", "ask")).copied().unwrap_or(0),
        rate_n.min(RATE_LIMIT)
    );

    // Budget: the shared session allowed exactly as many as its budget pays for.
    let budget_n = per_shared - timeouts.get("budget-shared").copied().unwrap_or(0);
    let tier = c.first(
        "SELECT risk_tier FROM checks WHERE session = 'budget-shared' AND decision = 'allow' LIMIT 1",
    )[0]
    .as_str()
    .unwrap()
    .to_string();
    let (want_allows, want_used) = allows_within_budget(cost_of(&tier));
    assert!(want_allows < RATE_LIMIT, "the budget must run out first");
    let allows = by.get(&("budget-shared", "allow")).copied().unwrap_or(0);
    assert_eq!(allows, want_allows, "allows within a budget of {BUDGET}");
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM checks WHERE session = 'budget-shared' AND decided_by = 'budget'"
        ) as usize,
        budget_n.min(RATE_LIMIT) - want_allows
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM checks WHERE session = 'budget-shared' AND decided_by = 'rate_limit'"
        ) as usize,
        budget_n.saturating_sub(RATE_LIMIT)
    );
    let row =
        c.first("SELECT budget_used, auto_allowed FROM sessions WHERE session = 'budget-shared'");
    let (used, auto) = (row[0].as_f64().unwrap(), row[1].as_i64().unwrap());
    assert_eq!(auto as usize, want_allows);
    assert_eq!(used.to_bits(), want_used.to_bits(), "{used} vs {want_used}");

    // Pending asks: one per recorded ask, none lost, none doubled.
    let asks = seen
        .iter()
        .filter(|s| s.decision == "ask" && !lock_timeout(s))
        .count() as i64;
    assert_eq!(count(&c, "SELECT count(*) FROM pending_asks"), asks);
    let proc_timeouts: usize = timeouts
        .iter()
        .filter(|(k, _)| k.starts_with("proc-"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pending_asks WHERE session LIKE 'proc-%'"
        ) as usize,
        PROCS * CALLS / 2 - proc_timeouts
    );
}

#[test]
fn sixteen_processes_on_a_fresh_store() {
    let i = install();
    assert!(!i.db.exists());
    let seen = hammer(&i);
    check_everything(&i, &seen);
}

#[test]
fn sixteen_processes_while_the_first_migrates_the_store() {
    let i = install();
    if i.db_url().is_some() {
        // The PostgreSQL side: tests/pg_load.rs and the store's migrate-once unit test.
        eprintln!("skipped: this test migrates a SQLite file");
        return;
    }
    // A store at schema version 1 (the foundation's tables only): the first process to open
    // it migrates it while the others wait on the lock.
    std::fs::create_dir_all(i.db.parent().unwrap()).unwrap();
    {
        let c = rusqlite::Connection::open(&i.db).unwrap();
        c.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .unwrap();
        c.execute_batch(aiperture::store::MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
    }
    let seen = hammer(&i);
    check_everything(&i, &seen);
    let v = count(&i.sql(), "PRAGMA user_version");
    assert_eq!(v as usize, aiperture::store::MIGRATIONS.len());
}

/// Learning under load: 16 processes × 100 (PreToolUse ask → PostToolUse ran) pairs = 3,200
/// hook calls; every approval is counted exactly once, in the decisions, the per-key counts
/// and the materialized aggregate.
#[test]
fn learning_counts_are_exact_under_load() {
    let i = Install::new()
        .with_env("AIPERTURE_NOW_MS", &T0.to_string())
        .with_env("AIPERTURE_PERMISSION_LEARNING_MIN_DECISIONS", "1000000")
        .with_env("AIPERTURE_RAPID_APPROVAL_MIN_COUNT", "1000000")
        .with_env("AIPERTURE_RATE_LIMIT_PER_MINUTE", "0");
    let pairs = CALLS / 2;
    let start = std::time::Instant::now();
    // Per pair: (the check was recorded, the run was recorded). A side that waited past the
    // busy timeout fails closed (pre: ask; post: a warning) and is not recorded.
    let outcomes: Vec<(bool, bool)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..PROCS)
            .map(|p| {
                let i = &i;
                s.spawn(move || {
                    (0..pairs)
                        .map(|n| {
                            // A new session per pair: within one, session memory would answer.
                            let session = format!("learn-{p}-{n}");
                            let id = format!("toolu_l{p}_{n}");
                            let out =
                                i.hook("claude-code", &claude_bash("make build", &session, &id));
                            assert!(
                                out.stdout.contains("\"ask\""),
                                "pre {p}/{n}: {}",
                                out.stdout
                            );
                            let pre = !out.stdout.contains("could not check");
                            if !pre {
                                assert!(waited_too_long(&out.stdout), "{}", out.stdout);
                            }
                            let out =
                                i.hook("claude-code", &claude_post("make build", &session, &id));
                            assert_eq!(out.code, Some(0), "post {p}/{n}: {}", out.stderr);
                            let post = !out.stderr.contains("could not");
                            if !post {
                                assert!(waited_too_long(&out.stderr), "{}", out.stderr);
                            }
                            (pre, post)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "{} learning hook calls in {:?}",
        PROCS * pairs * 2,
        start.elapsed()
    );
    let lost = outcomes.iter().filter(|(a, b)| !(*a && *b)).count();
    if lost > 0 {
        eprintln!("WARNING: {lost} pairs hit the busy timeout (machine overloaded?)");
    }
    let total = outcomes.iter().filter(|(a, b)| *a && *b).count() as i64;
    let checks = outcomes.iter().filter(|(a, _)| *a).count() as i64;
    let runs = outcomes.iter().filter(|(_, b)| *b).count() as i64;
    let c = i.sql();
    assert_eq!(i.verify()["intact"], true);
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM decisions WHERE source = 'runtime' AND decision = 'allow'"
        ),
        total
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pending_asks WHERE state = 'approved'"
        ),
        total
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pending_asks WHERE state <> 'approved'"
        ),
        checks - total
    );
    let keys = count(
        &c,
        "SELECT count(*) FROM decision_keys WHERE counted = 'allow'",
    );
    assert_eq!(
        keys,
        total * count(&c, "SELECT count(DISTINCT kind || key) FROM decision_keys"),
        "each decision counts once per learning key"
    );
    assert_eq!(
        count(&c, "SELECT sum(human_allow) FROM patterns"),
        keys,
        "the aggregate equals the decisions it materializes"
    );
    assert_eq!(
        count(
            &c,
            "SELECT sum(human_deny + inferred_deny + rapid_allow) FROM patterns"
        ),
        0
    );
    for (event, n) in [
        ("permission.check", checks),
        ("tool.executed", runs),
        ("decision.human", total),
    ] {
        assert_eq!(
            count(
                &c,
                &format!("SELECT count(*) FROM audit_events WHERE event_type = '{event}'")
            ),
            n,
            "{event}"
        );
    }
}
