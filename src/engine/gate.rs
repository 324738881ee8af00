//! [`Gate`]: the engine wired to the user's store, settings, policy files, install key and
//! clock. Each public call is one write transaction (or none, for dry runs).

use super::config::EngineConfig;
use super::decide;
use super::learning::{self, HumanDecision, Recorded};
use super::pipeline::{self, Env, session_key};
use super::policy::{Policy, PolicyFiles};
use super::snapshot::Effect;
use super::state::{AuditNote, PendingAsk, Source, State};
use super::store::Store;
use crate::callsite;
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Settings;
use crate::error::GateResult;
use crate::files::{Files, LocalFiles};
use crate::paths::Paths;
use crate::request::{Decision, Request, Verdict};
use crate::risk::{self, Assessment, Context};
use std::sync::{Arc, OnceLock};

mod admin;
mod progress;
pub use progress::AskContext;
mod reports;
mod written;

/// A check's full result, for interfaces that show more than the verdict.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The verdict.
    pub verdict: Verdict,
    /// The request as decided (project filled in).
    pub request: Request,
    /// The pending ask stored for an ask (`aiperture approve <id>`).
    pub pending_id: Option<String>,
    /// For a recorded ask of [`Gate::check_with_context`]: what the human is shown beside it.
    pub context: Option<AskContext>,
}

/// The engine wired to a store, the user's settings and a clock. `Send + Sync` when its
/// store is: a server shares one gate between requests.
pub struct Gate<S: Store> {
    paths: Paths,
    store: S,
    settings: Settings,
    cfg: EngineConfig,
    clock: Arc<dyn Clock>,
    key: OnceLock<[u8; 32]>,
    home: String,
    /// Policy and Claude Code settings files parsed so far (kept while unchanged).
    files: PolicyFiles,
    /// The file system the gate reads (policy and rule files, written scripts, links).
    fs: Arc<dyn Files>,
}

/// Longest scope stored as it is: the shell parser refuses longer text unread (rating it
/// HIGH "too long"), so nothing past it changes a decision.
const MAX_STORED_SCOPE: usize = crate::shell::MAX_INPUT_BYTES;

/// A scope longer than [`MAX_STORED_SCOPE`] is judged whole (through `Request::arguments`) but
/// stored, keyed and shown as its first 400 characters and the SHA-256 of the whole: an 8 MiB
/// command cost 0.4 s, 130 MB and 33 MB of store per hook call, written twice (check row and
/// audit event). Two requests share a key only when their whole scopes are equal.
fn shorten_long_scope(r: &mut Request) {
    if r.scope.len() <= MAX_STORED_SCOPE || r.arguments.is_some() {
        return;
    }
    use sha2::{Digest, Sha256};
    let shown: String = r.scope.chars().take(400).collect();
    let hash = hex::encode(Sha256::digest(r.scope.as_bytes()));
    let short = format!("{shown}{}{hash}", crate::risk::SHORTENED_MARKER);
    r.arguments = Some(std::mem::replace(&mut r.scope, short));
}

/// The clock: the system clock, or in debug builds (tests) a fixed `AIPERTURE_NOW_MS`.
pub fn clock_from_env() -> Arc<dyn Clock> {
    if cfg!(debug_assertions)
        && let Some(ms) = std::env::var("AIPERTURE_NOW_MS")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return Arc::new(ManualClock::new(ms));
    }
    Arc::new(SystemClock)
}

impl<S: Store> Gate<S> {
    /// A gate on `store` with explicit paths, settings and clock.
    pub fn new(store: S, paths: Paths, settings: Settings, clock: Arc<dyn Clock>) -> Self {
        // Only for requests that carry no call site (direct library callers): the others are
        // judged against the caller's home.
        let home = dirs::home_dir()
            .map(|h| h.display().to_string())
            .unwrap_or_default();
        Gate {
            cfg: EngineConfig::from(&settings),
            paths,
            store,
            settings,
            clock,
            key: OnceLock::new(),
            home,
            files: PolicyFiles::on(LocalFiles::shared()),
            fs: LocalFiles::shared(),
        }
    }

    /// The same gate reading files through `fs` instead of this machine's file system (a
    /// gate that judges requests from elsewhere, tests).
    pub fn with_files(mut self, fs: Arc<dyn Files>) -> Self {
        self.files = PolicyFiles::on(fs.clone());
        self.fs = fs;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The engine's tunables.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// The current time of the gate's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The paths the gate was opened with (home, store, key, config).
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The user's settings the gate was opened with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs `f` in one write transaction whose audit appends are signed with the install key:
    /// for library modules above the engine (`crate::artifacts`) that keep their own records
    /// through the [`State`] port.
    pub fn write_state<T>(
        &self,
        f: impl FnOnce(&mut dyn State) -> anyhow::Result<T>,
    ) -> GateResult<T> {
        let key = self.key()?;
        self.store.write(&key, f)
    }

    fn key(&self) -> anyhow::Result<[u8; 32]> {
        if let Some(k) = self.key.get() {
            return Ok(*k);
        }
        let k = crate::key::load(&self.paths)?;
        Ok(*self.key.get_or_init(|| k))
    }

    /// The request with its project resolved: the `project_id` setting when set, else the
    /// project root of the request's call site, else (a request without one) the root found
    /// from its cwd on this machine. The setting also wins for the call site's project id.
    pub fn resolve(&self, req: &Request) -> Request {
        let mut r = req.clone();
        let id = Some(self.settings.project_id.as_str()).filter(|s| !s.trim().is_empty());
        if let (Some(cs), Some(id)) = (&mut r.callsite, id) {
            cs.project_id = callsite::detect("", Some(id));
        }
        if r.project.is_empty() {
            r.project = match (&r.callsite, id) {
                (Some(cs), None) => cs.root.clone(),
                _ => callsite::detect(&r.cwd, id),
            };
        }
        shorten_long_scope(&mut r);
        r
    }

    /// The classifier's context for a request: where it happens, what aiperture protects, and
    /// a resolver that follows symbolic links on this machine.
    fn context(&self, req: &Request) -> Context {
        Context {
            cwd: req.cwd.clone(),
            project: req.project.clone(),
            // The caller's home: `rm -rf ~` is judged where it runs.
            home: self.home_of(req).to_string(),
            protected_paths: self
                .paths
                .protected()
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            resolver: self.fs.resolver(vec![req.project.clone(), req.cwd.clone()]),
        }
    }

    /// Rates a request (risk only).
    pub fn assess(&self, req: &Request) -> Assessment {
        let ctx = self.context(req);
        let mut a = match &req.arguments {
            // Free-form arguments are judged whole; the scope may show them only in part.
            Some(whole) => {
                let mut a = risk::assess_arguments(&req.tool, &req.action, whole, &ctx);
                a.explanation = a.explanation.replace(whole.as_str(), &req.scope);
                for s in &mut a.segments {
                    s.command = req.scope.clone();
                }
                a
            }
            None => risk::assess(&req.tool, &req.action, &req.scope, &ctx),
        };
        if let Some(text) = &req.content
            && req.action == "write"
        {
            risk::rate_written_text(&mut a, &req.scope, text, &ctx);
        }
        a
    }

    /// The home directory of the request's caller (its call site's), else this process's.
    pub fn home_of<'a>(&'a self, req: &'a Request) -> &'a str {
        match &req.callsite {
            Some(cs) if cs.home.starts_with('/') => &cs.home,
            _ => &self.home,
        }
    }

    /// The policy files that apply to a project (only existing files are read).
    pub fn policy(&self, project: &str) -> Policy {
        self.policy_in(project, &self.home)
    }

    /// The policy files that apply to a project, `~` in their rules read as `home`.
    fn policy_in(&self, project: &str, home: &str) -> Policy {
        let root = Some(project).filter(|p| p.starts_with('/'));
        Policy::load_from(
            &self.files,
            &self.paths.home.join("policy.toml"),
            root,
            home,
        )
    }

    /// The policy for one request: the policy files and the user's own rules of the runtime
    /// that sent it (Claude Code's permission rules, Codex's execpolicy rules, Gemini CLI's
    /// policies) for its tool (only existing files are read).
    pub fn policy_for(&self, req: &Request) -> Policy {
        let home = self.home_of(req);
        let mut p = self.policy_in(&req.project, home);
        if req.raw_tool_name.is_empty() {
            return p;
        }
        let root = Some(req.project.as_str()).filter(|p| p.starts_with('/'));
        let (files, raw) = (&self.files, req.raw_tool_name.as_str());
        match req.runtime.as_str() {
            "claude-code" => p.add_claude_from(files, home, root, raw),
            "codex" => p.add_codex_from(files, home, root, raw),
            "gemini" => p.add_gemini_from(files, home, root, raw),
            _ => {}
        }
        p
    }

    /// Runs the full pipeline on a request; with `dry_run` nothing is recorded.
    ///
    /// One transaction, two store calls: the snapshot the decision needs, then (unless a dry
    /// run) the decision's effects. Between them the decision is pure ([`decide::decide`]).
    pub fn check_full(&self, req: &Request, dry_run: bool) -> GateResult<CheckOutcome> {
        self.check_in(req, dry_run, None)
    }

    /// Runs the full pipeline on a request and records it, as [`Gate::check`]; for an ask, also
    /// reads what the human is shown beside it ([`Gate::ask_context`], up to `similar` similar
    /// patterns) in the same transaction: a hook's call is one transaction, ask or not.
    pub fn check_with_context(&self, req: &Request, similar: usize) -> GateResult<CheckOutcome> {
        self.check_in(req, false, Some(similar))
    }

    fn check_in(
        &self,
        req: &Request,
        dry_run: bool,
        similar: Option<usize>,
    ) -> GateResult<CheckOutcome> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let runs = self.written_runs(&req, &a);
        let write = (!dry_run).then(|| self.write_before(&req, now)).flatten();
        let policy = self.policy_for(&req);
        let env = Env {
            cfg: &self.cfg,
            policy: &policy,
            home: self.home_of(&req),
        };
        let keys = written::with_runs(decide::keys(env, now, &req, &a), runs.as_ref(), &a);
        let decide_in = |st: &mut dyn State, fresh: Option<String>| {
            let recording = fresh.is_some();
            let snap = st.snapshot(&keys)?;
            let a = written::judged_in(&snap, runs.as_ref(), &a)?;
            let mut out = decide::decide(&snap, env, now, &req, &a, fresh);
            if let Some(w) = &write
                && out.verdict.decision != Decision::Deny
            {
                out.effects.push(Effect::PutWrittenFile(w.clone()));
            }
            // Recorded already by the other path (a server the hook stopped waiting for).
            let recorded_elsewhere = recording && !claimed(st, &req, "check", now)?;
            if recorded_elsewhere {
                out.pending_id = None;
            } else {
                st.apply(&out.effects)?;
            }
            let context = match similar {
                Some(limit) if recording && out.verdict.decision == Decision::Ask => {
                    let held = Some((&snap, &keys));
                    let c = self.context_in(st, held, &req.project, &req, &out.verdict, limit)?;
                    Some(c)
                }
                _ => None,
            };
            Ok((out.verdict, out.pending_id, context))
        };
        let (verdict, pending_id, context) = if dry_run {
            self.store.read(|st| decide_in(st, None))?
        } else {
            let key = self.key()?;
            let fresh = pipeline::new_id()?;
            self.store.write(&key, |st| decide_in(st, Some(fresh)))?
        };
        Ok(CheckOutcome {
            verdict,
            request: req,
            pending_id,
            context,
        })
    }

    /// Runs the full pipeline on a request and records the check (and, for an ask, a pending
    /// ask awaiting its outcome). Fills `project` when empty.
    pub fn check(&self, req: &Request) -> GateResult<Verdict> {
        Ok(self.check_full(req, false)?.verdict)
    }

    /// Decides without recording anything.
    pub fn check_dry_run(&self, req: &Request) -> GateResult<Verdict> {
        Ok(self.check_full(req, true)?.verdict)
    }

    /// A PermissionRequest-style question: `Some(verdict)` only when a stage other than the
    /// default, the risk floor or the budget decides allow or deny; `None` means "no opinion,
    /// let the runtime ask". When it decides, the session's matching pending ask is closed as
    /// decided automatically, so the tool's run is not mistaken for a human approval.
    pub fn learned_decision(&self, req: &Request) -> GateResult<Option<Verdict>> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let runs = self.written_runs(&req, &a);
        let policy = self.policy_for(&req);
        let key = self.key()?;
        let cfg = self.cfg.clone();
        let home = self.home_of(&req).to_string();
        self.store.write(&key, |st| {
            let a = written::judged(st, runs.as_ref(), &a)?;
            let env = Env {
                cfg: &cfg,
                policy: &policy,
                home: &home,
            };
            let (v, _) = pipeline::check(st, env, now, &req, &a, false)?;
            let by = v.decided_by.as_str();
            let opinion = v.decision != Decision::Ask
                && !matches!(by, "default" | "risk_floor" | "budget" | "rate_limit" | "policy_error");
            if !opinion {
                return Ok(None);
            }
            if !claimed(st, &req, "permission", now)? {
                return Ok(Some(v));
            }
            let session = session_key(&req);
            if let Some(p) = matching_pending(st, &session, &req)? {
                st.resolve_pending(&p, "auto", now)?;
            }
            st.audit(
                &AuditNote {
                    event_type: "permission.check".into(),
                    actor_type: "hook".into(),
                    actor_id: req.runtime.clone(),
                    principal: AuditNote::principal_of(&req),
                    host: AuditNote::host_of(&req),
                    runtime: req.runtime.clone(),
                    session,
                    project: req.project.clone(),
                    entity: format!("{}/{}/{}", req.tool, req.action, req.scope),
                    summary: format!("{} on permission request ({})", v.decision.as_str().to_uppercase(), v.decided_by),
                    details: serde_json::json!({"decision": v.decision.as_str(), "decided_by": v.decided_by, "event": req.event}),
                },
                now,
            )?;
            Ok(Some(v))
        })
    }

    /// Records a decision a human made in a terminal (`aiperture exec`'s prompt,
    /// `aiperture approve|deny`).
    pub fn record_human(&self, req: &Request, decision: Decision, who: &str) -> GateResult<()> {
        self.record_human_full(req, decision, who, Source::Terminal, None)
            .map(|_| ())
    }

    /// Records a human decision and says what it did. Resolves a matching pending ask of the
    /// session (or the one named by `pending_id`).
    pub fn record_human_full(
        &self,
        req: &Request,
        decision: Decision,
        who: &str,
        source: Source,
        pending_id: Option<&str>,
    ) -> GateResult<Recorded> {
        let now = self.clock.now_ms();
        let req = self.resolve(req);
        let a = self.assess(&req);
        let runs = self.written_runs(&req, &a);
        let key = self.key()?;
        let cfg = self.cfg.clone();
        self.store.write(&key, |st| {
            let a = written::judged(st, runs.as_ref(), &a)?;
            record_in(st, &cfg, now, &req, &a, decision, who, source, pending_id)
        })
    }

    /// The pending ask with this id, as a request.
    pub fn pending_request(&self, id: &str) -> GateResult<Option<(Request, String)>> {
        let p = self.store.read(|st| st.pending(id))?;
        Ok(p.map(|p| {
            let session_id = p
                .session
                .strip_prefix("anon:")
                .map(|_| String::new())
                .unwrap_or(p.session.clone());
            let runtime = if session_id.is_empty() {
                p.session.trim_start_matches("anon:").to_string()
            } else {
                p.runtime.clone()
            };
            (
                Request {
                    runtime,
                    event: "approve".into(),
                    session_id,
                    tool_use_id: p.tool_use_id,
                    cwd: p.cwd,
                    project: p.project,
                    tool: p.tool,
                    action: p.action,
                    scope: p.scope,
                    content_hash: p.content_hash,
                    ..Request::default()
                },
                p.state,
            )
        }))
    }

    /// The newest pending asks (for `aiperture approve` without an id).
    pub fn pending_recent(&self, limit: u32) -> GateResult<Vec<super::state::PendingAsk>> {
        self.store.read(|st| st.pending_recent(limit))
    }
}

/// The session's still-pending ask for this tool call: by tool use id when both have one,
/// else by identical tool, action, scope and content.
fn matching_pending(
    st: &mut dyn State,
    session: &str,
    req: &Request,
) -> anyhow::Result<Option<String>> {
    let asks = st.pending_in_session(session)?;
    // A run resolves an ask only when it is the very call that was asked about: same tool,
    // action, input and content. A matching tool_use_id alone is not enough, or a forged
    // PostToolUse could turn an ask for one command into an approval of another.
    let same_call = |p: &&PendingAsk| {
        p.tool == req.tool
            && p.action == req.action
            && p.scope == req.scope
            && p.content_hash == req.content_hash
    };
    let by_id = asks
        .iter()
        .filter(same_call)
        .find(|p| matches!((&p.tool_use_id, &req.tool_use_id), (Some(a), Some(b)) if a == b));
    let found = by_id.or_else(|| {
        asks.iter()
            .rev()
            .filter(same_call)
            .find(|p| p.tool_use_id.is_none() || req.tool_use_id.is_none())
    });
    Ok(found.map(|p| p.id.clone()))
}

#[allow(clippy::too_many_arguments)]
fn record_in(
    st: &mut dyn State,
    cfg: &EngineConfig,
    now: i64,
    req: &Request,
    a: &Assessment,
    decision: Decision,
    who: &str,
    source: Source,
    pending_id: Option<&str>,
) -> anyhow::Result<Recorded> {
    let session = session_key(req);
    // The person the call site names (AIPERTURE_ACTOR, else the login) is who decided: a
    // runtime's prompt answered by alice counts as alice, so a team quorum counts people.
    let person = AuditNote::principal_of(req);
    let who = if person.is_empty() {
        who
    } else {
        person.as_str()
    };
    let host = AuditNote::host_of(req);
    let pid = match pending_id {
        Some(p) => Some(p.to_string()),
        None => matching_pending(st, &session, req)?,
    };
    if let Some(p) = &pid {
        let state = if decision == Decision::Allow {
            "approved"
        } else {
            "denied"
        };
        st.resolve_pending(p, state, now)?;
    }
    learning::record(
        st,
        cfg,
        now,
        &HumanDecision {
            session: &session,
            runtime: &req.runtime,
            project: &req.project,
            tool: &req.tool,
            action: &req.action,
            scope: &req.scope,
            content_hash: req.content_hash.as_deref(),
            decision,
            source,
            who,
            host: &host,
            pending_id: pid.as_deref(),
        },
        a,
    )
}

/// Whether this transaction may record `op` of `req`: always for a call without an id, else
/// only when it is the first to claim the id ([`crate::request_id`]).
pub(super) fn claimed(
    st: &mut dyn State,
    req: &Request,
    op: &str,
    now: i64,
) -> anyhow::Result<bool> {
    match &req.request_id {
        Some(id) => st.claim_request(&crate::request_id::claim_key(id, op), now),
        None => Ok(true),
    }
}
