//! The human-facing administration side of [`Gate`]: challenges, learned patterns,
//! revocation, task grants and presets. Every change is audited in its own transaction.

use super::{Gate, record_in};
use crate::engine::challenge::{self, Bound};
use crate::engine::learning::{self, Recorded};
use crate::engine::pipeline::{self, session_key};
use crate::engine::presets;
use crate::engine::state::{AuditNote, Grant, KeyKind, LearnKey, PatternStats, Source};
use crate::engine::store::Store;
use crate::error::{ErrorKind, GateError, GateResult};
use crate::request::{Decision, Request, RiskTier, Verdict};

impl<S: Store> Gate<S> {
    /// Issues a challenge for a non-allow verdict on a (resolved) request.
    pub fn challenge_for(&self, req: &Request, verdict: &Verdict) -> GateResult<Option<String>> {
        if verdict.decision == Decision::Allow || verdict.decided_by == "rate_limit" {
            return Ok(None);
        }
        let key = self.key()?;
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let session = session_key(req);
        let b = bound(req, &session);
        Ok(Some(challenge::issue(
            &key,
            &b,
            verdict.decision.as_str(),
            self.clock.now_ms(),
            &nonce,
        )))
    }

    /// Records a human decision carried by a valid challenge for exactly this request: the
    /// challenge is verified (MAC, expiry) and its nonce consumed in the same transaction.
    pub fn record_with_challenge(
        &self,
        req: &Request,
        decision: Decision,
        token: &str,
        who: &str,
    ) -> GateResult<Recorded> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let key = self.key()?;
        let cfg = self.cfg.clone();
        let session = session_key(&req);
        let t = challenge::verify(
            &key,
            token,
            &bound(&req, &session),
            now,
            cfg.challenge_ttl_seconds,
        )
        .map_err(|e| GateError::malformed(e.to_string()))?;
        self.store.write(&key, |st| {
            // Tokens older than the TTL fail verification, so older nonces need not be kept.
            let prune_before = now - (cfg.challenge_ttl_seconds + 120) * 1000;
            if !st.consume_nonce(&t.nonce, now, prune_before)? {
                return Err(GateError::malformed("challenge already used").into());
            }
            record_in(
                st,
                &cfg,
                now,
                &req,
                &a,
                decision,
                who,
                Source::Challenge,
                None,
            )
        })
    }

    /// Learned patterns of a project (and global), for `aiperture patterns`.
    pub fn patterns(&self, project: &str) -> GateResult<Vec<PatternStats>> {
        self.store.read(|st| st.list_patterns(project))
    }

    /// The aggregates of one learning key in a project and globally (an ask's progress line):
    /// two keyed lookups, never a scan of the project's patterns, so an ask costs the same on
    /// a store with thousands of patterns.
    pub fn pattern_stats(
        &self,
        project: &str,
        tool: &str,
        action: &str,
        key: &LearnKey,
    ) -> GateResult<Vec<PatternStats>> {
        self.store.read(|st| {
            let mut out = Vec::new();
            for p in [project, learning::GLOBAL] {
                if let Some(s) = st.pattern(p, tool, action, key)?
                    && !out.contains(&s)
                {
                    out.push(s);
                }
            }
            Ok(out)
        })
    }

    /// Revokes a pattern (in every project); audited. Returns the decisions revoked.
    pub fn revoke_pattern(
        &self,
        tool: &str,
        action: &str,
        pattern: &str,
        exact: bool,
        by: &str,
        reason: &str,
    ) -> GateResult<u64> {
        let now = self.clock.now_ms();
        let key = self.key()?;
        let k = LearnKey {
            kind: if exact {
                KeyKind::Exact
            } else {
                KeyKind::Pattern
            },
            key: pattern.to_string(),
        };
        let done = self.store.write(&key, |st| {
            let n = learning::revoke_key(st, now, tool, action, &k, by, reason)?;
            if n == 0 {
                // Nothing matched: record no revocation and no audit event.
                return Err(GateError::not_found("nothing to revoke").into());
            }
            Ok(n)
        });
        match done {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(0),
            other => other,
        }
    }

    /// Revokes what currently decides a command (`aiperture revoke "npm test"`): the learned
    /// keys of its segments that auto-decide it now in its project (or globally); when none
    /// does, the keys still learning from its decisions. Falls back to the text as a pattern
    /// key (`git log *`). Revokes nothing (and says what decides it) when nothing learned
    /// matches. Audited per key, in one transaction.
    pub fn revoke_command(
        &self,
        req: &Request,
        by: &str,
        reason: &str,
    ) -> GateResult<RevokedCommand> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let decided_by = self.check_dry_run(&req)?.decided_by;
        let decided_by_before = decided_by.clone();
        let cfg = self.cfg.clone();
        let key = self.key()?;
        let literal = LearnKey {
            kind: KeyKind::Pattern,
            key: req.scope.clone(),
        };
        let done = self.store.write(&key, |st| {
            let mut deciding: Vec<(LearnKey, String)> = Vec::new();
            let mut learning_keys: Vec<(LearnKey, String)> = Vec::new();
            for seg in &a.segments {
                let k = learning::key_of(seg.pattern.as_deref(), &seg.command);
                if deciding.iter().chain(&learning_keys).any(|(x, _)| *x == k) {
                    continue;
                }
                let found = learning::lookup_for(
                    st,
                    &cfg,
                    now,
                    &req.project,
                    &req.tool,
                    &req.action,
                    &k,
                    seg.risk.tier,
                )?;
                if let Some((_, label)) = found {
                    deciding.push((k, label));
                    continue;
                }
                for p in [req.project.as_str(), learning::GLOBAL] {
                    if let Some(s) = st.pattern(p, &req.tool, &req.action, &k)?
                        && learning::weighted(&s, &cfg).1 > 0.0
                    {
                        learning_keys.push((k.clone(), "learning".into()));
                        break;
                    }
                }
            }
            let targets = if deciding.is_empty() {
                learning_keys
            } else {
                deciding
            };
            let mut out = RevokedCommand {
                decided_by,
                keys: Vec::new(),
            };
            for (k, label) in targets {
                let n = learning::revoke_key(st, now, &req.tool, &req.action, &k, by, reason)?;
                out.keys.push((k, label, n));
            }
            if out.keys.is_empty() {
                let n =
                    learning::revoke_key(st, now, &req.tool, &req.action, &literal, by, reason)?;
                if n == 0 {
                    // Nothing matched: roll the revocation row and its audit event back.
                    return Err(GateError::not_found("nothing to revoke").into());
                }
                out.keys.push((literal.clone(), "pattern".into(), n));
            }
            Ok(out)
        });
        match done {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(RevokedCommand {
                decided_by: decided_by_before,
                keys: Vec::new(),
            }),
            other => other,
        }
    }

    /// Revokes an exact scope and every pattern it derives; audited. Revokes (and records)
    /// nothing when no decision matches.
    pub fn revoke_scope(
        &self,
        req: &Request,
        by: &str,
        reason: &str,
    ) -> GateResult<learning::Revoked> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let key = self.key()?;
        let done = self.store.write(&key, |st| {
            let out = learning::revoke_scope(
                st,
                now,
                &req.tool,
                &req.action,
                &req.scope,
                &a,
                by,
                reason,
            )?;
            if out.decisions == 0 {
                // Nothing matched: record no revocation and no audit event.
                return Err(GateError::not_found("nothing to revoke").into());
            }
            Ok(out)
        });
        match done {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(learning::Revoked::default()),
            other => other,
        }
    }

    /// Creates a task grant; refuses to allow a scope that itself rates HIGH or CRITICAL (and
    /// the pipeline never lets a grant allow a HIGH or CRITICAL request anyway). Audited.
    #[allow(clippy::too_many_arguments)]
    pub fn grant(
        &self,
        req: &Request,
        decision: Decision,
        ttl_seconds: i64,
        session: Option<&str>,
        by: &str,
        reason: &str,
    ) -> GateResult<Grant> {
        if decision == Decision::Ask {
            return Err(GateError::policy("a grant allows or denies"));
        }
        if ttl_seconds <= 0 {
            return Err(GateError::policy("a grant needs a positive time to live"));
        }
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        if decision == Decision::Allow {
            let a = self.assess(&req);
            if a.risk.tier >= RiskTier::High {
                return Err(GateError::policy(format!(
                    "cannot grant allow on {} risk ({})",
                    a.risk.tier, a.reason
                )));
            }
        }
        let key = self.key()?;
        let g = Grant {
            id: pipeline::new_id()?,
            created_ms: now,
            expires_ms: now.saturating_add(ttl_seconds.saturating_mul(1000)),
            project: req.project.clone(),
            session: session.unwrap_or("").to_string(),
            tool: req.tool.clone(),
            action: req.action.clone(),
            scope: req.scope.clone(),
            decision,
            granted_by: by.to_string(),
            reason: reason.to_string(),
        };
        self.store.write(&key, |st| {
            st.insert_grant(&g)?;
            st.audit(
                &AuditNote {
                    event_type: "grant.created".into(),
                    actor_type: "human".into(),
                    actor_id: by.to_string(),
                    project: g.project.clone(),
                    entity: format!("{}/{}/{}", g.tool, g.action, g.scope),
                    summary: format!("grant {} {} {}/{} {} for {ttl_seconds}s", g.id, decision, g.tool, g.action, g.scope),
                    details: serde_json::json!({"id": g.id, "decision": decision.as_str(), "expires_ms": g.expires_ms,
                        "session": g.session, "reason": reason}),
                    ..AuditNote::default()
                },
                now,
            )?;
            Ok(())
        })?;
        Ok(g)
    }

    /// Live grants.
    pub fn grants(&self) -> GateResult<Vec<Grant>> {
        let now = self.clock.now_ms();
        self.store.read(|st| st.all_grants(now))
    }

    /// Revokes a grant; audited. False if no live grant had that id.
    pub fn revoke_grant(&self, id: &str, by: &str) -> GateResult<bool> {
        let now = self.clock.now_ms();
        let key = self.key()?;
        self.store.write(&key, |st| {
            let done = st.revoke_grant(id, now)?;
            if done {
                st.audit(
                    &AuditNote {
                        event_type: "grant.revoked".into(),
                        actor_type: "human".into(),
                        actor_id: by.to_string(),
                        entity: id.to_string(),
                        summary: format!("grant {id} revoked"),
                        details: serde_json::json!({"id": id}),
                        ..AuditNote::default()
                    },
                    now,
                )?;
            }
            Ok(done)
        })
    }

    /// Enables a preset for a project (idempotent; audited when it changes anything).
    /// `minimal` (no allow rules) is exclusive: enabling it disables the project's other
    /// presets, and enabling another preset disables `minimal`, so the last choice is the
    /// effective one. Returns false when it was already enabled.
    pub fn bootstrap(&self, preset: &str, project: &str, by: &str) -> GateResult<bool> {
        Ok(self.bootstrap_report(preset, project, by)?.0)
    }

    /// Like [`Gate::bootstrap`], and also names the presets it disabled.
    pub fn bootstrap_report(
        &self,
        preset: &str,
        project: &str,
        by: &str,
    ) -> GateResult<(bool, Vec<String>)> {
        known_preset(preset)?;
        let now = self.clock.now_ms();
        let key = self.key()?;
        self.store.write(&key, |st| {
            let mut replaced = Vec::new();
            for other in st.presets(project)? {
                let exclusive = preset == "minimal" || other == "minimal";
                if other != preset && exclusive && st.remove_preset(project, &other)? {
                    replaced.push(other);
                }
            }
            let added = st.add_preset(project, preset, now, by)?;
            if added || !replaced.is_empty() {
                let also = if replaced.is_empty() {
                    String::new()
                } else {
                    format!(" (replacing {})", replaced.join(", "))
                };
                st.audit(
                    &AuditNote {
                        event_type: "preset.applied".into(),
                        actor_type: "human".into(),
                        actor_id: by.to_string(),
                        project: project.to_string(),
                        entity: preset.to_string(),
                        summary: format!("preset {preset} enabled for {project}{also}"),
                        details: serde_json::json!({
                            "preset": preset, "project": project, "replaced": replaced,
                        }),
                        ..AuditNote::default()
                    },
                    now,
                )?;
            }
            Ok((added, replaced))
        })
    }

    /// Disables a preset for a project (audited like enabling one). Returns false when it
    /// was not enabled.
    pub fn remove_preset(&self, preset: &str, project: &str, by: &str) -> GateResult<bool> {
        known_preset(preset)?;
        let now = self.clock.now_ms();
        let key = self.key()?;
        self.store.write(&key, |st| {
            let removed = st.remove_preset(project, preset)?;
            if removed {
                st.audit(
                    &AuditNote {
                        event_type: "preset.removed".into(),
                        actor_type: "human".into(),
                        actor_id: by.to_string(),
                        project: project.to_string(),
                        entity: preset.to_string(),
                        summary: format!("preset {preset} disabled for {project}"),
                        details: serde_json::json!({"preset": preset, "project": project}),
                        ..AuditNote::default()
                    },
                    now,
                )?;
            }
            Ok(removed)
        })
    }

    /// Every enabled preset: project, name, when (ms) and by whom.
    pub fn all_presets(&self) -> GateResult<Vec<(String, String, i64, String)>> {
        self.store.read(|st| st.all_presets())
    }
}

fn bound<'a>(req: &'a Request, session: &'a str) -> Bound<'a> {
    Bound {
        tool: &req.tool,
        action: &req.action,
        scope: &req.scope,
        project: &req.project,
        session,
        content_hash: req.content_hash.as_deref().unwrap_or(""),
    }
}

/// What [`Gate::revoke_command`] revoked.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokedCommand {
    /// What decided the command before (`learned:project:npm test *`, `default`, …).
    pub decided_by: String,
    /// Each key revoked, how it stood (`learned:project:…`, `learning`, `pattern`) and the
    /// decisions it marked revoked. Empty: nothing learned matched.
    pub keys: Vec<(LearnKey, String, u64)>,
}

/// Refuses a preset name that does not exist, naming the ones that do.
fn known_preset(preset: &str) -> anyhow::Result<()> {
    if !presets::exists(preset) {
        return Err(GateError::policy(format!(
            "unknown preset `{preset}`; available: {}",
            presets::NAMES.join(", ")
        ))
        .into());
    }
    Ok(())
}
