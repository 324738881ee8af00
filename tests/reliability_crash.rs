//! Crash safety: hook processes are SIGKILLed at random points of their write transaction until
//! at least 200 kills have landed inside one; then the store opens, passes SQLite's integrity
//! check and `audit verify`, answers new calls, and shows no partial decision (every
//! aggregate equals the rows it is made of, every row has its audit event).
//!
//! "Inside the transaction" is detected honestly with the store's debug-only crash hook
//! (`AIPERTURE_DEBUG_TX_DIR`, `src/store/mod.rs`): each process marks `<pid>.begun` after
//! `BEGIN IMMEDIATE`, `<pid>.written` after its statements and `<pid>.committed` after the
//! commit returned, pausing a few milliseconds after the first two. A kill counts when `begun`
//! exists and `committed` does not once the process is dead.

#[path = "reliability_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

const WANT_MID_TX_KILLS: usize = 200;
const WORKERS: usize = 4;
const PAUSE_MS: u64 = 3;

/// xorshift64*: enough randomness for kill timing, seeded and reported for reproduction.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Tally {
    /// Killed after `begun`, before `written` (inside the statements or the pause).
    in_statements: AtomicUsize,
    /// Killed after `written`, before the commit returned (the commit may or may not be durable).
    in_commit: AtomicUsize,
    /// Killed before the transaction began (start-up, open, key).
    before: AtomicUsize,
    /// Finished before the kill.
    finished: AtomicUsize,
    /// Pre-tool checks whose commit returned (their check row must exist).
    pre_committed: AtomicUsize,
    /// Pre-tool checks killed after their statements ran (their row may exist).
    pre_uncertain: AtomicUsize,
}

fn marker(dir: &Path, pid: u32, stage: &str) -> bool {
    dir.join(format!("{pid}.{stage}")).exists()
}

fn spawn_hook(i: &Install, marks: &Path, payload: Vec<u8>) -> Child {
    let mut c = i.cmd();
    c.args(["hook", "claude-code"])
        .env("AIPERTURE_DEBUG_TX_DIR", marks)
        .env("AIPERTURE_DEBUG_TX_PAUSE_MS", PAUSE_MS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut sin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut sin, &payload).unwrap();
    drop(sin);
    child
}

/// Runs one hook call and kills it at a random point after its transaction began (or lets it
/// finish when `kill` is false). Returns true when the kill landed inside the transaction.
fn one(
    i: &Install,
    marks: &Path,
    payload: Vec<u8>,
    is_pre: bool,
    kill: bool,
    rng: &mut Rng,
    t: &Tally,
) -> bool {
    let mut child = spawn_hook(i, marks, payload);
    let pid = child.id();
    let start = Instant::now();
    let mut killed = false;
    if kill {
        // Wait for BEGIN, then kill somewhere across the statements, the pauses and the
        // commit: mostly just after the first pause ends (when the statements run), the
        // rest uniformly.
        while !marker(marks, pid, "begun") {
            if child.try_wait().unwrap().is_some() || start.elapsed() > WATCHDOG {
                break;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        let window_us = 2 * PAUSE_MS * 1000 + 2000;
        let delay = if rng.below(3) == 0 {
            rng.below(window_us)
        } else {
            PAUSE_MS * 1000 - 500 + rng.below(2500)
        };
        std::thread::sleep(Duration::from_micros(delay));
        killed = child.kill().is_ok();
    }
    let status = child.wait().unwrap();
    assert!(
        start.elapsed() < WATCHDOG,
        "a hook process hung for {:?}",
        start.elapsed()
    );
    let begun = marker(marks, pid, "begun");
    let written = marker(marks, pid, "written");
    let committed = marker(marks, pid, "committed");
    for stage in ["begun", "written", "committed"] {
        let _ = std::fs::remove_file(marks.join(format!("{pid}.{stage}")));
    }
    if is_pre && committed {
        t.pre_committed.fetch_add(1, Ordering::Relaxed);
    }
    if is_pre && written && !committed {
        t.pre_uncertain.fetch_add(1, Ordering::Relaxed);
    }
    let died = killed && status.code().is_none();
    let mid = died && begun && !committed;
    if !died || committed {
        t.finished.fetch_add(1, Ordering::Relaxed);
    } else if !begun {
        t.before.fetch_add(1, Ordering::Relaxed);
    } else if written {
        t.in_commit.fetch_add(1, Ordering::Relaxed);
    } else {
        t.in_statements.fetch_add(1, Ordering::Relaxed);
    }
    mid
}

#[test]
fn sigkill_inside_write_transactions_leaves_a_consistent_store() {
    let i = Install::new().with_env("AIPERTURE_RAPID_APPROVAL_MIN_COUNT", "1000000");
    let marks = tempfile::tempdir().unwrap();
    // Create the store, key and chain before the killing starts.
    // (Also checks that the binary has the store's crash hook: debug builds only.)
    let mut warm = spawn_hook(
        &i,
        marks.path(),
        claude_bash("make warmup", "warm", "toolu_warm"),
    );
    let pid = warm.id();
    assert!(warm.wait().unwrap().success());
    if !marker(marks.path(), pid, "committed") {
        if cfg!(debug_assertions) {
            panic!("the debug binary has no crash hook in Db::write");
        }
        eprintln!("release build: the store's crash hook is compiled out; test skipped");
        return;
    }
    for stage in ["begun", "written", "committed"] {
        let _ = std::fs::remove_file(marks.path().join(format!("{pid}.{stage}")));
    }

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed:#x}");
    let t = Tally::default();
    let mid = AtomicUsize::new(0);
    let processes = AtomicUsize::new(0);
    let next = Mutex::new(0usize);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..WORKERS {
            let (i, t, mid, processes, next) = (&i, &t, &mid, &processes, &next);
            let marks = marks.path();
            s.spawn(move || {
                let mut rng =
                    Rng(seed.wrapping_add((w as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
                while mid.load(Ordering::Relaxed) < WANT_MID_TX_KILLS {
                    let n = {
                        let mut g = next.lock().unwrap();
                        *g += 1;
                        *g
                    };
                    assert!(n < 20_000, "too few kills land inside transactions");
                    let session = format!("crash-{}", n % 7);
                    let cmd = format!("make target{}", n % 5);
                    let id = format!("toolu_c{n}");
                    // A check (ask → pending), then the tool's run (approval → decision,
                    // keys, aggregate), each killed half of the time.
                    for (payload, is_pre) in [
                        (claude_bash(&cmd, &session, &id), true),
                        (claude_post(&cmd, &session, &id), false),
                    ] {
                        let kill = rng.below(2) == 0;
                        processes.fetch_add(1, Ordering::Relaxed);
                        if one(i, marks, payload, is_pre, kill, &mut rng, t) {
                            mid.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let get = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    eprintln!(
        "{} processes in {:?}: {} killed inside the transaction ({} in the statements, {} in the commit), {} before it began, {} finished",
        get(&processes),
        start.elapsed(),
        get(&mid),
        get(&t.in_statements),
        get(&t.in_commit),
        get(&t.before),
        get(&t.finished)
    );
    assert!(get(&mid) >= WANT_MID_TX_KILLS);

    // The store opens and is sound.
    let c = i.sql();
    let ic = c.text("PRAGMA integrity_check");
    assert_eq!(ic, "ok");
    let v = i.verify();
    assert_eq!(v["intact"], true, "{v}");

    // No partial decision: every row has its audit event and every aggregate its rows.
    let pairs = [
        (
            "SELECT count(*) FROM checks",
            "SELECT count(*) FROM audit_events WHERE event_type = 'permission.check'",
        ),
        (
            "SELECT count(*) FROM executions",
            "SELECT count(*) FROM audit_events WHERE event_type = 'tool.executed'",
        ),
        (
            "SELECT count(*) FROM decisions",
            "SELECT count(*) FROM audit_events WHERE event_type = 'decision.human'",
        ),
        (
            "SELECT count(*) FROM decisions",
            "SELECT count(*) FROM pending_asks WHERE state = 'approved'",
        ),
        (
            "SELECT count(*) FROM checks WHERE decision = 'ask'",
            "SELECT count(*) FROM pending_asks",
        ),
        (
            "SELECT count(*) FROM decision_keys WHERE counted = 'allow'",
            "SELECT coalesce(sum(human_allow), 0) FROM patterns",
        ),
        (
            "SELECT count(*) FROM decisions",
            "SELECT count(DISTINCT decision_id) FROM decision_keys",
        ),
        (
            "SELECT count(*) FROM audit_events",
            "SELECT max(seq) FROM audit_events",
        ),
        (
            "SELECT seq FROM audit_head",
            "SELECT max(seq) FROM audit_events",
        ),
    ];
    for (a, b) in pairs {
        assert_eq!(count(&c, a), count(&c, b), "{a}  vs  {b}");
    }
    // Every check whose commit returned is there; a killed one only if its commit landed.
    let checks = count(
        &c,
        "SELECT count(*) FROM checks WHERE session LIKE 'crash-%'",
    ) as usize;
    let lo = get(&t.pre_committed);
    let hi = lo + get(&t.pre_uncertain);
    assert!(
        (lo..=hi).contains(&checks),
        "{checks} check rows, expected between {lo} and {hi}"
    );
    assert!(
        count(&c, "SELECT count(*) FROM decisions") > 0,
        "no approval ever landed"
    );
    drop(c);

    // And it keeps answering.
    let out = i.hook(
        "claude-code",
        &claude_bash("make after", "after", "toolu_after"),
    );
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout.contains("\"ask\"") && !out.stdout.contains("could not"),
        "{}",
        out.stdout
    );
    assert_eq!(i.verify()["intact"], true);
}
