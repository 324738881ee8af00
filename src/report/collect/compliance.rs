//! Compliance queries: executions and gaps, CRITICAL denies, open asks, rubber stamps.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Transaction, params_from_iter};

use super::{Filter, count, ratio, u};
use crate::report::model::*;

pub(super) fn limited(mut v: Vec<LimitedSession>, max: usize) -> Listing<LimitedSession> {
    v.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.session.cmp(&b.session)));
    let count = v.len() as u64;
    v.truncate(max);
    Listing { count, items: v }
}

/// Executions and gaps, grouped by runtime and session.
pub(super) fn executions(
    tx: &Transaction<'_>,
    f: &Filter,
    max: usize,
) -> anyhow::Result<Compliance> {
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
        classifier_refusals: 0,
        executions: execs,
        gaps,
        gap_ratio: ratio(gaps, execs),
        gaps_by_runtime: by_runtime,
        gaps_by_session: Listing {
            count: n_sessions,
            items: sessions,
        },
        unchecked: Listing::default(),
        unresolved_asks: Listing::default(),
        inferred_denials: 0,
        rubber_stamps: Listing::default(),
        rate_limited_sessions: Listing::default(),
        budget_exhausted_sessions: Listing::default(),
        critical_denies: Listing::default(),
    })
}

/// The executions with no prior check, newest first (at most `max`; `total` is the gap count
/// from the grouped scan), their commands redacted.
pub(super) fn unchecked(
    tx: &Transaction<'_>,
    f: &Filter,
    max: usize,
    total: u64,
) -> anyhow::Result<Listing<UncheckedExecution>> {
    if total == 0 {
        return Ok(Listing::default());
    }
    let sql = format!(
        "SELECT ts_ms, session, runtime, tool, action, scope, tool_use_id, outcome FROM executions \
         WHERE checked = 0 AND {} ORDER BY id DESC LIMIT ?4",
        Filter::SQL
    );
    let mut st = tx.prepare(&sql)?;
    let rows = st.query_map(
        params_from_iter(f.params(&[SqlValue::Integer(max as i64)])),
        |r| {
            let scope: String = r.get(5)?;
            Ok(UncheckedExecution {
                ts_ms: r.get(0)?,
                session: r.get(1)?,
                runtime: r.get(2)?,
                tool: r.get(3)?,
                action: r.get(4)?,
                scope: crate::risk::redact_secrets(&scope).into_owned(),
                tool_use_id: r.get(6)?,
                outcome: r.get(7)?,
            })
        },
    )?;
    let items: Vec<UncheckedExecution> = rows.collect::<Result<_, _>>()?;
    Ok(Listing {
        count: total.max(items.len() as u64),
        items,
    })
}

/// Every CRITICAL deny, newest first (at most `max`; `total` comes from the cube's scan).
pub(super) fn critical_denies(
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

/// Asks still pending (a scan of `pending_asks`: the hot path keeps no index on its state).
pub(super) fn unresolved_asks(
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
pub(super) fn rubber_stamps(
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
