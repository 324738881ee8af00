//! What the runtime reports around a check: a tool ran (the matching ask becomes the human's
//! approval), a session ended (asks that never ran become inferred denials), the runtime's own
//! classifier refused a call, and the figures for a session's status line.

use super::{Gate, matching_pending, record_in, written};
use crate::engine::learning::{self, HumanDecision};
use crate::engine::pipeline::{self, session_key};
use crate::engine::state::{AuditNote, Execution, Source};
use crate::engine::store::Store;
use crate::engine::{RanResult, SessionStatus, ToolOutcome, modes};
use crate::error::GateResult;
use crate::request::{Decision, Request};

impl<S: Store> Gate<S> {
    /// The runtime ran a tool call: record the execution, and resolve the matching pending ask
    /// (same session, tool use id, tool and input) as a human approval.
    pub fn tool_ran(&self, req: &Request, outcome: ToolOutcome) -> GateResult<RanResult> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let runs = self.written_runs(&req, &a);
        let written_file = self.write_after(&req, now);
        let key = self.key()?;
        let cfg = self.cfg.clone();
        self.store.write(&key, |st| {
            if !super::claimed(st, &req, "ran", now)? {
                return Ok(RanResult {
                    resolved_ask: false,
                    progress: None,
                });
            }
            let a = written::judged(st, runs.as_ref(), &a)?;
            // The write ran: the file on disk is what a later run of it executes.
            written::remember(st, written_file.as_ref(), Decision::Allow)?;
            let session = session_key(&req);
            let pending = matching_pending(st, &session, &req)?;
            let check_decision = match &req.tool_use_id {
                // A tool reports back after it ran; a day bounds the walk for unchecked calls.
                Some(id) => st.check_of_tool_use(&session, id, now - 86_400_000)?,
                None => None,
            };
            let outcome_s = match outcome {
                ToolOutcome::Succeeded => "succeeded",
                ToolOutcome::Failed => "failed",
            };
            st.insert_execution(&Execution {
                ts_ms: now,
                runtime: req.runtime.clone(),
                session: session.clone(),
                tool_use_id: req.tool_use_id.clone(),
                project: req.project.clone(),
                tool: req.tool.clone(),
                action: req.action.clone(),
                scope: req.scope.clone(),
                checked: check_decision.is_some() || pending.is_some(),
                check_decision: check_decision.or(pending.as_ref().map(|_| Decision::Ask)),
                outcome: outcome_s.into(),
            })?;
            st.audit(
                &AuditNote {
                    event_type: "tool.executed".into(),
                    actor_type: "hook".into(),
                    actor_id: req.runtime.clone(),
                    principal: AuditNote::principal_of(&req),
                    host: AuditNote::host_of(&req),
                    runtime: req.runtime.clone(),
                    session: session.clone(),
                    project: req.project.clone(),
                    entity: format!("{}/{}/{}", req.tool, req.action, req.scope),
                    summary: format!("{}/{} ran ({outcome_s})", req.tool, req.action),
                    details: serde_json::json!({"tool_use_id": req.tool_use_id, "outcome": outcome_s,
                        "checked": check_decision.is_some() || pending.is_some()}),
                },
                now,
            )?;
            let Some(pid) = pending else {
                return Ok(RanResult {
                    resolved_ask: false,
                    progress: None,
                });
            };
            let who = format!("{}-prompt", if req.runtime.is_empty() { "runtime" } else { &req.runtime });
            let rec = record_in(
                st,
                &cfg,
                now,
                &req,
                &a,
                Decision::Allow,
                &who,
                Source::Runtime,
                Some(&pid),
            )?;
            Ok(RanResult {
                resolved_ask: true,
                progress: Some(rec.progress),
            })
        })
    }

    /// The session ended: its pending asks that never ran become inferred denials.
    /// Returns how many were resolved.
    pub fn end_session(&self, runtime: &str, session_id: &str) -> GateResult<u32> {
        let now = self.clock.now_ms();
        let key = self.key()?;
        let probe = Request {
            runtime: runtime.to_string(),
            session_id: session_id.to_string(),
            ..Request::default()
        };
        let session = session_key(&probe);
        let pending = self.store.read(|st| st.pending_in_session(&session))?;
        let assessed: Vec<_> = pending
            .into_iter()
            .map(|p| {
                let r = Request {
                    cwd: p.cwd.clone(),
                    project: p.project.clone(),
                    tool: p.tool.clone(),
                    action: p.action.clone(),
                    scope: p.scope.clone(),
                    ..Request::default()
                };
                let a = self.assess(&r);
                (p, a)
            })
            .collect();
        let cfg = self.cfg.clone();
        let who = format!(
            "{}-prompt",
            if runtime.is_empty() {
                "runtime"
            } else {
                runtime
            }
        );
        self.store.write(&key, |st| {
            st.end_session(&session, now)?;
            let mut n = 0;
            // An agent retrying a refused call asks again and again: one session infers at
            // most one denial per distinct request.
            let mut seen = std::collections::HashSet::new();
            for (p, a) in &assessed {
                // Re-read inside the transaction: another process may have resolved it.
                if st.pending(&p.id)?.is_none_or(|q| q.state != "pending") {
                    continue;
                }
                st.resolve_pending(&p.id, "inferred_deny", now)?;
                n += 1;
                let request = (&p.project, &p.tool, &p.action, &p.scope, &p.content_hash);
                if !seen.insert(request) {
                    continue;
                }
                learning::record(
                    st,
                    &cfg,
                    now,
                    &HumanDecision {
                        session: &session,
                        runtime: &p.runtime,
                        project: &p.project,
                        tool: &p.tool,
                        action: &p.action,
                        scope: &p.scope,
                        content_hash: p.content_hash.as_deref(),
                        decision: Decision::Deny,
                        source: Source::Inferred,
                        who: &who,
                        host: "",
                        pending_id: Some(&p.id),
                    },
                    a,
                )?;
            }
            Ok(n)
        })
    }

    /// The runtime's own classifier refused a tool call (Claude Code's auto mode): one audit
    /// event naming the action and the classifier's reason. It is no human denial: nothing is
    /// learned, and no pending ask is resolved by it.
    pub fn classifier_denied(&self, req: &Request, reason: &str) -> GateResult<()> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let key = self.key()?;
        let reason: String = reason.chars().take(500).collect();
        self.store.write(&key, |st| {
            if !super::claimed(st, &req, "denied", now)? {
                return Ok(());
            }
            let session = session_key(&req);
            st.audit(
                &AuditNote {
                    event_type: "runtime.denied".into(),
                    actor_type: modes::DEFERRED_BY.into(),
                    actor_id: req.runtime.clone(),
                    principal: AuditNote::principal_of(&req),
                    host: AuditNote::host_of(&req),
                    runtime: req.runtime.clone(),
                    session,
                    project: req.project.clone(),
                    entity: format!("{}/{}/{}", req.tool, req.action, req.scope),
                    summary: format!(
                        "DENIED {}/{} by the runtime's classifier: {reason}",
                        req.tool, req.action
                    ),
                    details: serde_json::json!({
                        "tool": req.tool, "action": req.action, "scope": req.scope,
                        "tool_use_id": req.tool_use_id, "reason": reason,
                        "permission_mode": req.permission_mode, "decision": "deny",
                    }),
                },
                now,
            )?;
            Ok(())
        })
    }

    /// Status line figures for a session start.
    pub fn session_status(&self, req: &Request) -> GateResult<SessionStatus> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let cfg = self.cfg.clone();
        self.store.read(|st| {
            let mut approved = 0;
            let mut denied = 0;
            for p in st.list_patterns(&req.project)? {
                match learning::evaluate(&p, &cfg, now) {
                    learning::Learned::Allow => approved += 1,
                    learning::Learned::Deny => denied += 1,
                    learning::Learned::Undecided => {}
                }
            }
            let row = st.session(&session_key(&req))?;
            let used = pipeline::budget_used(row.as_ref(), &cfg, now);
            Ok(SessionStatus {
                auto_approved_patterns: approved,
                auto_denied_patterns: denied,
                auto_allowed_checks: row.map(|r| r.auto_allowed).unwrap_or(0),
                budget_left: (cfg.session_risk_budget - used).max(0.0),
                budget: cfg.session_risk_budget,
            })
        })
    }
}
