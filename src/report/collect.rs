//! Data collection: aggregate SQL over the store, one consistent read snapshot.
//!
//! Every figure is a `GROUP BY` (or a `LIMIT`ed, ordered read) in SQLite: no query loads all
//! checks, executions or decisions into memory. The checks table is read by three grouped scans
//! (a "cube" of bucket × decision × tier × runtime × stage, the per-session totals, the asked
//! scopes) and one bounded read of the CRITICAL denies; everything else is keyed or indexed.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Transaction, params_from_iter};

use super::ReportOptions;
use super::model::*;
use crate::engine::learning::{self, Learned};
use crate::engine::state::{KeyKind, LearnKey, PatternStats};

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
}

/// Reads every section from the store inside `tx`.
pub(super) fn collect(
    tx: &Transaction<'_>,
    opts: &ReportOptions,
    now_ms: i64,
) -> anyhow::Result<Collected> {
    let f = Filter {
        since: opts.since_ms.unwrap_or(i64::MIN),
        until: now_ms.saturating_add(1),
        project: opts.project.clone(),
    };
    let start = match opts.since_ms {
        Some(s) => s,
        None => first_check_ms(tx)?.unwrap_or(now_ms - 7 * DAY_MS),
    };
    let (origin, bucket_ms, n_buckets) = buckets(start, now_ms);
    let (mut totals, timeline, n_critical) = cube(tx, &f, origin, bucket_ms, n_buckets)?;
    let (sessions, top, rate_limited, budget) = sessions(tx, &f, opts.max_items)?;
    totals.sessions = sessions;
    totals.top_sessions = top;
    let mut compliance = executions(tx, &f, opts.max_items)?;
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
    let top_asked = top_asked(tx, &f)?;
    let patterns = patterns(tx, &f, opts, now_ms)?;
    Ok(Collected {
        window: Window {
            since_ms: opts.since_ms,
            until_ms: now_ms,
            project: opts.project.clone(),
        },
        totals,
        timeline,
        top_asked,
        patterns,
        compliance,
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
    let span = (until - start).max(1);
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
    let origin = start.div_euclid(width) * width;
    let n = (until - origin).div_euclid(width) + 1;
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
            start_ms: origin + i * width,
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

fn limited(mut v: Vec<LimitedSession>, max: usize) -> Listing<LimitedSession> {
    v.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.session.cmp(&b.session)));
    let count = v.len() as u64;
    v.truncate(max);
    Listing { count, items: v }
}

/// Executions and gaps, grouped by runtime and session.
fn executions(tx: &Transaction<'_>, f: &Filter, max: usize) -> anyhow::Result<Compliance> {
    let sql = format!(
        "SELECT runtime, session, count(*), sum(checked = 0) FROM executions WHERE {} \
         GROUP BY runtime, session",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(f.params(&[])))?;
    let mut runtimes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut sessions: Vec<GapGroup> = Vec::new();
    let (mut execs, mut gaps) = (0u64, 0u64);
    while let Some(r) = rows.next()? {
        let runtime: String = r.get(0)?;
        let session: String = r.get(1)?;
        let e = u(r.get(2)?);
        let g = u(r.get(3)?);
        execs += e;
        gaps += g;
        let rt = runtimes.entry(runtime.clone()).or_default();
        rt.0 += e;
        rt.1 += g;
        if g > 0 {
            sessions.push(GapGroup {
                name: session,
                runtime,
                executions: e,
                gaps: g,
                ratio: ratio(g, e),
            });
        }
    }
    let mut by_runtime: Vec<GapGroup> = runtimes
        .into_iter()
        .map(|(name, (e, g))| GapGroup {
            runtime: name.clone(),
            name,
            executions: e,
            gaps: g,
            ratio: ratio(g, e),
        })
        .collect();
    let order = |a: &GapGroup, b: &GapGroup| {
        b.gaps
            .cmp(&a.gaps)
            .then_with(|| b.executions.cmp(&a.executions))
            .then_with(|| a.name.cmp(&b.name))
    };
    by_runtime.sort_by(order);
    sessions.sort_by(order);
    let n_sessions = sessions.len() as u64;
    sessions.truncate(max);
    Ok(Compliance {
        executions: execs,
        gaps,
        gap_ratio: ratio(gaps, execs),
        gaps_by_runtime: by_runtime,
        gaps_by_session: Listing {
            count: n_sessions,
            items: sessions,
        },
        unresolved_asks: Listing::default(),
        inferred_denials: 0,
        rubber_stamps: Listing::default(),
        rate_limited_sessions: Listing::default(),
        budget_exhausted_sessions: Listing::default(),
        critical_denies: Listing::default(),
    })
}

/// Every CRITICAL deny, newest first (at most `max`; `total` comes from the cube's scan).
fn critical_denies(
    tx: &Transaction<'_>,
    f: &Filter,
    max: usize,
    total: u64,
) -> anyhow::Result<Listing<CriticalDeny>> {
    let sql = format!(
        "SELECT ts_ms, session, runtime, tool, action, scope, decided_by FROM checks \
         WHERE risk_tier = 'critical' AND decision = 'deny' AND {} ORDER BY id DESC LIMIT ?4",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let rows = st.query_map(
        params_from_iter(f.params(&[SqlValue::Integer(max as i64)])),
        |r| {
            Ok(CriticalDeny {
                ts_ms: r.get(0)?,
                session: r.get(1)?,
                runtime: r.get(2)?,
                tool: r.get(3)?,
                action: r.get(4)?,
                scope: r.get(5)?,
                decided_by: r.get(6)?,
            })
        },
    )?;
    let items: Vec<CriticalDeny> = rows.collect::<Result<_, _>>()?;
    Ok(Listing {
        count: total.max(items.len() as u64),
        items,
    })
}

/// Asks still pending (the `pending_asks_state` index).
fn unresolved_asks(
    tx: &Transaction<'_>,
    f: &Filter,
    max: usize,
) -> anyhow::Result<Listing<OpenAsk>> {
    let where_ = format!("state = 'pending' AND {}", Filter::SQL);
    let total = count(
        tx,
        &format!("SELECT count(*) FROM pending_asks WHERE {where_}"),
        f,
    )?;
    let mut st = tx.prepare(&format!(
        "SELECT id, ts_ms, session, runtime, tool, action, scope, risk_tier FROM pending_asks \
         WHERE {where_} ORDER BY ts_ms DESC, id LIMIT ?4"
    ))?;
    let rows = st.query_map(
        params_from_iter(f.params(&[SqlValue::Integer(max as i64)])),
        |r| {
            Ok(OpenAsk {
                id: r.get(0)?,
                ts_ms: r.get(1)?,
                session: r.get(2)?,
                runtime: r.get(3)?,
                tool: r.get(4)?,
                action: r.get(5)?,
                scope: r.get(6)?,
                risk_tier: r.get(7)?,
            })
        },
    )?;
    Ok(Listing {
        count: total,
        items: rows.collect::<Result<_, _>>()?,
    })
}

/// Rubber-stamped approvals (the `decisions_rapid` table is small next to checks).
fn rubber_stamps(
    tx: &Transaction<'_>,
    f: &Filter,
    max: usize,
) -> anyhow::Result<Listing<RubberStamp>> {
    let where_ = format!("rapid = 1 AND {}", Filter::SQL);
    let total = count(
        tx,
        &format!("SELECT count(*) FROM decisions WHERE {where_}"),
        f,
    )?;
    let mut st = tx.prepare(&format!(
        "SELECT ts_ms, session, who, tool, action, scope FROM decisions WHERE {where_} \
         ORDER BY id DESC LIMIT ?4"
    ))?;
    let rows = st.query_map(
        params_from_iter(f.params(&[SqlValue::Integer(max as i64)])),
        |r| {
            Ok(RubberStamp {
                ts_ms: r.get(0)?,
                session: r.get(1)?,
                who: r.get(2)?,
                tool: r.get(3)?,
                action: r.get(4)?,
                scope: r.get(5)?,
            })
        },
    )?;
    Ok(Listing {
        count: total,
        items: rows.collect::<Result<_, _>>()?,
    })
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
    };
    let a = crate::risk::assess(tool, action, scope, &ctx);
    a.segments
        .iter()
        .max_by_key(|s| s.risk.tier)
        .and_then(|s| s.pattern.clone())
        .unwrap_or_else(|| scope.to_string())
}

/// Learned patterns: the aggregate table streamed once, judged with the engine's own rules.
fn patterns(
    tx: &Transaction<'_>,
    f: &Filter,
    opts: &ReportOptions,
    now_ms: i64,
) -> anyhow::Result<Patterns> {
    let cfg = &opts.engine;
    let mut st = tx.prepare(
        "SELECT project, tool, action, kind, key, human_allow, human_deny, inferred_deny, \
         rapid_allow, humans, first_ms, last_ms, revoked_ms FROM patterns \
         WHERE ?1 IS NULL OR project = ?1",
    )?;
    let mut rows = st.query([f.project.as_deref()])?;
    let (mut allow, mut deny, mut expiring, mut cand) = (vec![], vec![], vec![], vec![]);
    let soon = (opts.expiring_within_days * DAY_MS as f64) as i64;
    let max_age = (cfg.pattern_max_age_days * DAY_MS as f64) as i64;
    while let Some(r) = rows.next()? {
        let kind: String = r.get(3)?;
        let get32 = |i: usize| -> rusqlite::Result<u32> {
            Ok(u32::try_from(r.get::<_, i64>(i)?.max(0)).unwrap_or(u32::MAX))
        };
        let stats = PatternStats {
            project: r.get(0)?,
            tool: r.get(1)?,
            action: r.get(2)?,
            key: LearnKey {
                kind: KeyKind::parse(&kind).unwrap_or(KeyKind::Exact),
                key: r.get(4)?,
            },
            human_allow: get32(5)?,
            human_deny: get32(6)?,
            inferred_deny: get32(7)?,
            rapid_allow: get32(8)?,
            humans: get32(9)?,
            first_ms: r.get(10)?,
            last_ms: r.get(11)?,
            revoked_ms: r.get(12)?,
        };
        let (a, n) = learning::weighted(&stats, cfg);
        let rate = if n > 0.0 { a / n } else { 0.0 };
        let learned = learning::evaluate(&stats, cfg, now_ms);
        let decides = match learned {
            Learned::Allow => "allow",
            Learned::Deny => "deny",
            Learned::Undecided => "undecided",
        };
        let expires_ms = stats.last_ms.saturating_add(max_age);
        let item = PatternItem {
            project: stats.project.clone(),
            tool: stats.tool.clone(),
            action: stats.action.clone(),
            kind,
            key: stats.key.key.clone(),
            decides: decides.to_string(),
            n,
            rate,
            approvals: u64::from(stats.human_allow),
            denials: u64::from(stats.human_deny),
            inferred_denials: u64::from(stats.inferred_deny),
            rubber_stamps: u64::from(stats.rapid_allow),
            humans: u64::from(stats.humans),
            first_ms: stats.first_ms,
            last_ms: stats.last_ms,
            age_days: (now_ms - stats.last_ms) as f64 / DAY_MS as f64,
            expires_ms,
        };
        match learned {
            Learned::Allow | Learned::Deny => {
                if expires_ms - now_ms <= soon {
                    expiring.push(item.clone());
                }
                if learned == Learned::Allow {
                    allow.push(item);
                } else {
                    deny.push(item);
                }
            }
            Learned::Undecided => {
                let min = f64::from(cfg.min_decisions);
                let leaning = rate >= cfg.approve_threshold || rate <= cfg.deny_threshold;
                if n > 0.0
                    && n * 2.0 >= min
                    && n < min
                    && leaning
                    && !learning::expired(&stats, cfg, now_ms)
                {
                    cand.push(item);
                }
            }
        }
    }
    let by_n = |a: &PatternItem, b: &PatternItem| {
        b.n.total_cmp(&a.n)
            .then_with(|| a.tool.cmp(&b.tool))
            .then_with(|| a.key.cmp(&b.key))
    };
    allow.sort_by(by_n);
    deny.sort_by(by_n);
    cand.sort_by(by_n);
    expiring.sort_by(|a, b| {
        a.expires_ms
            .cmp(&b.expires_ms)
            .then_with(|| a.key.cmp(&b.key))
    });
    let listing = |mut v: Vec<PatternItem>| {
        let count = v.len() as u64;
        v.truncate(opts.max_items);
        Listing { count, items: v }
    };
    Ok(Patterns {
        auto_approved: listing(allow),
        auto_denied: listing(deny),
        expiring: listing(expiring),
        candidates: listing(cand),
        revoked: revocations(tx, f, opts.max_items)?,
    })
}

/// Revocations in the window (project-wide ones, `*`, match every project filter).
fn revocations(tx: &Transaction<'_>, f: &Filter, max: usize) -> anyhow::Result<Listing<Revoked>> {
    let where_ = "ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR project = ?3 OR project = '*')";
    let total = count(
        tx,
        &format!("SELECT count(*) FROM revocations WHERE {where_}"),
        f,
    )?;
    let mut st = tx.prepare(&format!(
        "SELECT ts_ms, project, tool, action, key, revoked_by, reason, decisions \
         FROM revocations WHERE {where_} ORDER BY id DESC LIMIT ?4"
    ))?;
    let rows = st.query_map(
        params_from_iter(f.params(&[SqlValue::Integer(max as i64)])),
        |r| {
            Ok(Revoked {
                ts_ms: r.get(0)?,
                project: r.get(1)?,
                tool: r.get(2)?,
                action: r.get(3)?,
                key: r.get(4)?,
                revoked_by: r.get(5)?,
                reason: r.get(6)?,
                decisions: u(r.get(7)?),
            })
        },
    )?;
    Ok(Listing {
        count: total,
        items: rows.collect::<Result<_, _>>()?,
    })
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
    }
}
