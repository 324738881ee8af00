//! The decision of DESIGN.md §3, pure: [`decide`] reads a [`Snapshot`] of the store, the
//! request, its assessment, the policy, the settings and the time, and returns the verdict and
//! the [`Effect`]s to apply. It does no I/O; [`keys`] says what the snapshot must hold.
//!
//! Order (the first stage that decides wins): rate limit → deny/ask rules → risk floor →
//! session memory → task grants → learned decisions → allow rules and presets → default; then
//! the session risk budget may turn an allow into an ask. Shell requests are decided per simple
//! command: every segment must be allowed for an allow, any deny denies, and the risk is the
//! highest segment's. HIGH and CRITICAL are never allowed by any stage; auto-deny works at
//! every tier.

use super::baseline;
use super::config::EngineConfig;
use super::learning;
use super::matcher::{ScopeMatcher, is_shell};
use super::modes;
use super::policy::Policy;
use super::presets;
use super::snapshot::{CheckLog, Effect, Snapshot, SnapshotKeys};
use super::state::{AuditNote, LearnKey, PendingAsk, SessionRow};
use crate::request::{Decision, Request, Risk, RiskTier, Segment, Verdict};
use crate::risk::Assessment;

/// Everything a decision reads besides the snapshot and the request.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// Tunables.
    pub cfg: &'a EngineConfig,
    /// Policy files.
    pub policy: &'a Policy,
    /// The user's home directory; a project there is not a project for the read baseline.
    pub home: &'a str,
}

/// The session key: the runtime's session id, or `anon:<runtime>` when it has none (so the
/// rate limit and budget cannot be dodged by omitting the id).
pub fn session_key(req: &Request) -> String {
    if req.session_id.is_empty() {
        let rt = if req.runtime.is_empty() {
            "cli"
        } else {
            req.runtime.as_str()
        };
        format!("anon:{rt}")
    } else {
        req.session_id.clone()
    }
}

/// The budget cost of an allowed request of a tier.
pub fn budget_cost(tier: RiskTier) -> f64 {
    match tier {
        RiskTier::Low => 0.1,
        RiskTier::Medium => 0.3,
        RiskTier::High => 0.7,
        RiskTier::Critical => 1.0,
    }
}

/// The session's budget use at `now_ms`, after the idle reset.
pub fn budget_used(row: Option<&SessionRow>, cfg: &EngineConfig, now_ms: i64) -> f64 {
    match row {
        Some(s)
            if cfg.budget_idle_reset_minutes <= 0
                || now_ms - s.budget_ms <= cfg.budget_idle_reset_minutes * 60_000 =>
        {
            s.budget_used
        }
        _ => 0.0,
    }
}

/// What a decision produced: the verdict, the id of the pending ask it keeps (for an ask that
/// a human will answer), and the writes to apply.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The verdict.
    pub verdict: Verdict,
    /// The pending ask's id, when one is kept.
    pub pending_id: Option<String>,
    /// The writes, in order (empty for a dry run).
    pub effects: Vec<Effect>,
}

struct Seg {
    command: String,
    program: String,
    risk: Risk,
    pattern: Option<String>,
    decision: Option<Decision>,
    decided_by: Option<String>,
}

fn decided(
    decision: Decision,
    by: impl Into<String>,
    reason: impl Into<String>,
) -> Option<(Decision, String, String)> {
    Some((decision, by.into(), reason.into()))
}

/// The segments a request is decided by: the assessment's, or the whole scope as one.
fn segments(req: &Request, a: &Assessment) -> Vec<Seg> {
    let mut segs: Vec<Seg> = a
        .segments
        .iter()
        .map(|s| Seg {
            command: s.command.clone(),
            program: s.program.clone(),
            risk: s.risk.clone(),
            pattern: s.pattern.clone(),
            decision: None,
            decided_by: None,
        })
        .collect();
    if segs.is_empty() {
        segs.push(Seg {
            command: req.scope.clone(),
            program: String::new(),
            risk: a.risk.clone(),
            pattern: None,
            decision: None,
            decided_by: None,
        });
    }
    segs
}

/// What the snapshot of a check must hold for [`decide`] to decide `req` at `now_ms`.
pub fn keys(env: Env<'_>, now_ms: i64, req: &Request, a: &Assessment) -> SnapshotKeys {
    let cfg = env.cfg;
    let mut keys: Vec<LearnKey> = Vec::new();
    let mut travel: Vec<LearnKey> = Vec::new();
    for s in segments(req, a) {
        let k = learning::key_of(s.pattern.as_deref(), &s.command);
        if cfg.learning_across_projects
            && learning::travels(&req.tool, s.pattern.as_deref(), &s.command, s.risk.tier)
            && !travel.contains(&k)
        {
            travel.push(k.clone());
        }
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    SnapshotKeys {
        session: session_key(req),
        project: req.project.clone(),
        tool: req.tool.clone(),
        action: req.action.clone(),
        scope: req.scope.clone(),
        content_hash: req.content_hash.clone().unwrap_or_default(),
        rate_window: (cfg.rate_limit_per_minute > 0)
            .then(|| (now_ms - 60_000, u64::from(cfg.rate_limit_per_minute))),
        decidable: a.risk.tier < RiskTier::Critical,
        keys,
        learning: cfg.learning_enabled,
        travel,
        // Only an allow charges the budget, and HIGH and CRITICAL are never allowed.
        budget: cfg.session_risk_budget > 0.0 && a.risk.tier < RiskTier::High,
        written_paths: Vec::new(),
        now_ms,
    }
}

/// Decides a request (its `project` already resolved) from `snap`, read by [`keys`]. With
/// `pending_id` (a fresh id: the check is recorded), the effects log the check, charge the
/// budget, keep a pending ask for an ask and append the audit event; without it
/// (`--dry-run`, a permission request's question), there are none.
pub fn decide(
    snap: &Snapshot,
    env: Env<'_>,
    now_ms: i64,
    req: &Request,
    a: &Assessment,
    pending_id: Option<String>,
) -> Decided {
    let cfg = env.cfg;
    let session = session_key(req);
    let tier = a.risk.tier;
    let mut segs = segments(req, a);
    let scope_of = |s: &Seg| {
        if is_shell(&req.tool) {
            s.command.clone()
        } else {
            req.scope.clone()
        }
    };
    let mut risk = a.risk.clone();

    let outcome = 'decide: {
        // 1. Rate limit (persisted window; the current check counts).
        if cfg.rate_limit_per_minute > 0 {
            let limit = u64::from(cfg.rate_limit_per_minute);
            let n = snap.recent_checks;
            if n + 1 > limit {
                risk.factors.insert(0, "rate_limit_exceeded".into());
                break 'decide decided(
                    Decision::Deny,
                    "rate_limit",
                    format!(
                        "more than {} checks in a minute in this session",
                        cfg.rate_limit_per_minute
                    ),
                );
            }
        }
        // 2. Explicit deny and ask rules (an invalid policy file fails closed).
        if let Some(err) = &env.policy.error {
            if tier == RiskTier::Critical {
                break 'decide decided(cfg.critical_decision, "risk_floor", a.reason.clone());
            }
            break 'decide decided(
                Decision::Ask,
                "policy_error",
                format!("invalid policy file: {err}"),
            );
        }
        let mut ask_rule = None;
        for s in segs.iter_mut() {
            let h = env
                .policy
                .hits(&req.tool, &req.action, &scope_of(s), &s.program, &req.cwd);
            if let Some(r) = h.deny {
                s.decision = Some(Decision::Deny);
                s.decided_by = Some(r.label());
                let why = r
                    .reason
                    .clone()
                    .unwrap_or_else(|| format!("denied by policy rule {}", r.label()));
                break 'decide decided(Decision::Deny, r.label(), why);
            }
            if let (Some(r), None) = (h.ask, &ask_rule) {
                ask_rule = Some((r.label(), r.reason.clone()));
            }
        }
        if let Some((label, why)) = ask_rule {
            let why = why.unwrap_or_else(|| format!("policy rule {label} asks"));
            break 'decide decided(Decision::Ask, label, why);
        }
        // 3. Risk floor.
        if tier == RiskTier::Critical {
            break 'decide decided(cfg.critical_decision, "risk_floor", a.reason.clone());
        }
        let no_allow = tier >= RiskTier::High;
        let mut floor_blocked = false;
        // 4. Session memory: the exact request, unless a key it derives was revoked since.
        if let Some((d, ts)) = snap.memory {
            let mut revoked = false;
            for s in &segs {
                let k = learning::key_of(s.pattern.as_deref(), &s.command);
                if snap.revoked(&k).is_some_and(|r| r >= ts) {
                    revoked = true;
                }
            }
            if !revoked {
                match d {
                    Decision::Deny => {
                        break 'decide decided(
                            Decision::Deny,
                            "session_memory",
                            "denied earlier in this session",
                        );
                    }
                    Decision::Allow if no_allow => floor_blocked = true,
                    Decision::Allow => {
                        break 'decide decided(
                            Decision::Allow,
                            "session_memory",
                            "approved earlier in this session",
                        );
                    }
                    Decision::Ask => {}
                }
            }
        }
        // 5. Task grants.
        let grants: Vec<_> = snap
            .grants
            .iter()
            .filter(|g| g.session.is_empty() || g.session == session)
            .collect();
        for g in grants.iter().filter(|g| g.decision == Decision::Deny) {
            let Ok(m) = ScopeMatcher::new(&g.tool, &g.scope, Some(&req.project), env.home) else {
                continue;
            };
            if segs
                .iter()
                .any(|s| m.restricts_segment(&req.tool, &scope_of(s), &s.program, &req.cwd))
            {
                break 'decide decided(
                    Decision::Deny,
                    format!("grant:{}", g.id),
                    "denied by a task grant",
                );
            }
        }
        for g in grants.iter().filter(|g| g.decision == Decision::Allow) {
            let Ok(m) = ScopeMatcher::new(&g.tool, &g.scope, Some(&req.project), env.home) else {
                continue;
            };
            if segs
                .iter()
                .all(|s| m.matches_segment(&req.tool, &scope_of(s), &s.program, &req.cwd))
            {
                if no_allow {
                    floor_blocked = true;
                    break;
                }
                break 'decide decided(
                    Decision::Allow,
                    format!("grant:{}", g.id),
                    "allowed by a task grant",
                );
            }
        }
        // 6–7. Per segment: learned decisions, then allow rules, then presets.
        let enabled = &snap.presets;
        for s in segs.iter_mut() {
            let key = learning::key_of(s.pattern.as_deref(), &s.command);
            if let Some((d, by)) = learning::lookup_in(
                snap,
                cfg,
                now_ms,
                &req.project,
                &key,
                s.risk.tier,
                cfg.learning_across_projects
                    && learning::travels(&req.tool, s.pattern.as_deref(), &s.command, s.risk.tier),
            ) {
                if d == Decision::Deny {
                    s.decision = Some(Decision::Deny);
                    s.decided_by = Some(by.clone());
                    break 'decide decided(
                        Decision::Deny,
                        by,
                        format!("consistently denied before ({})", key.key),
                    );
                }
                if no_allow || s.risk.tier >= RiskTier::High {
                    floor_blocked = true;
                } else {
                    s.decision = Some(Decision::Allow);
                    s.decided_by = Some(by);
                    continue;
                }
            }
            if no_allow || s.risk.tier >= RiskTier::High {
                continue;
            }
            let scope = scope_of(s);
            let h = env
                .policy
                .hits(&req.tool, &req.action, &scope, &s.program, &req.cwd);
            if let Some(r) = h.allow {
                let trusted = r.source.trusted_allow()
                    || env.policy.trust_project_allow
                    || s.risk.tier == RiskTier::Low;
                if trusted {
                    s.decision = Some(Decision::Allow);
                    s.decided_by = Some(r.label());
                    continue;
                }
            }
            // A path that is a link judged where it lands is never a preset's (issue 21).
            let linked = s.risk.factors.iter().any(|f| f == "symlink_escape");
            if (s.pattern.is_some() || !is_shell(&req.tool)) && !linked {
                for p in enabled {
                    if presets::allows(
                        p,
                        &req.tool,
                        &req.action,
                        &scope,
                        &s.program,
                        &req.cwd,
                        &req.project,
                    )
                    .is_some()
                    {
                        s.decision = Some(Decision::Allow);
                        s.decided_by = Some(format!("preset:{p}"));
                        break;
                    }
                }
            }
            if s.decision.is_none()
                && cfg.allow_project_reads
                && baseline::project_read(
                    &req.tool,
                    &req.action,
                    &scope,
                    s.risk.tier,
                    req,
                    env.home,
                )
            {
                s.decision = Some(Decision::Allow);
                s.decided_by = Some("baseline:project-read".to_string());
            }
            if s.decision.is_none()
                && cfg.allow_read_only_commands
                && is_shell(&req.tool)
                && baseline::read_only_command(
                    &s.command,
                    &s.risk,
                    s.pattern.as_deref(),
                    req,
                    env.home,
                )
            {
                s.decision = Some(Decision::Allow);
                s.decided_by = Some("baseline:read-only".to_string());
            }
        }
        if !no_allow && segs.iter().all(|s| s.decision == Some(Decision::Allow)) {
            let mut by: Vec<String> = Vec::new();
            for s in &segs {
                if let Some(b) = &s.decided_by
                    && !by.contains(b)
                {
                    by.push(b.clone());
                }
            }
            let by = by.join(" + ");
            let why = format!("allowed by {by}");
            break 'decide decided(Decision::Allow, by, why);
        }
        // 8. Default.
        if (no_allow || floor_blocked) && cfg.default_decision != Decision::Deny {
            break 'decide decided(
                Decision::Ask,
                "risk_floor",
                format!("{tier} risk ({}): a human must decide", a.reason),
            );
        }
        decided(
            cfg.default_decision,
            "default",
            "no rule or learned pattern decides this",
        )
    };
    let (mut decision, mut decided_by, mut reason) =
        outcome.unwrap_or((Decision::Ask, "default".to_string(), String::new()));

    // The session risk budget, on every automatic allow.
    let mut session_row = None;
    if decision == Decision::Allow && cfg.session_risk_budget > 0.0 {
        let row = snap.session.clone();
        let used = budget_used(row.as_ref(), cfg, now_ms);
        let cost = budget_cost(tier);
        if used + cost > cfg.session_risk_budget {
            decision = Decision::Ask;
            decided_by = "budget".to_string();
            reason = format!(
                "session risk budget of {} exhausted",
                cfg.session_risk_budget
            );
        } else {
            let mut r = row.unwrap_or_else(|| SessionRow {
                session: session.clone(),
                runtime: req.runtime.clone(),
                project: req.project.clone(),
                started_ms: now_ms,
                last_ms: now_ms,
                budget_used: 0.0,
                budget_ms: now_ms,
                auto_allowed: 0,
            });
            r.budget_used = used + cost;
            r.budget_ms = now_ms;
            r.last_ms = now_ms;
            r.auto_allowed += 1;
            session_row = Some(r);
        }
    }
    if reason.is_empty() {
        reason = a.reason.clone();
    }
    // Under the runtime's auto mode, an unlearned ask below HIGH is left to its classifier.
    if modes::defers(
        req.unasked,
        decision,
        &decided_by,
        tier,
        cfg.auto_mode_prompts,
    ) {
        decided_by = modes::DEFERRED_BY.to_string();
        reason = format!(
            "left to the runtime's auto-mode classifier: {tier} risk, not learned ({})",
            a.reason
        );
    }
    let segments: Vec<Segment> = segs
        .into_iter()
        .map(|s| Segment {
            command: s.command,
            program: s.program,
            risk: s.risk,
            pattern: s.pattern,
            decision: s.decision,
            decided_by: s.decided_by,
        })
        .collect();
    let verdict = Verdict {
        decision,
        decided_by,
        risk,
        reason,
        explanation: a.explanation.clone(),
        segments,
    };
    let mut kept_id = None;
    let mut effects = Vec::new();
    if let Some(fresh_id) = pending_id {
        if let Some(r) = session_row {
            effects.push(Effect::PutSession(r));
        }
        effects.push(Effect::LogCheck(CheckLog {
            ts_ms: now_ms,
            session: session.clone(),
            runtime: req.runtime.clone(),
            event: req.event.clone(),
            tool_use_id: req.tool_use_id.clone(),
            project: req.project.clone(),
            tool: req.tool.clone(),
            action: req.action.clone(),
            scope: req.scope.clone(),
            content_hash: req.content_hash.clone(),
            decision: verdict.decision,
            decided_by: verdict.decided_by.clone(),
            risk_tier: verdict.risk.tier,
            risk_score: verdict.risk.score,
        }));
        // In these modes the runtime runs the tool without asking anyone: its running is no
        // human approval, so no pending ask is kept.
        // A check left to the runtime's classifier keeps none either: what it lets run was
        // approved by a model, not a person. Nor does a session with no human to ask: there
        // the runtime refuses the ask itself, and that refusal is nobody's decision.
        let bypass = req.unasked.runs_unasked(&req.tool)
            || verdict.decided_by == modes::DEFERRED_BY
            || req.headless;
        if verdict.decision == Decision::Ask && !bypass {
            effects.push(Effect::InsertPending(PendingAsk {
                id: fresh_id.clone(),
                ts_ms: now_ms,
                session: session.clone(),
                runtime: req.runtime.clone(),
                tool_use_id: req.tool_use_id.clone(),
                project: req.project.clone(),
                cwd: req.cwd.clone(),
                tool: req.tool.clone(),
                action: req.action.clone(),
                scope: req.scope.clone(),
                content_hash: req.content_hash.clone(),
                risk_tier: verdict.risk.tier,
                state: "pending".into(),
            }));
            kept_id = Some(fresh_id);
        }
        effects.push(Effect::Audit(
            AuditNote {
                event_type: "permission.check".into(),
                actor_type: "hook".into(),
                actor_id: req.runtime.clone(),
                principal: AuditNote::principal_of(req),
                host: AuditNote::host_of(req),
                runtime: req.runtime.clone(),
                session: session.clone(),
                project: req.project.clone(),
                entity: format!("{}/{}/{}", req.tool, req.action, req.scope),
                summary: format!(
                    "{} {}/{} ({})",
                    // Left to the runtime's classifier: nobody was asked.
                    if verdict.decided_by == modes::DEFERRED_BY {
                        "DEFERRED".to_string()
                    } else {
                        verdict.decision.as_str().to_uppercase()
                    },
                    req.tool,
                    req.action,
                    verdict.decided_by
                ),
                details: serde_json::json!({
                    "session": session, "project": req.project, "tool": req.tool,
                    "action": req.action, "scope": req.scope, "content_hash": req.content_hash,
                    "tool_use_id": req.tool_use_id, "decision": verdict.decision.as_str(),
                    "decided_by": verdict.decided_by, "risk": verdict.risk.tier.as_str(),
                    "pending_id": kept_id,
                }),
            },
            now_ms,
        ));
    }
    Decided {
        verdict,
        pending_id: kept_id,
        effects,
    }
}
