//! The compliance report: what agents did, who approved it, and whether the log is intact.
//!
//! [`build`] reads the store with aggregate queries ([`collect`]), verifies the audit chain
//! ([`crate::store::audit_sql::verify`]) and returns a [`Report`]; the renderers turn it into
//! Markdown ([`markdown`]), JSON ([`json`], schema in `docs/report.schema.json`) or one
//! self-contained HTML page with inline SVG charts ([`html`]). A report whose chain does not
//! verify is never `clean`: every format says so first. [`synthetic`] fills a store with many
//! synthetic checks (benchmarks).

mod collect;
mod escape;
pub mod html;
pub mod markdown;
pub mod model;
mod svg;
pub mod synthetic;

pub use model::{Report, Status};

use crate::clock::format_rfc3339;
use crate::engine::config::EngineConfig;
use crate::key::KEY_LEN;
use crate::store::Db;
use crate::store::integrity::verify_store;

/// What to report on and how.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Only activity at or after this time (ms); `None` for all.
    pub since_ms: Option<i64>,
    /// Only this project (its root path, or `global`); `None` for all.
    pub project: Option<String>,
    /// The learning settings patterns are judged with (the user's settings).
    pub engine: EngineConfig,
    /// The install key, to check the chain head's signature; without it the chain cannot be
    /// called verified.
    pub key: Option<[u8; KEY_LEN]>,
    /// At most this many items per list (sessions, denies, patterns, …); counts stay exact.
    pub max_items: usize,
    /// A deciding pattern expiring within this many days is "about to expire".
    pub expiring_within_days: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            since_ms: None,
            project: None,
            engine: EngineConfig::default(),
            key: None,
            max_items: 50,
            expiring_within_days: 14.0,
        }
    }
}

/// Builds the report at `now_ms`: every section from one read snapshot while the audit chain
/// is verified in parallel on a second connection (the two dominate the time on a large store
/// and each keeps one core busy); without a second connection, one after the other.
pub fn build(db: &Db, opts: &ReportOptions, now_ms: i64) -> anyhow::Result<Report> {
    let key = opts.key;
    let (c, v) = std::thread::scope(|s| {
        let verifier = Db::open_existing(db.path())
            .ok()
            .map(|other| s.spawn(move || verify_store(&other, key.as_ref())));
        let c = db.read(|tx| collect::collect(tx, opts, now_ms));
        let v = match verifier.map(|h| h.join()) {
            Some(Ok(v)) => v,
            Some(Err(_)) => Err(anyhow::anyhow!("audit verification failed unexpectedly")),
            None => verify_store(db, key.as_ref()),
        };
        (c, v)
    });
    let (c, v) = (c?, v?);
    let mut integrity = model::Integrity {
        verified: v.intact && (v.mac_checked || v.events == 0),
        events: v.events,
        first_bad_seq: v.first_bad_seq,
        problem: v.problem,
        mac_checked: v.mac_checked,
        executions_in_chain: c.executions_in_chain,
    };
    if v.intact && !integrity.verified {
        integrity.problem =
            Some("the chain head's signature could not be checked (no install key)".into());
    }
    if integrity.verified && c.executions_in_chain != c.compliance.executions {
        // The gap figures come from the executions table: it must match the chain.
        integrity.verified = false;
        integrity.problem = Some(format!(
            "the executions table holds {} tool executions in this window but the audit chain \
             records {} (rows removed or added outside aiperture)",
            c.compliance.executions, c.executions_in_chain
        ));
    }
    let findings = findings(&c.compliance, &integrity);
    let status = if !integrity.verified {
        Status::Unverified
    } else if findings.is_empty() {
        Status::Clean
    } else {
        Status::Attention
    };
    let cfg = &opts.engine;
    Ok(Report {
        schema: model::SCHEMA.to_string(),
        generated_at_ms: now_ms,
        generated_at: format_rfc3339(now_ms),
        window: c.window,
        status,
        findings,
        settings: model::SettingsUsed {
            min_decisions: cfg.min_decisions,
            approve_threshold: cfg.approve_threshold,
            deny_threshold: cfg.deny_threshold,
            pattern_max_age_days: cfg.pattern_max_age_days,
            expiring_within_days: opts.expiring_within_days,
        },
        totals: c.totals,
        timeline: c.timeline,
        top_asked: c.top_asked,
        patterns: c.patterns,
        compliance: c.compliance,
        people: c.people,
        integrity,
    })
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line per reason the report is not clean; the integrity problem comes first.
fn findings(c: &model::Compliance, i: &model::Integrity) -> Vec<String> {
    let mut f = Vec::new();
    if !i.verified {
        let at = i
            .first_bad_seq
            .map(|s| format!(" at event {s}"))
            .unwrap_or_default();
        f.push(format!(
            "AUDIT CHAIN NOT VERIFIED{at}: {}",
            i.problem.as_deref().unwrap_or("unknown problem")
        ));
    }
    if c.gaps > 0 {
        f.push(format!(
            "{} ran without a prior check ({:.1} % of executions)",
            plural(c.gaps, "tool call", "tool calls"),
            c.gap_ratio * 100.0
        ));
    }
    if c.critical_denies.count > 0 {
        f.push(format!(
            "{} denied",
            plural(
                c.critical_denies.count,
                "CRITICAL request",
                "CRITICAL requests"
            )
        ));
    }
    if c.rate_limited_sessions.count > 0 {
        f.push(format!(
            "{} hit the rate limit",
            plural(c.rate_limited_sessions.count, "session", "sessions")
        ));
    }
    if c.budget_exhausted_sessions.count > 0 {
        f.push(format!(
            "{} exhausted their risk budget",
            plural(c.budget_exhausted_sessions.count, "session", "sessions")
        ));
    }
    if c.unresolved_asks.count > 0 {
        f.push(format!(
            "{} never resolved",
            plural(c.unresolved_asks.count, "ask", "asks")
        ));
    }
    if c.rubber_stamps.count > 0 {
        f.push(format!(
            "{} (too many too fast)",
            plural(
                c.rubber_stamps.count,
                "rubber-stamped approval",
                "rubber-stamped approvals"
            )
        ));
    }
    f
}

/// The report as pretty-printed JSON (the format of `docs/report.schema.json`).
pub fn json(r: &Report) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(r)?;
    s.push('\n');
    Ok(s)
}

/// A condition `--fail-on` can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any tool execution without a prior check.
    Gaps,
    /// Any CRITICAL deny.
    Critical,
    /// The audit chain did not verify.
    Unverified,
}

impl FailOn {
    /// Parses `gaps`, `critical` or `unverified`.
    pub fn parse(s: &str) -> Option<FailOn> {
        match s.trim() {
            "gaps" => Some(FailOn::Gaps),
            "critical" => Some(FailOn::Critical),
            "unverified" => Some(FailOn::Unverified),
            _ => None,
        }
    }

    /// Whether the condition holds for a report.
    pub fn holds(self, r: &Report) -> bool {
        match self {
            FailOn::Gaps => r.compliance.gaps > 0,
            FailOn::Critical => r.compliance.critical_denies.count > 0,
            FailOn::Unverified => !r.integrity.verified,
        }
    }
}
