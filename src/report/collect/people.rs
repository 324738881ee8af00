//! The report's "by person" section: per actor (the `principal` every audit event records,
//! `src/identity.rs`), the checks made, the asks among them, the human approvals and
//! denials, and the machines seen. One grouped scan of the audit chain in the window.

use rusqlite::{Transaction, params_from_iter};

use super::{Filter, u};
use crate::report::model::Person;

/// The people active in the window, most checks first, at most `max` of them.
pub(super) fn people(tx: &Transaction<'_>, f: &Filter, max: usize) -> anyhow::Result<Vec<Person>> {
    // A check's summary starts with its decision (`ASK shell/execute (default)`), a human
    // decision's with `ALLOW` or `DENY`: the stored text says it without parsing details.
    let sql = format!(
        "SELECT principal, \
         sum(event_type = 'permission.check'), \
         sum(event_type = 'permission.check' AND summary LIKE 'ASK %'), \
         sum(event_type = 'decision.human' AND summary LIKE 'ALLOW %'), \
         sum(event_type = 'decision.human' AND summary LIKE 'DENY %'), \
         count(DISTINCT NULLIF(host, '')) \
         FROM audit_events WHERE event_type IN ('permission.check', 'decision.human') AND {} \
         GROUP BY principal ORDER BY 2 DESC, 1 LIMIT {}",
        Filter::SQL,
        max.max(1)
    );
    let mut stmt = tx.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(f.params(&[])), |r| {
        Ok(Person {
            actor: r.get(0)?,
            checks: u(r.get(1)?),
            asks: u(r.get(2)?),
            approvals: u(r.get(3)?),
            denials: u(r.get(4)?),
            machines: u(r.get(5)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
