//! The one hook flow every runtime shares: parse the payload, ask the engine only for events
//! that need it (the store is not opened for the rest), turn its answer into an [`Answer`],
//! render it in the runtime's form. Every error on the way becomes the runtime's fail-closed
//! answer where a decision was needed, and a warning where nothing can be blocked any more.

use super::{Adapter, Answer, Event, Output, reasons};
use crate::callsite::{self, CallSite};
use crate::client_env::ClientEnv;
use crate::engine::{AskContext, Gate, RanResult, SessionStatus, ToolOutcome, modes};
use crate::request::{Decision, Request, Verdict};

/// The engine operations a hook needs; implemented by [`Gate`], and by fakes in tests.
pub trait HookEngine {
    /// Full pipeline, recorded; for an ask, also the pending ask's id.
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)>;
    /// `Some` only when learning or a rule decides.
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>>;
    /// The tool ran.
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult>;
    /// Pending asks of the session become inferred denials.
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32>;
    /// Figures for the session-start status line.
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus>;
    /// The runtime's classifier refused a call: record it (no learning).
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()>;
    /// [`HookEngine::check`] for a call whose answer a human may see: for an ask, also how
    /// close its pattern is to being learned and the learned patterns like it, with their
    /// human history, read in the check's own transaction (empty when unknown).
    fn check_shown(
        &mut self,
        req: &Request,
    ) -> anyhow::Result<(Verdict, Option<String>, AskContext)> {
        let (v, pending_id) = self.check(req)?;
        Ok((v, pending_id, AskContext::default()))
    }
    /// After a tool ran: store its output as an artifact when the user enabled it
    /// (`artifacts_store_tool_outputs`). Never called on the PreToolUse path.
    fn store_output(&mut self, _req: &Request) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A shared gate (a server's, behind an `Arc`): every gate method takes `&self`.
impl<S: crate::engine::store::Store> HookEngine for &Gate<S> {
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
        let out = Gate::check_full(self, req, false)?;
        Ok((out.verdict, out.pending_id))
    }
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>> {
        Ok(Gate::learned_decision(self, req)?)
    }
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        Ok(Gate::tool_ran(self, req, outcome)?)
    }
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32> {
        Ok(Gate::end_session(self, runtime, session_id)?)
    }
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus> {
        Ok(Gate::session_status(self, req)?)
    }
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
        Ok(Gate::classifier_denied(self, req, reason)?)
    }
    fn check_shown(
        &mut self,
        req: &Request,
    ) -> anyhow::Result<(Verdict, Option<String>, AskContext)> {
        let out = Gate::check_with_context(self, req, reasons::SIMILAR_SHOWN)?;
        Ok((out.verdict, out.pending_id, out.context.unwrap_or_default()))
    }
    fn store_output(&mut self, req: &Request) -> anyhow::Result<()> {
        store_output(self, req)
    }
}

/// A gate a one-shot process owns: the same calls as the shared one.
impl<S: crate::engine::store::Store> HookEngine for Gate<S> {
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
        HookEngine::check(&mut &*self, req)
    }
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>> {
        HookEngine::learned_decision(&mut &*self, req)
    }
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        HookEngine::tool_ran(&mut &*self, req, outcome)
    }
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32> {
        HookEngine::end_session(&mut &*self, runtime, session_id)
    }
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus> {
        HookEngine::session_status(&mut &*self, req)
    }
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
        HookEngine::classifier_denied(&mut &*self, req, reason)
    }
    fn check_shown(
        &mut self,
        req: &Request,
    ) -> anyhow::Result<(Verdict, Option<String>, AskContext)> {
        HookEngine::check_shown(&mut &*self, req)
    }
    fn store_output(&mut self, req: &Request) -> anyhow::Result<()> {
        HookEngine::store_output(&mut &*self, req)
    }
}

/// An engine that is never dropped, for a process that exits right after answering: closing
/// the store (finalizing statements, freeing the parsed schema) was ~7 % of a hook call's
/// instructions (docs/performance.md). Everything is committed before the answer, so exiting
/// with the connection open loses nothing; SQLite's WAL treats it as it treats a crash.
impl<E: HookEngine> HookEngine for std::mem::ManuallyDrop<E> {
    fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
        E::check(self, req)
    }
    fn learned_decision(&mut self, req: &Request) -> anyhow::Result<Option<Verdict>> {
        E::learned_decision(self, req)
    }
    fn tool_ran(&mut self, req: &Request, outcome: ToolOutcome) -> anyhow::Result<RanResult> {
        E::tool_ran(self, req, outcome)
    }
    fn end_session(&mut self, runtime: &str, session_id: &str) -> anyhow::Result<u32> {
        E::end_session(self, runtime, session_id)
    }
    fn session_status(&mut self, req: &Request) -> anyhow::Result<SessionStatus> {
        E::session_status(self, req)
    }
    fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
        E::classifier_denied(self, req, reason)
    }
    fn check_shown(
        &mut self,
        req: &Request,
    ) -> anyhow::Result<(Verdict, Option<String>, AskContext)> {
        E::check_shown(self, req)
    }
    fn store_output(&mut self, req: &Request) -> anyhow::Result<()> {
        E::store_output(self, req)
    }
}

/// Stores a tool's reported output as a `tool_output` artifact, when the setting is on.
fn store_output<S: crate::engine::store::Store>(
    gate: &Gate<S>,
    req: &Request,
) -> anyhow::Result<()> {
    let Some(output) = req.tool_output.as_ref() else {
        return Ok(());
    };
    if !gate.settings().artifacts_store_tool_outputs {
        return Ok(());
    }
    let resolved = gate.resolve(req);
    let shown = crate::risk::redact_secrets(&req.scope);
    let summary: String = shown.chars().take(200).collect();
    crate::artifacts::store(
        gate,
        crate::artifacts::NewArtifact {
            content: output.as_bytes().to_vec(),
            kind: "tool_output".into(),
            project: resolved.project,
            session: crate::engine::pipeline::session_key(req),
            task: String::new(),
            runtime: req.runtime.clone(),
            tool: if req.raw_tool_name.is_empty() {
                format!("{}/{}", req.tool, req.action)
            } else {
                req.raw_tool_name.clone()
            },
            summary: format!("{}: {summary}", req.raw_tool_name),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// Handles one hook payload end to end, for a hook process whose environment was `env` (the
/// caller's: its home, user, project id and how the runtime launched it). `open` is called
/// only when the event needs the engine.
pub fn handle<A, E, O>(adapter: &A, payload: &[u8], env: &ClientEnv, open: O) -> Output
where
    A: Adapter,
    E: HookEngine,
    O: FnOnce() -> anyhow::Result<E>,
{
    let parsed = match adapter.parse(payload) {
        Ok(p) => p,
        Err(m) => return adapter.render(None, &Answer::FailClosed(m.0)),
    };
    let event = if adapter.headless(env) {
        headless(parsed.event)
    } else {
        parsed.event
    };
    let answer = answer(event, env, open);
    adapter.render(Some(parsed.form), &answer)
}

fn answer<E: HookEngine, O: FnOnce() -> anyhow::Result<E>>(
    event: Event,
    env: &ClientEnv,
    open: O,
) -> Answer {
    if event == Event::Other {
        return Answer::NoOpinion;
    }
    let event = identified(located(event, env), env.request_id());
    let needs_decision = matches!(
        event,
        Event::PreTool(_) | Event::PreToolEach(_) | Event::PermissionRequest(_)
    );
    let mut engine = match open() {
        Ok(e) => e,
        Err(e) => {
            let why = format!("the store could not be opened: {e:#}");
            return if needs_decision {
                Answer::FailClosed(why)
            } else {
                Answer::Warn(format!("aiperture: {why}"))
            };
        }
    };
    match event {
        Event::PreTool(req) => match engine.check_shown(&req) {
            // Left to the runtime's auto-mode classifier: no decision at all.
            Ok((v, _, _)) if v.decided_by == modes::DEFERRED_BY => Answer::NoOpinion,
            Ok((v, pending_id, ctx)) if v.decision == Decision::Ask => {
                let mut r = reasons::reply_with_progress(&req, &v, ctx.progress);
                r.for_human.push_str(&reasons::similar_note(&ctx.similar));
                r.pending_id = pending_id;
                Answer::Reply(r)
            }
            Ok((v, _, _)) => Answer::Reply(reasons::reply(&req, &v)),
            Err(e) => Answer::FailClosed(format!("{e:#}")),
        },
        Event::PreToolEach(reqs) => strictest(&mut engine, &reqs),
        Event::PermissionRequest(req) => match engine.learned_decision(&req) {
            Ok(Some(v)) => Answer::Reply(reasons::reply(&req, &v)),
            Ok(None) => Answer::NoOpinion,
            Err(e) => Answer::FailClosed(format!("{e:#}")),
        },
        Event::PostTool(req, outcome) => {
            let ran = engine.tool_ran(&req, outcome);
            if let Err(e) = engine.store_output(&req) {
                return Answer::Warn(format!(
                    "aiperture: could not store the tool's output: {e:#}"
                ));
            }
            match ran {
                Ok(r) if r.resolved_ask => Answer::Note(reasons::progress_note(&req, r.progress)),
                Ok(_) => Answer::NoOpinion,
                Err(e) => Answer::Warn(format!("aiperture: could not record the tool run: {e:#}")),
            }
        }
        // Never `retry: true`: the refusal stands; it is recorded, and teaches nothing.
        Event::ClassifierDenied(req, reason) => match engine.classifier_denied(&req, &reason) {
            Ok(()) => Answer::NoOpinion,
            Err(e) => Answer::Warn(format!(
                "aiperture: could not record the classifier's refusal: {e:#}"
            )),
        },
        Event::SessionStart(req) => match engine.session_status(&req) {
            Ok(s) => Answer::Status(status_line(&s)),
            Err(e) => Answer::Warn(format!("aiperture: no session status: {e:#}")),
        },
        Event::SessionEnd(req) => match engine.end_session(&req.runtime, &req.session_id) {
            Ok(_) => Answer::NoOpinion,
            Err(e) => Answer::Warn(format!("aiperture: could not close the session: {e:#}")),
        },
        Event::Other => Answer::NoOpinion,
    }
}

/// The event with the call site of this machine on each request that reaches the engine's
/// judgement (computed here, on the client side; a session's end needs none). The requests
/// of one payload share a cwd, so their call site is found once.
fn located(event: Event, env: &ClientEnv) -> Event {
    match event {
        Event::PreTool(r) => Event::PreTool(callsite::located_in(r, env)),
        Event::PreToolEach(reqs) => {
            let mut last: Option<CallSite> = None;
            let reqs = reqs
                .into_iter()
                .map(|mut r| {
                    let cs = match &last {
                        Some(c) if c.cwd == r.cwd && c.principal.runtime == r.runtime => c.clone(),
                        _ => CallSite::detect(&r.cwd, &r.runtime, env),
                    };
                    r.callsite.get_or_insert_with(|| cs.clone());
                    last = Some(cs);
                    r
                })
                .collect();
            Event::PreToolEach(reqs)
        }
        Event::PermissionRequest(r) => Event::PermissionRequest(callsite::located_in(r, env)),
        Event::PostTool(r, o) => Event::PostTool(callsite::located_in(r, env), o),
        Event::ClassifierDenied(r, why) => {
            Event::ClassifierDenied(callsite::located_in(r, env), why)
        }
        Event::SessionStart(r) => Event::SessionStart(callsite::located_in(r, env)),
        e @ (Event::SessionEnd(_) | Event::Other) => e,
    }
}

/// The event with the call's id on each request (`crate::request_id`): the requests of one
/// multi-target payload each get their own (`<id>.<n>`).
fn identified(event: Event, id: Option<&str>) -> Event {
    let Some(id) = id else {
        return event;
    };
    let with = |mut r: Request, n: Option<usize>| {
        r.request_id = Some(match n {
            Some(n) => format!("{id}.{n}"),
            None => id.to_string(),
        });
        r
    };
    match event {
        Event::PreTool(r) => Event::PreTool(with(r, None)),
        Event::PreToolEach(reqs) => Event::PreToolEach(
            reqs.into_iter()
                .enumerate()
                .map(|(n, r)| with(r, Some(n)))
                .collect(),
        ),
        Event::PermissionRequest(r) => Event::PermissionRequest(with(r, None)),
        Event::PostTool(r, o) => Event::PostTool(with(r, None), o),
        Event::ClassifierDenied(r, why) => Event::ClassifierDenied(with(r, None), why),
        e @ (Event::SessionStart(_) | Event::SessionEnd(_) | Event::Other) => e,
    }
}

/// The event with every request marked as made where no human can be asked.
fn headless(event: Event) -> Event {
    let mark = |mut r: Request| {
        r.headless = true;
        r
    };
    match event {
        Event::PreTool(r) => Event::PreTool(mark(r)),
        Event::PreToolEach(reqs) => Event::PreToolEach(reqs.into_iter().map(mark).collect()),
        Event::PermissionRequest(r) => Event::PermissionRequest(mark(r)),
        Event::PostTool(r, o) => Event::PostTool(mark(r), o),
        Event::ClassifierDenied(r, why) => Event::ClassifierDenied(mark(r), why),
        Event::SessionStart(r) => Event::SessionStart(mark(r)),
        Event::SessionEnd(r) => Event::SessionEnd(mark(r)),
        Event::Other => Event::Other,
    }
}

/// Decides every request; the strictest verdict (deny > ask > allow) answers for all.
fn strictest<E: HookEngine>(engine: &mut E, reqs: &[Request]) -> Answer {
    let rank = |d: Decision| match d {
        Decision::Deny => 2,
        Decision::Ask => 1,
        Decision::Allow => 0,
    };
    let mut worst: Option<(&Request, Verdict, Option<String>)> = None;
    for req in reqs {
        match engine.check(req) {
            Ok((v, pending_id)) => {
                if worst
                    .as_ref()
                    .is_none_or(|(_, w, _)| rank(v.decision) > rank(w.decision))
                {
                    worst = Some((req, v, pending_id));
                }
            }
            Err(e) => return Answer::FailClosed(format!("{e:#}")),
        }
    }
    match worst {
        Some((req, v, pending_id)) => {
            let mut r = reasons::reply(req, &v);
            r.pending_id = pending_id;
            Answer::Reply(r)
        }
        None => Answer::FailClosed("the tool call names no target".into()),
    }
}

/// The one-line session status: patterns learned, prompts saved, budget.
pub fn status_line(s: &SessionStatus) -> String {
    let patterns = match (s.auto_approved_patterns, s.auto_denied_patterns) {
        (0, 0) => "no learned patterns yet".to_string(),
        (a, 0) => format!("{a} auto-approved patterns"),
        (0, d) => format!("{d} auto-denied patterns"),
        (a, d) => format!("{a} auto-approved and {d} auto-denied patterns"),
    };
    format!(
        "aiperture active: {patterns}, {} prompts saved so far, risk budget {:.1}/{:.1} left.",
        s.auto_allowed_checks, s.budget_left, s.budget
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Risk, RiskTier};
    use crate::runtimes::claude_code::ClaudeCode;

    #[derive(Default)]
    struct Fake {
        decision: Option<Decision>,
        calls: Vec<String>,
        fail: bool,
        sites: Vec<Option<CallSite>>,
    }

    impl HookEngine for &mut Fake {
        fn check(&mut self, req: &Request) -> anyhow::Result<(Verdict, Option<String>)> {
            self.calls.push(format!("check {}", req.scope));
            self.sites.push(req.callsite.clone());
            if self.fail {
                anyhow::bail!("database is locked");
            }
            let v = Verdict {
                decision: self.decision.unwrap_or(Decision::Ask),
                decided_by: "default".into(),
                risk: Risk::of_tier(RiskTier::Medium),
                reason: "not learned yet".into(),
                explanation: String::new(),
                segments: vec![],
            };
            Ok((v, Some("p1".into())))
        }
        fn learned_decision(&mut self, _req: &Request) -> anyhow::Result<Option<Verdict>> {
            self.calls.push("learned".into());
            Ok(None)
        }
        fn tool_ran(&mut self, req: &Request, _o: ToolOutcome) -> anyhow::Result<RanResult> {
            self.calls.push(format!("ran {}", req.scope));
            Ok(RanResult {
                resolved_ask: true,
                progress: Some((3, 10)),
            })
        }
        fn end_session(&mut self, rt: &str, s: &str) -> anyhow::Result<u32> {
            self.calls.push(format!("end {rt} {s}"));
            Ok(1)
        }
        fn classifier_denied(&mut self, req: &Request, reason: &str) -> anyhow::Result<()> {
            self.calls
                .push(format!("classifier denied {} ({reason})", req.scope));
            Ok(())
        }
        fn session_status(&mut self, _r: &Request) -> anyhow::Result<SessionStatus> {
            Ok(SessionStatus {
                auto_approved_patterns: 2,
                auto_denied_patterns: 0,
                auto_allowed_checks: 5,
                budget_left: 9.5,
                budget: 10.0,
            })
        }
    }

    fn bash(event: &str, cmd: &str) -> Vec<u8> {
        serde_json::json!({
            "session_id": "s1", "cwd": "/p", "hook_event_name": event,
            "tool_name": "Bash", "tool_input": {"command": cmd}, "tool_use_id": "toolu_1",
            "tool_response": {"stdout": ""}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn other_events_never_open_the_store() {
        let payload =
            br#"{"session_id":"s","cwd":"/p","hook_event_name":"UserPromptSubmit","prompt":"hi"}"#;
        let out = handle(
            &ClaudeCode,
            payload,
            &ClientEnv::empty(),
            || -> anyhow::Result<&mut Fake> { panic!("must not open the store") },
        );
        assert_eq!(out, Output::empty());
    }

    #[test]
    fn open_failure_fails_closed_on_pretool() {
        let out = handle(
            &ClaudeCode,
            &bash("PreToolUse", "ls"),
            &ClientEnv::empty(),
            || -> anyhow::Result<&mut Fake> { anyhow::bail!("disk on fire") },
        );
        assert!(
            out.stdout.contains("\"permissionDecision\":\"ask\""),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("disk on fire"));
        assert_eq!(out.exit_code, 0);
    }

    #[test]
    fn engine_error_fails_closed_and_post_errors_only_warn() {
        let mut fake = Fake {
            fail: true,
            ..Fake::default()
        };
        let out = handle(
            &ClaudeCode,
            &bash("PreToolUse", "ls"),
            &ClientEnv::empty(),
            || Ok(&mut fake),
        );
        assert!(out.stdout.contains("\"ask\""));
        assert!(out.stdout.contains("database is locked"));
    }

    #[test]
    fn post_tool_use_reports_progress_and_stop_ends_session() {
        let mut fake = Fake::default();
        let out = handle(
            &ClaudeCode,
            &bash("PostToolUse", "npm test"),
            &ClientEnv::empty(),
            || Ok(&mut fake),
        );
        assert!(out.stdout.contains("3/10"), "{}", out.stdout);
        let stop = br#"{"session_id":"s1","cwd":"/p","hook_event_name":"Stop"}"#;
        let out = handle(&ClaudeCode, stop, &ClientEnv::empty(), || Ok(&mut fake));
        assert_eq!(out, Output::empty());
        assert_eq!(fake.calls, vec!["ran npm test", "end claude-code s1"]);
    }

    #[test]
    fn the_hook_sends_its_call_site_with_the_request() {
        let mut fake = Fake {
            decision: Some(Decision::Allow),
            ..Fake::default()
        };
        let env = ClientEnv::from_pairs([("HOME", "/home/ann"), ("LOGNAME", "ann")]);
        handle(&ClaudeCode, &bash("PreToolUse", "ls"), &env, || {
            Ok(&mut fake)
        });
        let site = fake.sites.first().cloned().flatten().expect("a call site");
        assert_eq!(site.cwd, "/p");
        assert_eq!(site.root, crate::callsite::project_root("/p"));
        assert_eq!(site.principal.runtime, "claude-code");
        // The caller's environment, not this process's.
        assert_eq!(site.home, "/home/ann");
        assert_eq!(site.principal.user, "ann");
    }

    #[test]
    fn status_lines() {
        let mut s = SessionStatus {
            auto_approved_patterns: 0,
            auto_denied_patterns: 0,
            auto_allowed_checks: 0,
            budget_left: 10.0,
            budget: 10.0,
        };
        assert!(status_line(&s).contains("no learned patterns yet"));
        s.auto_approved_patterns = 3;
        s.auto_denied_patterns = 1;
        assert!(status_line(&s).contains("3 auto-approved and 1 auto-denied patterns"));
    }
}
