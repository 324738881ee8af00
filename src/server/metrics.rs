//! `GET /metrics`: Prometheus text exposition (format 0.0.4). Counters live in this process
//! (they start at zero with each `serve`); gauges are read from the store at scrape time.
//!
//! Label values are bounded: a runtime outside the known adapters (and `http`, `cli`) is
//! counted as `other`, a stage is the part of `decided_by` before its first `:`, so a client
//! cannot grow the label set.

use crate::engine::{AskContext, RanResult, SessionStatus, ToolOutcome};
use crate::request::{Request, Verdict};
use crate::runtimes::dispatch::HookEngine;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// A histogram: counts per bucket (not cumulative), the sum and the count.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i] += 1;
        }
        self.sum += secs;
        self.count += 1;
    }
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Checks by (decision, stage, tier, runtime).
    checks: BTreeMap<(String, String, String, String), u64>,
    /// Hook calls by (runtime, exit code).
    hooks: BTreeMap<(String, u8), u64>,
    /// Check latency (checks and hooks alike).
    latency: BTreeMap<&'static str, Histogram>,
    /// Answers that were store, busy or integrity errors, by kind.
    store_errors: BTreeMap<&'static str, u64>,
}

fn global() -> &'static Mutex<Metrics> {
    static M: OnceLock<Mutex<Metrics>> = OnceLock::new();
    M.get_or_init(|| Mutex::new(Metrics::default()))
}

fn with<T>(f: impl FnOnce(&mut Metrics) -> T) -> T {
    let mut g = global().lock().unwrap_or_else(|p| p.into_inner());
    f(&mut g)
}

/// The runtime label: a known adapter's name, `http`, `cli`, or `other`.
pub fn runtime_label(runtime: &str) -> String {
    if runtime == "http" || runtime == "cli" || crate::runtimes::is_runtime(runtime) {
        runtime.to_string()
    } else {
        "other".to_string()
    }
}

/// The stage label: `decided_by` up to its first `:` (`rule:user:3` → `rule`).
pub fn stage_label(decided_by: &str) -> String {
    let s = decided_by.split(':').next().unwrap_or("");
    if !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        s.to_string()
    } else {
        "other".to_string()
    }
}

/// Counts one `POST /permissions/check`.
pub fn check(runtime: &str, v: &Verdict, took: Duration) {
    let key = check_key(runtime, v);
    with(|m| {
        *m.checks.entry(key).or_default() += 1;
        m.latency
            .entry("check")
            .or_default()
            .observe(took.as_secs_f64());
    });
}

/// Counts the decision of a check a hook call made (`POST /hooks/{runtime}` and the warm
/// path): its latency is the hook call's, counted by [`hook`].
pub fn hook_check(runtime: &str, v: &Verdict) {
    let key = check_key(runtime, v);
    with(|m| *m.checks.entry(key).or_default() += 1);
}

fn check_key(runtime: &str, v: &Verdict) -> (String, String, String, String) {
    (
        v.decision.as_str().to_string(),
        stage_label(&v.decided_by),
        v.risk.tier.as_str().to_string(),
        runtime_label(runtime),
    )
}

/// A hook engine that counts each check's decision for `/metrics` under the hook's runtime,
/// and otherwise is the engine it wraps.
pub struct Counted<'r, E> {
    /// The engine deciding.
    pub engine: E,
    /// The runtime label the checks count under.
    pub runtime: &'r str,
}

impl<E: HookEngine> HookEngine for Counted<'_, E> {
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
        let out = self.engine.check(req)?;
        hook_check(self.runtime, &out.0);
        Ok(out)
    }
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>> {
        self.engine.learned_decision(req)
    }
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        self.engine.tool_ran(req, outcome)
    }
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32> {
        self.engine.end_session(runtime, session_id)
    }
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus> {
        self.engine.session_status(req)
    }
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
        self.engine.classifier_denied(req, reason)
    }
    fn check_shown(
        &mut self,
        req: &Request,
    ) -> anyhow::Result<(Verdict, Option<String>, AskContext)> {
        let out = self.engine.check_shown(req)?;
        hook_check(self.runtime, &out.0);
        Ok(out)
    }
    fn store_output(&mut self, req: &Request) -> anyhow::Result<()> {
        self.engine.store_output(req)
    }
}

/// Counts one `POST /hooks/{runtime}`.
pub fn hook(runtime: &str, exit_code: u8, took: Duration) {
    with(|m| {
        *m.hooks
            .entry((runtime_label(runtime), exit_code))
            .or_default() += 1;
        m.latency
            .entry("hook")
            .or_default()
            .observe(took.as_secs_f64());
    });
}

/// Counts an answer that was a store error (`store`, `busy`, `integrity`).
pub fn store_error(kind: &'static str) {
    with(|m| *m.store_errors.entry(kind).or_default() += 1);
}

/// Gauges read from the store at scrape time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    /// Learned pattern rows (every project).
    pub patterns: Option<u64>,
    /// Events in the audit chain.
    pub chain_length: Option<u64>,
}

/// Escapes a label value (backslash, double quote, newline).
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text of the counters and `g`.
pub fn render(g: Gauges) -> String {
    with(|m| {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# HELP aiperture_checks_total Checks answered (HTTP checks, hook calls over HTTP and the warm path), by decision, stage, risk tier and runtime.\n# TYPE aiperture_checks_total counter"
        );
        for ((d, s, t, r), n) in &m.checks {
            let _ = writeln!(
                o,
                "aiperture_checks_total{{decision=\"{}\",stage=\"{}\",tier=\"{}\",runtime=\"{}\"}} {n}",
                esc(d),
                esc(s),
                esc(t),
                esc(r)
            );
        }
        let _ = writeln!(
            o,
            "# HELP aiperture_hook_requests_total Hook payloads answered over HTTP, by runtime and the hook's exit code.\n# TYPE aiperture_hook_requests_total counter"
        );
        for ((r, c), n) in &m.hooks {
            let _ = writeln!(
                o,
                "aiperture_hook_requests_total{{runtime=\"{}\",exit_code=\"{c}\"}} {n}",
                esc(r)
            );
        }
        let _ = writeln!(
            o,
            "# HELP aiperture_check_duration_seconds Time to answer a check or a hook payload.\n# TYPE aiperture_check_duration_seconds histogram"
        );
        for (route, h) in &m.latency {
            let mut cum = 0;
            for (b, n) in BUCKETS.iter().zip(h.buckets.iter()) {
                cum += n;
                let _ = writeln!(
                    o,
                    "aiperture_check_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cum}"
                );
            }
            let _ = writeln!(
                o,
                "aiperture_check_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\naiperture_check_duration_seconds_sum{{route=\"{route}\"}} {}\naiperture_check_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let _ = writeln!(
            o,
            "# HELP aiperture_store_errors_total Answers that were store errors, by kind.\n# TYPE aiperture_store_errors_total counter"
        );
        for (k, n) in &m.store_errors {
            let _ = writeln!(o, "aiperture_store_errors_total{{kind=\"{k}\"}} {n}");
        }
        let gauge = |o: &mut String, name: &str, help: &str, v: Option<u64>| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge");
            if let Some(v) = v {
                let _ = writeln!(o, "{name} {v}");
            }
        };
        gauge(
            &mut o,
            "aiperture_learned_patterns",
            "Learned pattern rows in the store (every project).",
            g.patterns,
        );
        gauge(
            &mut o,
            "aiperture_audit_chain_length",
            "Events in the audit chain.",
            g.chain_length,
        );
        o
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(runtime_label("claude-code"), "claude-code");
        assert_eq!(runtime_label("x\"}\n"), "other");
        assert_eq!(stage_label("rule:user:3"), "rule");
        assert_eq!(stage_label("learned:git log *"), "learned");
        assert_eq!(stage_label("Evil\"label"), "other");
    }

    #[test]
    fn histogram_buckets_are_cumulative_in_the_text() {
        let mut h = Histogram::default();
        h.observe(0.0002);
        h.observe(0.003);
        h.observe(5.0);
        assert_eq!(h.count, 3);
        assert_eq!(h.buckets.iter().sum::<u64>(), 2);
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
