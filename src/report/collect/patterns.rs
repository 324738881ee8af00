//! Learned patterns and revocations, judged with the engine's own rules.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Transaction, params_from_iter};

use super::{DAY_MS, Filter, count, u};
use crate::engine::learning::{self, Learned};
use crate::engine::state::{KeyKind, LearnKey, PatternStats};
use crate::report::ReportOptions;
use crate::report::model::*;

/// Learned patterns: the aggregate table streamed once, judged with the engine's own rules.
pub(super) fn patterns(
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
