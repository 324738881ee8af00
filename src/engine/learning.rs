//! Learning from human decisions: which keys a decision counts for, how it is recorded (the
//! exact decision plus the materialized aggregate, in one transaction), and how an aggregate
//! turns into an automatic decision.
//!
//! Counting rule for compound shell commands: an approval counts for every segment (the human
//! accepted each of them). A denial counts only against the segments of the request's highest
//! risk tier, so `cd x && rm -rf build` blames `rm -rf build`, not `cd x`; the other segments
//! are linked to the decision with `counted = none`. A decision counts at most once per key.

use super::config::EngineConfig;
use super::snapshot::Snapshot;
use super::state::{
    AuditNote, Counted, DecisionRow, KeyKind, LearnKey, PatternStats, Source, State,
};
use crate::request::{Decision, RiskTier};
use crate::risk::Assessment;

pub use super::rows::GLOBAL;

const DAY_MS: f64 = 86_400_000.0;

/// The learning key of one segment: its derived pattern, or its exact text when it must never
/// be generalized.
pub fn key_of(pattern: Option<&str>, command: &str) -> LearnKey {
    match pattern {
        Some(p) => LearnKey {
            kind: KeyKind::Pattern,
            key: p.to_string(),
        },
        None => LearnKey {
            kind: KeyKind::Exact,
            key: command.to_string(),
        },
    }
}

/// What an aggregate says on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Learned {
    /// Not enough (or split, or expired) evidence.
    Undecided,
    /// Consistently approved.
    Allow,
    /// Consistently denied.
    Deny,
}

/// Weighted (approvals, total) of an aggregate.
pub fn weighted(stats: &PatternStats, cfg: &EngineConfig) -> (f64, f64) {
    let a = f64::from(stats.human_allow);
    let d = f64::from(stats.human_deny) + cfg.inferred_deny_weight * f64::from(stats.inferred_deny);
    (a, a + d)
}

/// Whether an aggregate has expired at `now_ms` (no human confirmation for the max age).
pub fn expired(stats: &PatternStats, cfg: &EngineConfig, now_ms: i64) -> bool {
    (now_ms - stats.last_ms) as f64 > cfg.pattern_max_age_days * DAY_MS
}

/// Evaluates an aggregate at the MEDIUM threshold (`min_decisions`); see [`evaluate_for`].
pub fn evaluate(stats: &PatternStats, cfg: &EngineConfig, now_ms: i64) -> Learned {
    evaluate_for(stats, cfg, now_ms, RiskTier::Medium)
}

/// Evaluates an aggregate for a request of `tier`: enough weighted decisions for the tier
/// ([`EngineConfig::needed`]), not expired, rate past a threshold; an approval rate decides
/// only once [`EngineConfig::min_humans`] distinct humans have decided the pattern.
pub fn evaluate_for(
    stats: &PatternStats,
    cfg: &EngineConfig,
    now_ms: i64,
    tier: RiskTier,
) -> Learned {
    let (a, n) = weighted(stats, cfg);
    if n <= 0.0 || n + 1e-9 < f64::from(cfg.needed(tier)) || expired(stats, cfg, now_ms) {
        return Learned::Undecided;
    }
    let rate = a / n;
    if rate >= cfg.approve_threshold {
        if stats.humans < cfg.min_humans.max(1) {
            return Learned::Undecided;
        }
        Learned::Allow
    } else if rate <= cfg.deny_threshold {
        Learned::Deny
    } else {
        Learned::Undecided
    }
}

/// [`lookup_for`] at the MEDIUM threshold.
pub fn lookup(
    st: &mut dyn State,
    cfg: &EngineConfig,
    now_ms: i64,
    project: &str,
    tool: &str,
    action: &str,
    key: &LearnKey,
) -> anyhow::Result<Option<(Decision, String)>> {
    lookup_for(
        st,
        cfg,
        now_ms,
        project,
        tool,
        action,
        key,
        RiskTier::Medium,
    )
}

/// Looks a key up in the project, then globally; the first tier that decides wins. The
/// decisions needed depend on the risk tier of the segment being decided (`risk`).
/// Returns the decision and its `decided_by` (`learned:project:git log *`).
#[allow(clippy::too_many_arguments)]
pub fn lookup_for(
    st: &mut dyn State,
    cfg: &EngineConfig,
    now_ms: i64,
    project: &str,
    tool: &str,
    action: &str,
    key: &LearnKey,
    risk: RiskTier,
) -> anyhow::Result<Option<(Decision, String)>> {
    if !cfg.learning_enabled {
        return Ok(None);
    }
    let tiers: &[&str] = if project == GLOBAL {
        &[GLOBAL]
    } else {
        &[project, GLOBAL]
    };
    for (i, tier) in tiers.iter().enumerate() {
        if let Some(stats) = st.pattern(tier, tool, action, key)? {
            let label = if i == 0 && *tier != GLOBAL {
                "project"
            } else {
                "global"
            };
            let by = format!("learned:{label}:{}", key.key);
            match evaluate_for(&stats, cfg, now_ms, risk) {
                Learned::Allow => return Ok(Some((Decision::Allow, by))),
                Learned::Deny => return Ok(Some((Decision::Deny, by))),
                Learned::Undecided => {}
            }
        }
    }
    Ok(None)
}

/// The name cross-project evidence is shown under (`learned:cross-project:git status *`).
pub const CROSS_PROJECT: &str = "cross-project";

/// Whether a segment's learned decisions may count in the other projects a human works in:
/// a generalized shell pattern of LOW or MEDIUM risk whose words are all bare names (letters,
/// digits, `-`, `_`): `git status`, `cargo test --release`, `npm run lint`. A word that could
/// name a file, a place or a value (`/`, `.`, `~`, `=`, `$`, quotes, globs, redirections…)
/// keeps the evidence in its project: what it touches depends on where it runs.
pub fn travels(tool: &str, pattern: Option<&str>, command: &str, tier: RiskTier) -> bool {
    tool == "shell"
        && pattern.is_some()
        && tier <= RiskTier::Medium
        && !command.trim().is_empty()
        && command.split_whitespace().all(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Cross-project evidence of `key`: its aggregates in every project but `global`, summed,
/// when at least one is from a project other than `project`.
fn across_projects(snap: &Snapshot, project: &str, key: &LearnKey) -> Option<PatternStats> {
    let rows: Vec<&PatternStats> = snap
        .patterns
        .iter()
        .filter(|p| &p.key == key && p.project != GLOBAL)
        .collect();
    if !rows.iter().any(|p| p.project != project) {
        return None;
    }
    let first = rows.first()?;
    let mut sum = PatternStats {
        project: CROSS_PROJECT.to_string(),
        tool: first.tool.clone(),
        action: first.action.clone(),
        key: key.clone(),
        human_allow: 0,
        human_deny: 0,
        inferred_deny: 0,
        rapid_allow: 0,
        humans: 0,
        first_ms: i64::MAX,
        last_ms: i64::MIN,
        revoked_ms: None,
    };
    for p in rows {
        sum.human_allow += p.human_allow;
        sum.human_deny += p.human_deny;
        sum.inferred_deny += p.inferred_deny;
        sum.rapid_allow += p.rapid_allow;
        sum.humans = sum.humans.max(p.humans);
        sum.first_ms = sum.first_ms.min(p.first_ms);
        sum.last_ms = sum.last_ms.max(p.last_ms);
        sum.revoked_ms = sum.revoked_ms.max(p.revoked_ms);
    }
    Some(sum)
}

/// [`lookup_for`] over a check's snapshot: the project's aggregate of `key`, then the global
/// one; then, for a segment that [`travels`] in a project where the human has decided before,
/// the key's evidence summed over the projects. The first that decides wins.
#[allow(clippy::too_many_arguments)]
pub fn lookup_in(
    snap: &Snapshot,
    cfg: &EngineConfig,
    now_ms: i64,
    project: &str,
    key: &LearnKey,
    risk: RiskTier,
    travels: bool,
) -> Option<(Decision, String)> {
    if !cfg.learning_enabled {
        return None;
    }
    let tiers: &[&str] = if project == GLOBAL {
        &[GLOBAL]
    } else {
        &[project, GLOBAL]
    };
    for (i, tier) in tiers.iter().enumerate() {
        if let Some(stats) = snap.pattern(tier, key) {
            let label = if i == 0 && *tier != GLOBAL {
                "project"
            } else {
                "global"
            };
            let by = format!("learned:{label}:{}", key.key);
            match evaluate_for(stats, cfg, now_ms, risk) {
                Learned::Allow => return Some((Decision::Allow, by)),
                Learned::Deny => return Some((Decision::Deny, by)),
                Learned::Undecided => {}
            }
        }
    }
    if travels
        && snap.project_known
        && project != GLOBAL
        && let Some(sum) = across_projects(snap, project, key)
    {
        let by = format!("learned:{CROSS_PROJECT}:{}", key.key);
        match evaluate_for(&sum, cfg, now_ms, risk) {
            Learned::Allow => return Some((Decision::Allow, by)),
            Learned::Deny => return Some((Decision::Deny, by)),
            Learned::Undecided => {}
        }
    }
    None
}

/// Learning progress of a key in a project for a request of `tier`: (weighted decisions so
/// far, needed).
pub fn progress(
    st: &mut dyn State,
    cfg: &EngineConfig,
    project: &str,
    tool: &str,
    action: &str,
    key: &LearnKey,
    tier: RiskTier,
) -> anyhow::Result<(u32, u32)> {
    let n = match st.pattern(project, tool, action, key)? {
        Some(s) => weighted(&s, cfg).1.floor() as u32,
        None => 0,
    };
    Ok((n, cfg.needed(tier)))
}

/// A human decision to record.
#[derive(Debug, Clone)]
pub struct HumanDecision<'a> {
    /// Session key.
    pub session: &'a str,
    /// Runtime.
    pub runtime: &'a str,
    /// Project (already resolved).
    pub project: &'a str,
    /// Tool.
    pub tool: &'a str,
    /// Action.
    pub action: &'a str,
    /// Exact scope.
    pub scope: &'a str,
    /// Content hash.
    pub content_hash: Option<&'a str>,
    /// allow or deny (ask is refused).
    pub decision: Decision,
    /// Where it came from.
    pub source: Source,
    /// Who.
    pub who: &'a str,
    /// The machine the decision was made on (empty when unknown).
    pub host: &'a str,
    /// The pending ask it resolves.
    pub pending_id: Option<&'a str>,
}

/// What recording did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The decision row id.
    pub id: i64,
    /// It was a rubber stamp (not counted).
    pub rapid: bool,
    /// Progress of the request's deciding key (highest-risk segment) after recording.
    pub progress: (u32, u32),
}

/// Records a human decision: the exact row, one count per distinct key, session memory
/// (not for inferred denials) and an audit event.
pub fn record(
    st: &mut dyn State,
    cfg: &EngineConfig,
    now_ms: i64,
    d: &HumanDecision<'_>,
    assessment: &Assessment,
) -> anyhow::Result<Recorded> {
    if d.decision == Decision::Ask {
        anyhow::bail!("a human decision is allow or deny");
    }
    let rapid = d.decision == Decision::Allow
        && d.source != Source::Inferred
        && cfg.rapid_min_count > 0
        && st.recent_allows(
            d.session,
            d.tool,
            d.action,
            now_ms - cfg.rapid_window_seconds * 1000,
        )? + 1
            >= u64::from(cfg.rapid_min_count);
    let id = st.insert_decision(&DecisionRow {
        ts_ms: now_ms,
        project: d.project.to_string(),
        session: d.session.to_string(),
        runtime: d.runtime.to_string(),
        tool: d.tool.to_string(),
        action: d.action.to_string(),
        scope: d.scope.to_string(),
        content_hash: d.content_hash.map(str::to_string),
        decision: d.decision,
        source: d.source,
        who: d.who.to_string(),
        rapid,
        pending_id: d.pending_id.map(str::to_string),
    })?;
    let top = assessment
        .segments
        .iter()
        .map(|s| s.risk.tier)
        .max()
        .unwrap_or(RiskTier::Medium);
    let mut seen = std::collections::BTreeSet::new();
    let mut deciding: Option<LearnKey> = None;
    for seg in &assessment.segments {
        let key = key_of(seg.pattern.as_deref(), &seg.command);
        if !seen.insert(key.clone()) {
            continue;
        }
        let counted = match (d.decision, d.source) {
            (Decision::Allow, _) if rapid => Counted::Rapid,
            (Decision::Allow, _) => Counted::Allow,
            _ if seg.risk.tier < top => Counted::None,
            (_, Source::Inferred) => Counted::InferredDeny,
            _ => Counted::Deny,
        };
        if seg.risk.tier == top && deciding.is_none() {
            deciding = Some(key.clone());
        }
        st.count_key(
            id, d.project, d.tool, d.action, &key, counted, d.who, now_ms,
        )?;
    }
    if d.source != Source::Inferred {
        st.put_memory(
            d.session,
            d.project,
            d.tool,
            d.action,
            d.scope,
            d.content_hash.unwrap_or(""),
            d.decision,
            d.who,
            now_ms,
        )?;
    }
    let progress = match &deciding {
        Some(k) => progress(st, cfg, d.project, d.tool, d.action, k, top)?,
        None => (0, cfg.needed(top)),
    };
    st.audit(
        &AuditNote {
            event_type: "decision.human".into(),
            actor_type: "human".into(),
            actor_id: d.who.to_string(),
            principal: d.who.to_string(),
            host: d.host.to_string(),
            runtime: d.runtime.to_string(),
            session: d.session.to_string(),
            project: d.project.to_string(),
            entity: format!("{}/{}/{}", d.tool, d.action, d.scope),
            summary: format!(
                "{} {}/{} {}{}",
                d.decision.as_str().to_uppercase(),
                d.tool,
                d.action,
                d.scope,
                if rapid {
                    " (rubber-stamped, not counted)"
                } else {
                    ""
                }
            ),
            details: serde_json::json!({
                "decision_id": id, "decision": d.decision.as_str(), "source": d.source.as_str(),
                "tool": d.tool, "action": d.action, "scope": d.scope, "project": d.project,
                "session": d.session, "content_hash": d.content_hash, "rapid": rapid,
                "pending_id": d.pending_id,
            }),
        },
        now_ms,
    )?;
    Ok(Recorded {
        id,
        rapid,
        progress,
    })
}

/// What a revocation touched.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Revoked {
    /// Keys revoked.
    pub keys: Vec<LearnKey>,
    /// Decisions marked revoked.
    pub decisions: u64,
}

/// Revokes a pattern (or exact key) in every project, audited.
pub fn revoke_key(
    st: &mut dyn State,
    now_ms: i64,
    tool: &str,
    action: &str,
    key: &LearnKey,
    by: &str,
    reason: &str,
) -> anyhow::Result<u64> {
    let n = st.revoke_key(tool, action, key, now_ms, by, reason)?;
    st.audit(
        &AuditNote {
            event_type: "pattern.revoked".into(),
            actor_type: "human".into(),
            actor_id: by.to_string(),
            entity: format!("{tool}/{action}/{}", key.key),
            summary: format!("revoked {tool}/{action} {} ({n} decisions)", key.key),
            details: serde_json::json!({
                "tool": tool, "action": action, "kind": key.kind.as_str(), "key": key.key,
                "decisions": n, "reason": reason,
            }),
            ..AuditNote::default()
        },
        now_ms,
    )?;
    Ok(n)
}

/// Revokes an exact scope: its decisions, and every key they (or the scope's assessment)
/// derive, so revoking `git log --oneline` also revokes `git log *`.
#[allow(clippy::too_many_arguments)]
pub fn revoke_scope(
    st: &mut dyn State,
    now_ms: i64,
    tool: &str,
    action: &str,
    scope: &str,
    assessment: &Assessment,
    by: &str,
    reason: &str,
) -> anyhow::Result<Revoked> {
    let ids = st.decisions_with_scope(tool, action, scope)?;
    let mut keys = std::collections::BTreeSet::new();
    for id in &ids {
        keys.extend(st.keys_of_decision(*id)?);
    }
    for seg in &assessment.segments {
        keys.insert(key_of(seg.pattern.as_deref(), &seg.command));
    }
    st.revoke_decisions(&ids, now_ms, by)?;
    let mut out = Revoked {
        keys: Vec::new(),
        decisions: ids.len() as u64,
    };
    for k in keys {
        out.decisions += revoke_key(st, now_ms, tool, action, &k, by, reason)?;
        out.keys.push(k);
    }
    Ok(out)
}
