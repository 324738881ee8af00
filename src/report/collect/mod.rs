//! Data collection: aggregate SQL over the store, one consistent read snapshot.
//!
//! Every figure is a `GROUP BY` (or a `LIMIT`ed, ordered read) in SQLite: no query loads all
//! checks, executions or decisions into memory. The checks table is read by three grouped scans
//! (a "cube" of bucket × decision × tier × runtime × stage, the per-session totals, the asked
//! scopes) and one bounded read of the CRITICAL denies; everything else is keyed or indexed.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Transaction, params_from_iter};

mod compliance;
mod patterns;
mod people;

use super::ReportOptions;
use super::model::*;
use compliance::{critical_denies, executions, limited, rubber_stamps, unchecked, unresolved_asks};
use patterns::patterns;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const WEEK_MS: i64 = 7 * DAY_MS;
/// At most this many timeline buckets.
const MAX_BUCKETS: i64 = 120;
/// Distinct asked scopes read before grouping them by pattern.
const ASKED_SCOPES: i64 = 300;
/// Patterns shown in "top asked".
const TOP_ASKED: usize = 10;

/// The time and project filter every windowed query starts with (`?1`, `?2`, `?3`).
struct Filter {
    since: i64,
    until: i64,
    project: Option<String>,
}

impl Filter {
    /// `ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR project = ?3)`.
    const SQL: &'static str = "ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR project = ?3)";

    fn params(&self, extra: &[SqlValue]) -> Vec<SqlValue> {
        let mut v = vec![
            SqlValue::Integer(self.since),
            SqlValue::Integer(self.until),
            match &self.project {
                Some(p) => SqlValue::Text(p.clone()),
                None => SqlValue::Null,
            },
        ];
        v.extend_from_slice(extra);
        v
    }
}

fn u(n: i64) -> u64 {
    n.max(0) as u64
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Everything but the integrity section and the status, read in one snapshot.
pub(super) struct Collected {
    pub window: Window,
    pub totals: Totals,
    pub timeline: Timeline,
    pub top_asked: Vec<AskedPattern>,
    pub patterns: Patterns,
    pub compliance: Compliance,
    /// Per person: checks, asks, approvals, denials, machines.
    pub people: Vec<Person>,
    /// `tool.executed` audit events in the window (cross-checked with the executions table).
    pub executions_in_chain: u64,
}

/// Reads every section from the store inside `tx`.
pub(super) fn collect(
    tx: &Transaction<'_>,
    opts: &ReportOptions,
    now_ms: i64,
) -> anyhow::Result<Collected> {
    // Nothing happened before 1970 or after now: clamping keeps every sum below in range.
    let since_ms = opts.since_ms.map(|s| s.clamp(0, now_ms.max(0)));
    let f = Filter {
        since: since_ms.unwrap_or(i64::MIN),
        until: now_ms.saturating_add(1),
        project: opts.project.clone(),
    };
    let start = match since_ms {
        Some(s) => s,
        None => first_check_ms(tx)?
            .unwrap_or(now_ms.saturating_sub(7 * DAY_MS))
            .clamp(0, now_ms.max(0)),
    };
    let (origin, bucket_ms, n_buckets) = buckets(start, now_ms);
    let (mut totals, timeline, n_critical) = cube(tx, &f, origin, bucket_ms, n_buckets)?;
    let (sessions, top, rate_limited, budget) = sessions(tx, &f, opts.max_items)?;
    totals.sessions = sessions;
    totals.top_sessions = top;
    let mut compliance = executions(tx, &f, opts.max_items)?;
    compliance.unchecked = unchecked(tx, &f, opts.max_items, compliance.gaps)?;
    compliance.rate_limited_sessions = rate_limited;
    compliance.budget_exhausted_sessions = budget;
    compliance.critical_denies = critical_denies(tx, &f, opts.max_items, n_critical)?;
    compliance.unresolved_asks = unresolved_asks(tx, &f, opts.max_items)?;
    compliance.inferred_denials = count(
        tx,
        &format!(
            "SELECT count(*) FROM pending_asks WHERE state = 'inferred_deny' AND {}",
            Filter::SQL
        ),
        &f,
    )?;
    compliance.rubber_stamps = rubber_stamps(tx, &f, opts.max_items)?;
    compliance.classifier_refusals = count(
        tx,
        &format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'runtime.denied' AND {}",
            Filter::SQL
        ),
        &f,
    )?;
    // Checks left to the runtime's classifier are recorded as asks that no human saw.
    let deferred = count(
        tx,
        &format!(
            "SELECT count(*) FROM checks WHERE decided_by = '{}' AND {}",
            crate::engine::modes::DEFERRED_BY,
            Filter::SQL
        ),
        &f,
    )?;
    totals.prompts.left_to_runtime_classifier = deferred;
    totals.prompts.shown = totals.prompts.shown.saturating_sub(deferred);
    totals.prompts.avoided_ratio = ratio(
        totals.prompts.avoided_by_learning,
        totals.prompts.avoided_by_learning + totals.prompts.shown,
    );
    let executions_in_chain = count(
        tx,
        &format!(
            "SELECT count(*) FROM audit_events WHERE event_type = 'tool.executed' AND {}",
            Filter::SQL
        ),
        &f,
    )?;
    let top_asked = top_asked(tx, &f)?;
    let patterns = patterns(tx, &f, opts, now_ms)?;
    let people = people::people(tx, &f, opts.max_items)?;
    Ok(Collected {
        window: Window {
            since_ms,
            until_ms: now_ms,
            project: opts.project.clone(),
        },
        totals,
        timeline,
        top_asked,
        patterns,
        compliance,
        people,
        executions_in_chain,
    })
}

fn count(tx: &Transaction<'_>, sql: &str, f: &Filter) -> anyhow::Result<u64> {
    let n: i64 = tx.query_row(sql, params_from_iter(f.params(&[])), |r| r.get(0))?;
    Ok(u(n))
}

/// The time of the oldest check (ids grow with time, so this is a primary-key read).
fn first_check_ms(tx: &Transaction<'_>) -> anyhow::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(tx
        .query_row("SELECT ts_ms FROM checks ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Picks the bucket width for a window (hour up to 2 days, day up to 120 days, else weeks),
/// aligned to UTC: (origin, width, count).
pub(super) fn buckets(start: i64, until: i64) -> (i64, i64, i64) {
    let span = until.saturating_sub(start).max(1);
    let mut width = if span <= 2 * DAY_MS {
        HOUR_MS
    } else if span <= MAX_BUCKETS * DAY_MS {
        DAY_MS
    } else {
        WEEK_MS
    };
    while span / width >= MAX_BUCKETS {
        width *= 2;
    }
    let origin = start.div_euclid(width).saturating_mul(width);
    let n = until
        .saturating_sub(origin)
        .div_euclid(width)
        .saturating_add(1);
    (origin, width, n.clamp(1, MAX_BUCKETS + 1))
}

/// The stage of a `decided_by`: its prefix before the first `:` (`learned`, `preset`, `rule`,
/// `grant`, `risk_floor`, `default`, …).
const STAGE_SQL: &str = "CASE WHEN instr(decided_by, ':') > 0 \
     THEN substr(decided_by, 1, instr(decided_by, ':') - 1) ELSE decided_by END";

/// One grouped scan: bucket × decision × tier × runtime × stage × learned.
fn cube(
    tx: &Transaction<'_>,
    f: &Filter,
    origin: i64,
    width: i64,
    n: i64,
) -> anyhow::Result<(Totals, Timeline, u64)> {
    let sql = format!(
        "SELECT (ts_ms - ?4) / ?5, decision, risk_tier, runtime, {STAGE_SQL}, \
         (decision = 'allow' AND instr(decided_by, 'learned:') > 0), count(*) \
         FROM checks WHERE {} GROUP BY 1, 2, 3, 4, 5, 6",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(
        f.params(&[SqlValue::Integer(origin), SqlValue::Integer(width)]),
    ))?;
    let mut buckets: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start_ms: origin.saturating_add(i.saturating_mul(width)),
            decisions: ByDecision::default(),
            avoided_by_learning: 0,
        })
        .collect();
    let mut by_decision = ByDecision::default();
    let mut by_tier = ByTier::default();
    let mut stages: BTreeMap<String, ByDecision> = BTreeMap::new();
    let mut runtimes: BTreeMap<String, ByDecision> = BTreeMap::new();
    let mut learned = 0u64;
    let mut critical_denies = 0u64;
    while let Some(r) = rows.next()? {
        let b: i64 = r.get(0)?;
        let decision: String = r.get(1)?;
        let tier: String = r.get(2)?;
        let runtime: String = r.get(3)?;
        let stage: String = r.get(4)?;
        let is_learned: bool = r.get(5)?;
        let c = u(r.get(6)?);
        by_decision.add(&decision, c);
        by_tier.add(&tier, c);
        stages.entry(stage).or_default().add(&decision, c);
        runtimes.entry(runtime).or_default().add(&decision, c);
        if tier == "critical" && decision == "deny" {
            critical_denies += c;
        }
        if is_learned {
            learned += c;
        }
        let i = usize::try_from(b.clamp(0, n - 1)).unwrap_or(0);
        if let Some(bk) = buckets.get_mut(i) {
            bk.decisions.add(&decision, c);
            if is_learned {
                bk.avoided_by_learning += c;
            }
        }
    }
    let groups = |m: BTreeMap<String, ByDecision>| {
        let mut v: Vec<Group> = m
            .into_iter()
            .map(|(name, d)| Group {
                name,
                checks: d.total(),
                decisions: d,
            })
            .collect();
        v.sort_by(|a, b| b.checks.cmp(&a.checks).then_with(|| a.name.cmp(&b.name)));
        v
    };
    let totals = Totals {
        checks: by_decision.total(),
        by_decision,
        by_stage: groups(stages),
        by_tier,
        by_runtime: groups(runtimes),
        sessions: 0,
        top_sessions: Vec::new(),
        prompts: Prompts {
            avoided_by_learning: learned,
            auto_allowed: by_decision.allow,
            shown: by_decision.ask,
            left_to_runtime_classifier: 0,
            avoided_ratio: ratio(learned, learned + by_decision.ask),
        },
    };
    let timeline = Timeline {
        bucket_ms: width,
        buckets,
    };
    Ok((totals, timeline, critical_denies))
}

type SessionsOut = (
    u64,
    Vec<SessionTotals>,
    Listing<LimitedSession>,
    Listing<LimitedSession>,
);

/// One grouped scan per session: totals, plus rate-limit and budget hits.
fn sessions(tx: &Transaction<'_>, f: &Filter, max: usize) -> anyhow::Result<SessionsOut> {
    let sql = format!(
        "SELECT session, min(runtime), count(*), sum(decision = 'allow'), sum(decision = 'ask'), \
         sum(decision = 'deny'), min(ts_ms), max(ts_ms), sum(decided_by = 'rate_limit'), \
         min(CASE WHEN decided_by = 'rate_limit' THEN ts_ms END), sum(decided_by = 'budget'), \
         min(CASE WHEN decided_by = 'budget' THEN ts_ms END) \
         FROM checks WHERE {} GROUP BY session ORDER BY 3 DESC, 1",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(f.params(&[])))?;
    let mut n = 0u64;
    let mut top = Vec::new();
    let mut rate = Vec::new();
    let mut budget = Vec::new();
    while let Some(r) = rows.next()? {
        n += 1;
        let session: String = r.get(0)?;
        let runtime: String = r.get(1)?;
        if top.len() < max {
            top.push(SessionTotals {
                session: session.clone(),
                runtime: runtime.clone(),
                checks: u(r.get(2)?),
                decisions: ByDecision {
                    allow: u(r.get(3)?),
                    ask: u(r.get(4)?),
                    deny: u(r.get(5)?),
                },
                first_ms: r.get(6)?,
                last_ms: r.get(7)?,
            });
        }
        let rl = u(r.get(8)?);
        if rl > 0 {
            rate.push(LimitedSession {
                session: session.clone(),
                runtime: runtime.clone(),
                hits: rl,
                first_ms: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
            });
        }
        let bu = u(r.get(10)?);
        if bu > 0 {
            budget.push(LimitedSession {
                session,
                runtime,
                hits: bu,
                first_ms: r.get::<_, Option<i64>>(11)?.unwrap_or(0),
            });
        }
    }
    Ok((n, top, limited(rate, max), limited(budget, max)))
}

/// The most asked scopes (grouped in SQLite), then grouped by their learnable pattern.
fn top_asked(tx: &Transaction<'_>, f: &Filter) -> anyhow::Result<Vec<AskedPattern>> {
    let sql = format!(
        "SELECT project, tool, action, scope, count(*) FROM checks \
         WHERE decision = 'ask' AND {} GROUP BY project, tool, action, scope \
         ORDER BY 5 DESC, 4 LIMIT ?4",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(
        f.params(&[SqlValue::Integer(ASKED_SCOPES)]),
    ))?;
    let mut by: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let project: String = r.get(0)?;
        let tool: String = r.get(1)?;
        let action: String = r.get(2)?;
        let scope: String = r.get(3)?;
        let n = u(r.get(4)?);
        let pattern = pattern_of(&project, &tool, &action, &scope);
        *by.entry((tool, action, pattern)).or_default() += n;
    }
    let mut v: Vec<AskedPattern> = by
        .into_iter()
        .map(|((tool, action, pattern), asks)| AskedPattern {
            tool,
            action,
            pattern,
            asks,
        })
        .collect();
    v.sort_by(|a, b| b.asks.cmp(&a.asks).then_with(|| a.pattern.cmp(&b.pattern)));
    v.truncate(TOP_ASKED);
    Ok(v)
}

/// The learnable pattern of a request's riskiest segment, or its scope when it has none.
fn pattern_of(project: &str, tool: &str, action: &str, scope: &str) -> String {
    let ctx = crate::risk::Context {
        cwd: if project.starts_with('/') {
            project.to_string()
        } else {
            String::new()
        },
        project: project.to_string(),
        home: String::new(),
        protected_paths: Vec::new(),
        resolver: None,
    };
    let a = crate::risk::assess(tool, action, scope, &ctx);
    a.segments
        .iter()
        .max_by_key(|s| s.risk.tier)
        .and_then(|s| s.pattern.clone())
        .unwrap_or_else(|| scope.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_widths_follow_the_span() {
        let t = 1_795_680_000_000;
        assert_eq!(buckets(t - DAY_MS, t).1, HOUR_MS);
        assert_eq!(buckets(t - 7 * DAY_MS, t).1, DAY_MS);
        let (_, w, n) = buckets(t - 3 * 365 * DAY_MS, t);
        assert!(w >= WEEK_MS && n <= MAX_BUCKETS + 1, "{w} {n}");
        let (o, w, n) = buckets(t - 7 * DAY_MS, t);
        assert_eq!(o % w, 0);
        assert!(o + (n - 1) * w <= t && t < o + n * w);
        // Extreme inputs neither overflow nor make too many buckets.
        for (s, u) in [(i64::MIN, t), (0, i64::MAX), (t, t), (t + DAY_MS, t)] {
            let (_, w, n) = buckets(s, u);
            assert!(
                w > 0 && (1..=MAX_BUCKETS + 1).contains(&n),
                "{s} {u}: {w} {n}"
            );
        }
    }
}
