//! `aiperture store migrate --merge`: appends a solo store's history to a store that already
//! has its own audit chain (two developers each used aiperture solo, then share one store).
//!
//! The target keeps its chain. Every source event the target has not merged yet is appended
//! as a new event (new `seq`, `prev_hash`, `hash`), its details carrying the original under
//! `merged_from` (`seq`, `hash`) so an auditor can match it to the source's own verified
//! chain; then one `store.merged` event names the source, its verified head and the counts.
//! Two chains are never interleaved, and no original hash is rewritten without that trace.
//!
//! The other tables follow: rows with integer ids (checks, decisions, revocations,
//! executions) are renumbered, a decision's learning keys follow its new id; rows keyed by
//! natural keys (sessions, grants, …) are inserted when absent (the target's row wins). A
//! revocation in either store wins: the other store's earlier decisions on a revoked key are
//! marked revoked. The learned aggregates are then recomputed from the merged decisions, as
//! `audit verify` cross-checks them.
//!
//! Idempotent: the `store.merged` event records the source's first hash, head and highest
//! ids, so a second merge of the same source appends only what came after, or nothing.
//! The target is either store (a [`Target`]: one write transaction on SQLite, or on the team
//! store under its write lock, so hooks wait for the merge rather than interleave with it).
//! The source is streamed into it from one read snapshot, a batch of rows at a time, so a
//! store of any size merges in bounded memory.

mod target;

use super::source::{select_sql, stream_queries};
use super::{BATCH, Options, Shape, Table, Val, select_rows, shapes, tables_of};
use crate::audit::{self, ActorType, NewEvent};
use crate::key::KEY_LEN;
use crate::store::postgres::pg_err;
use crate::store::{AnyStore, Location};
use anyhow::{anyhow, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use target::{Conflict, PgTarget, SqliteTarget, Target};

/// Tables whose integer `id` is renumbered on the target.
const RENUMBERED: &[&str] = &["checks", "decisions", "executions", "revocations"];

/// Tables the merge handles itself or leaves alone.
const SPECIAL: &[&str] = &[
    "audit_events",
    "decision_keys",
    "patterns",
    "pattern_humans",
];

/// The event type recording one merge.
pub const MERGED: &str = "store.merged";

/// What a merge did (or, in a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Source events appended to the target's chain (the `store.merged` event not counted).
    pub events: u64,
    /// Rows added per table (audit events not counted); absent when none.
    pub rows: BTreeMap<String, u64>,
    /// Decisions of either store marked revoked by a revocation in the other.
    pub revoked: u64,
    /// Whether nothing was written because this was a dry run.
    pub dry_run: bool,
}

/// One source event as read.
struct SourceEvent {
    seq: i64,
    ts_ms: i64,
    ev: NewEvent,
    actor_type: String,
    hash: String,
}

/// Merges the store at `from` into the store at `to` (SQLite or the team store). The source must verify; the
/// target verifies afterwards (chain and learned state) or the call fails.
pub fn merge(
    from: &Location,
    to: &Location,
    opts: Options,
    shown_from: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<MergeOutcome> {
    let (source, target) = super::open_pair(from, to, opts.key)?;
    let before = target.verify_audit(Some(opts.key))?;
    if !before.intact {
        bail!(
            "refusing: the target's audit chain does not verify ({})",
            before.problem.as_deref().unwrap_or("unknown problem")
        );
    }
    let first = select_rows(
        &source,
        "SELECT hash FROM audit_events ORDER BY seq LIMIT 1",
        1,
    )?;
    let Some(Val::Text(first_hash)) = first.first().and_then(|r| r.first()).cloned() else {
        progress("the source's audit chain is empty: nothing to merge");
        return Ok(MergeOutcome {
            dry_run: opts.dry_run,
            ..MergeOutcome::default()
        });
    };
    let target_first = select_rows(
        &target,
        "SELECT hash FROM audit_events ORDER BY seq LIMIT 1",
        1,
    )?;
    if let Some(Val::Text(h)) = target_first.first().and_then(|r| r.first())
        && *h == first_hash
    {
        bail!(
            "refusing: the target's chain starts like the source's (a copy of it); use \
             `store migrate` without --merge"
        );
    }
    let prior = prior_merge(&target, &first_hash)?;
    let after_seq = prior.as_ref().map_or(0, |p| p.head_seq);
    let last = select_rows(
        &source,
        &format!(
            "SELECT seq, hash FROM audit_events WHERE seq > {after_seq} ORDER BY seq DESC LIMIT 1"
        ),
        2,
    )?;
    let (head_seq, head_hash) = match last.first().map(|r| (&r[0], &r[1])) {
        None => {
            progress("every event of the source is already merged: nothing to do");
            return Ok(MergeOutcome {
                dry_run: opts.dry_run,
                ..MergeOutcome::default()
            });
        }
        Some((Val::Integer(s), Val::Text(h))) => (*s, h.clone()),
        Some(_) => bail!("audit_events: a row without an integer seq and a text hash"),
    };
    let event_count = match select_rows(
        &source,
        &format!("SELECT count(*) FROM audit_events WHERE seq > {after_seq} AND seq <= {head_seq}"),
        1,
    )?
    .first()
    .and_then(|r| r.first())
    {
        Some(Val::Integer(n)) => u64::try_from(*n).unwrap_or(0),
        _ => bail!("cannot count the source's events"),
    };
    progress(&format!(
        "{event_count} source events to append after the target's chain"
    ));
    let tables = tables_of(&source)?;
    let tshapes = shapes(&target)?;
    let now = crate::clock::Clock::now_ms(&crate::clock::SystemClock);
    let dry = opts.dry_run;
    let plan = Plan {
        source: &source,
        events: (after_seq, event_count),
        tables: &tables,
        tshapes: &tshapes,
        prior: prior.as_ref(),
        shown_from,
        first_hash: &first_hash,
        head: (head_seq, &head_hash),
        now,
        key: opts.key,
    };
    let mut out = match &target {
        AnyStore::Sqlite(t) => t.db().write(|tx| {
            tx.execute_batch("SAVEPOINT merge")?;
            let out = write(&mut SqliteTarget(tx), &plan, progress)?;
            tx.execute_batch(if dry {
                "ROLLBACK TO merge; RELEASE merge"
            } else {
                "RELEASE merge"
            })?;
            Ok(out)
        })?,
        AnyStore::Postgres(p) => p.write_conn(|c| {
            c.client.batch_execute("SAVEPOINT merge").map_err(pg_err)?;
            // A target copied by an older `store migrate` may have its sequences behind.
            super::advance_identities(c, RENUMBERED)?;
            let out = write(&mut PgTarget::new(c, &tshapes), &plan, progress)?;
            c.client
                .batch_execute(if dry {
                    "ROLLBACK TO SAVEPOINT merge"
                } else {
                    "RELEASE SAVEPOINT merge"
                })
                .map_err(pg_err)?;
            Ok(out)
        })?,
    };
    out.dry_run = dry;
    if !dry {
        let after = target.verify_audit(Some(opts.key))?;
        if !after.intact {
            bail!(
                "the merge does not verify on the target: {}",
                after.problem.as_deref().unwrap_or("unknown problem")
            );
        }
    }
    Ok(out)
}

/// What one merge writes: the source's rows are streamed from `source` while the target's
/// write transaction is open (one batch in memory at a time).
struct Plan<'a> {
    source: &'a AnyStore,
    /// The source's events to append: those after this `seq` up to the head, and how many.
    events: (i64, u64),
    tables: &'a [Table],
    tshapes: &'a BTreeMap<String, Shape>,
    prior: Option<&'a Prior>,
    shown_from: &'a str,
    first_hash: &'a str,
    head: (i64, &'a str),
    now: i64,
    key: &'a [u8; KEY_LEN],
}

/// Appends the source's events, copies its rows and records the merge, inside the target's
/// write transaction `t`.
fn write(
    t: &mut dyn Target,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<MergeOutcome> {
    let mut out = MergeOutcome::default();
    // The order rows go in: the events, the tables without special handling, then the
    // decisions' learning keys (their new ids known by then), then the learned patterns.
    let mut order: Vec<&Table> = Vec::new();
    for table in plan.tables {
        if !plan.tshapes.contains_key(&table.name) {
            bail!(
                "the target has no table `{}`: its schema is older than the source's",
                table.name
            );
        }
        if !SPECIAL.contains(&table.name.as_str()) {
            order.push(table);
        }
    }
    for name in ["decision_keys", "patterns", "pattern_humans"] {
        if let Some(table) = plan.tables.iter().find(|t| t.name == name) {
            order.push(table);
        }
    }
    let (after, count) = plan.events;
    let (head_seq, head_hash) = plan.head;
    let mut queries = vec![(events_sql(after, head_seq), EVENT_COLUMNS)];
    queries.extend(order.iter().map(|t| (select_sql(t), t.columns.len())));
    let floor = |name: &str| plan.prior.and_then(|p| p.max_ids.get(name)).copied();
    let mut max_ids: BTreeMap<String, i64> = order
        .iter()
        .filter(|t| RENUMBERED.contains(&t.name.as_str()))
        .map(|t| (t.name.clone(), floor(&t.name).unwrap_or(0)))
        .collect();
    let mut decision_ids = BTreeMap::new();
    stream_queries(plan.source, &queries, BATCH, &mut |i, rows| {
        let Some(table) = i.checked_sub(1).map(|k| order[k]) else {
            for r in rows {
                let e = event_of(r)?;
                let mut ev = e.ev;
                let original = json!({"seq": e.seq, "hash": e.hash, "actor_type": e.actor_type});
                ev.details = match ev.details {
                    Value::Object(mut m) => {
                        m.insert("merged_from".into(), original);
                        Value::Object(m)
                    }
                    other => json!({"original": other, "merged_from": original}),
                };
                t.append(plan.key, &ev, e.ts_ms)?;
                out.events += 1;
            }
            progress(&format!("appended {} of {count} events", out.events));
            return Ok(());
        };
        let name = table.name.as_str();
        let all: Vec<usize> = (0..table.columns.len()).collect();
        let mut n = 0u64;
        if name == "decision_keys" {
            let did = col(table, "decision_id")?;
            for r in rows {
                let Val::Integer(old) = r[did] else {
                    bail!("decision_keys: a row without an integer decision_id");
                };
                let Some(new) = decision_ids.get(&old) else {
                    continue;
                };
                let mut row = r.clone();
                row[did] = Val::Integer(*new);
                n += t.insert(table, &all, &row, Conflict::Fail)?;
            }
        } else if name == "patterns" || name == "pattern_humans" {
            for r in rows {
                n += t.insert(table, &all, r, Conflict::Ignore)?;
            }
        } else {
            let shape = plan
                .tshapes
                .get(name)
                .ok_or_else(|| anyhow!("the target has no table `{name}`"))?;
            let cols: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| shape.columns.iter().any(|(c, _)| *c == table.columns[i]))
                .collect();
            if RENUMBERED.contains(&name) {
                let id = col(table, "id")?;
                let floor = floor(name).unwrap_or(0);
                let keep: Vec<usize> = cols.iter().copied().filter(|&i| i != id).collect();
                for r in rows {
                    let Val::Integer(old) = r[id] else {
                        bail!("{name}: a row without an integer id");
                    };
                    if let Some(top) = max_ids.get_mut(name) {
                        *top = (*top).max(old);
                    }
                    if old <= floor {
                        continue;
                    }
                    let new = t.insert_returning_id(table, &keep, r)?;
                    if name == "decisions" {
                        decision_ids.insert(old, new);
                    }
                    n += 1;
                }
            } else {
                for r in rows {
                    n += t.insert(table, &cols, r, Conflict::Ignore)?;
                }
            }
        }
        if n > 0 {
            *out.rows.entry(name.to_string()).or_insert(0) += n;
        }
        progress(&format!(
            "{name}: {} rows added",
            out.rows.get(name).unwrap_or(&0)
        ));
        Ok(())
    })?;
    out.revoked = t.execute(APPLY_REVOCATIONS[0])?;
    for sql in &APPLY_REVOCATIONS[1..] {
        t.execute(sql)?;
    }
    t.execute(RECOMPUTE_PATTERNS)?;
    let shown_from = plan.shown_from;
    let details = json!({
        "source": shown_from,
        "source_first_hash": plan.first_hash,
        "source_head_seq": head_seq,
        "source_head_hash": head_hash,
        "events": out.events,
        "rows": out.rows,
        "revoked": out.revoked,
        "max_ids": max_ids,
    });
    let mut ev = NewEvent::new(MERGED, ActorType::Human);
    let user = std::env::var("USER").ok();
    ev.actor = crate::identity::actor(None, &[user.as_deref()]);
    ev.entity = shown_from.to_string();
    ev.summary = format!(
        "merged {} events of {shown_from} (head {head_seq} {head_hash})",
        out.events
    );
    ev.details = details;
    t.append(plan.key, &ev, plan.now)?;
    t.finish()?;
    Ok(out)
}

/// What an earlier merge of the same source recorded.
struct Prior {
    head_seq: i64,
    max_ids: BTreeMap<String, i64>,
}

/// The latest `store.merged` event of the source whose chain starts with `first_hash`.
fn prior_merge(target: &AnyStore, first_hash: &str) -> anyhow::Result<Option<Prior>> {
    let rows = select_rows(
        target,
        "SELECT details FROM audit_events WHERE event_type = 'store.merged' ORDER BY seq",
        1,
    )?;
    let mut found = None;
    for r in rows {
        let Some(Val::Text(d)) = r.first() else {
            continue;
        };
        let v = audit::parse_details(d);
        if v.get("source_first_hash").and_then(Value::as_str) != Some(first_hash) {
            continue;
        }
        let head_seq = v
            .get("source_head_seq")
            .and_then(Value::as_i64)
            .ok_or_else(|| anyhow!("a store.merged event without source_head_seq"))?;
        let max_ids = v
            .get("max_ids")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default();
        found = Some(Prior { head_seq, max_ids });
    }
    Ok(found)
}

/// The columns [`events_sql`] reads.
const EVENT_COLUMNS: usize = 14;

/// The source's events after `after` up to `head`, in order.
fn events_sql(after: i64, head: i64) -> String {
    format!(
        "SELECT seq, ts_ms, event_type, actor_type, actor, runtime, session_id, project, \
         principal, host, entity, summary, details, hash FROM audit_events \
         WHERE seq > {after} AND seq <= {head} ORDER BY seq"
    )
}

/// One row of [`events_sql`].
fn event_of(r: &[Val]) -> anyhow::Result<SourceEvent> {
    let s = |v: &Val| match v {
        Val::Text(t) => Ok(t.clone()),
        Val::Null => Ok(String::new()),
        other => Err(anyhow!("audit_events: {other:?} where text was expected")),
    };
    let (Val::Integer(seq), Val::Integer(ts_ms)) = (&r[0], &r[1]) else {
        bail!("audit_events: a row without an integer seq and ts_ms");
    };
    let actor_type = s(&r[3])?;
    let at = match actor_type.as_str() {
        "human" => ActorType::Human,
        "hook" => ActorType::Hook,
        "runtime" => ActorType::Runtime,
        _ => ActorType::System,
    };
    let ev = NewEvent {
        event_type: s(&r[2])?,
        actor_type: at,
        actor: s(&r[4])?,
        runtime: s(&r[5])?,
        session_id: s(&r[6])?,
        project: s(&r[7])?,
        principal: s(&r[8])?,
        host: s(&r[9])?,
        entity: s(&r[10])?,
        summary: s(&r[11])?,
        details: audit::parse_details(&s(&r[12])?),
    };
    Ok(SourceEvent {
        seq: *seq,
        ts_ms: *ts_ms,
        ev,
        actor_type,
        hash: s(&r[13])?,
    })
}

/// The position of column `name` in `t`.
fn col(t: &Table, name: &str) -> anyhow::Result<usize> {
    t.columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| anyhow!("{} has no `{name}` column", t.name))
}

/// A revocation in either store wins: every decision on a revoked key made before the
/// revocation is marked revoked (as `revoke_key` does; the first statement's count is the
/// decisions newly marked), the learning humans who have no standing decision on the key left
/// are dropped, and the patterns take the latest revocation. SQL both stores run.
const APPLY_REVOCATIONS: [&str; 3] = [
    "UPDATE decisions SET revoked_ms = (
             SELECT MAX(r.ts_ms) FROM revocations r JOIN decision_keys dk
                 ON dk.tool = r.tool AND dk.action = r.action AND dk.kind = r.kind
                 AND dk.key = r.key
             WHERE dk.decision_id = decisions.id AND r.ts_ms >= decisions.ts_ms),
           revoked_by = (
             SELECT r.revoked_by FROM revocations r JOIN decision_keys dk
                 ON dk.tool = r.tool AND dk.action = r.action AND dk.kind = r.kind
                 AND dk.key = r.key
             WHERE dk.decision_id = decisions.id AND r.ts_ms >= decisions.ts_ms
             ORDER BY r.ts_ms DESC LIMIT 1)
         WHERE revoked_ms IS NULL AND EXISTS (
             SELECT 1 FROM revocations r JOIN decision_keys dk
                 ON dk.tool = r.tool AND dk.action = r.action AND dk.kind = r.kind
                 AND dk.key = r.key
             WHERE dk.decision_id = decisions.id AND r.ts_ms >= decisions.ts_ms)",
    "DELETE FROM pattern_humans WHERE NOT EXISTS (
             SELECT 1 FROM decision_keys dk JOIN decisions d ON d.id = dk.decision_id
             WHERE d.revoked_ms IS NULL AND dk.project = pattern_humans.project
               AND dk.tool = pattern_humans.tool AND dk.action = pattern_humans.action
               AND dk.kind = pattern_humans.kind AND dk.key = pattern_humans.key
               AND d.who = pattern_humans.who)",
    "UPDATE patterns SET revoked_ms = (SELECT MAX(r.ts_ms) FROM revocations r
             WHERE r.tool = patterns.tool AND r.action = patterns.action
               AND r.kind = patterns.kind AND r.key = patterns.key)
         WHERE EXISTS (SELECT 1 FROM revocations r WHERE r.tool = patterns.tool
               AND r.action = patterns.action AND r.kind = patterns.kind
               AND r.key = patterns.key
               AND (patterns.revoked_ms IS NULL OR r.ts_ms > patterns.revoked_ms))",
];

/// Sets every learned aggregate to what the merged, unrevoked decisions add up to (the sums
/// `audit verify` checks), its humans to the distinct people recorded, and its first and last
/// times to the span of its decisions. SQL both stores run.
const RECOMPUTE_PATTERNS: &str = "UPDATE patterns SET
           human_allow = (SELECT COUNT(*) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE d.revoked_ms IS NULL AND dk.counted = 'allow'
               AND dk.project = patterns.project AND dk.tool = patterns.tool
               AND dk.action = patterns.action AND dk.kind = patterns.kind
               AND dk.key = patterns.key),
           human_deny = (SELECT COUNT(*) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE d.revoked_ms IS NULL AND dk.counted = 'deny'
               AND dk.project = patterns.project AND dk.tool = patterns.tool
               AND dk.action = patterns.action AND dk.kind = patterns.kind
               AND dk.key = patterns.key),
           inferred_deny = (SELECT COUNT(*) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE d.revoked_ms IS NULL
               AND dk.counted = 'inferred_deny'
               AND dk.project = patterns.project AND dk.tool = patterns.tool
               AND dk.action = patterns.action AND dk.kind = patterns.kind
               AND dk.key = patterns.key),
           rapid_allow = (SELECT COUNT(*) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE d.revoked_ms IS NULL AND dk.counted = 'rapid'
               AND dk.project = patterns.project AND dk.tool = patterns.tool
               AND dk.action = patterns.action AND dk.kind = patterns.kind
               AND dk.key = patterns.key),
           humans = (SELECT COUNT(*) FROM pattern_humans h WHERE h.project = patterns.project
               AND h.tool = patterns.tool AND h.action = patterns.action
               AND h.kind = patterns.kind AND h.key = patterns.key),
           first_ms = COALESCE((SELECT MIN(d.ts_ms) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE dk.project = patterns.project
               AND dk.tool = patterns.tool AND dk.action = patterns.action
               AND dk.kind = patterns.kind AND dk.key = patterns.key), first_ms),
           last_ms = COALESCE((SELECT MAX(d.ts_ms) FROM decision_keys dk JOIN decisions d
               ON d.id = dk.decision_id WHERE dk.project = patterns.project
               AND dk.tool = patterns.tool AND dk.action = patterns.action
               AND dk.kind = patterns.kind AND dk.key = patterns.key), last_ms)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;
    use rusqlite::Transaction;

    fn decision(tx: &Transaction, ts: i64, who: &str) -> i64 {
        tx.execute(
            "INSERT INTO decisions (ts_ms, project, session, runtime, tool, action, scope, \
             decision, source, who) VALUES (?1, 'p', 's', 'r', 'shell', 'execute', 'make x', \
             'allow', 'human', ?2)",
            rusqlite::params![ts, who],
        )
        .unwrap();
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO decision_keys VALUES (?1, 'p', 'shell', 'execute', 'exact', 'make x', \
             'allow')",
            [id],
        )
        .unwrap();
        tx.execute(
            "INSERT OR IGNORE INTO pattern_humans VALUES ('p', 'shell', 'execute', 'exact', \
             'make x', ?1)",
            [who],
        )
        .unwrap();
        id
    }

    #[test]
    fn a_revocation_wins_over_earlier_decisions_and_the_counts_follow() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        let got = db
            .write(|tx| {
                let early = decision(tx, 100, "alice");
                let late = decision(tx, 300, "bob");
                tx.execute_batch(
                    "INSERT INTO patterns (project, tool, action, kind, key, human_allow, \
                     humans, first_ms, last_ms) VALUES ('p', 'shell', 'execute', 'exact', \
                     'make x', 7, 5, 1, 1);
                     INSERT INTO revocations (ts_ms, project, tool, action, kind, key, \
                     revoked_by) VALUES (200, '*', 'shell', 'execute', 'exact', 'make x', 'carol');",
                )?;
                let mut t = SqliteTarget(tx);
                let n = t.execute(APPLY_REVOCATIONS[0])?;
                for sql in &APPLY_REVOCATIONS[1..] {
                    t.execute(sql)?;
                }
                t.execute(RECOMPUTE_PATTERNS)?;
                let revoked = |id: i64| -> anyhow::Result<Option<i64>> {
                    Ok(tx.query_row("SELECT revoked_ms FROM decisions WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?)
                };
                let p: (i64, i64, i64, i64, Option<i64>) = tx.query_row(
                    "SELECT human_allow, humans, first_ms, last_ms, revoked_ms FROM patterns",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
                Ok((n, revoked(early)?, revoked(late)?, p))
            })
            .unwrap();
        assert_eq!(got.0, 1, "only the decision before the revocation");
        assert_eq!(got.1, Some(200));
        assert_eq!(got.2, None, "a later approval stands");
        assert_eq!(
            got.3,
            (1, 1, 100, 300, Some(200)),
            "counts from standing decisions"
        );
    }
}
