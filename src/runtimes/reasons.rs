//! The texts of an answer, each written for its reader: a denial tells the model why and what
//! to do instead; an ask tells the human why it asks; a learning note tells the human how close
//! a pattern is to running without asking.

use super::Reply;
use crate::engine::Progress;
use crate::request::{Decision, Request, RiskTier, Verdict};

/// The longest scope shown in a message; longer ones keep their start and end.
const SHOW_CHARS: usize = 80;

/// A short display of a scope: at most [`SHOW_CHARS`] characters, middle elided.
pub fn short(scope: &str) -> String {
    let one_line: String = scope
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => " ".to_string(),
            c if is_deceptive(c) => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect();
    let n = one_line.chars().count();
    if n <= SHOW_CHARS {
        return one_line;
    }
    let head: String = one_line.chars().take(SHOW_CHARS / 2 - 1).collect();
    let tail: String = one_line.chars().skip(n - (SHOW_CHARS / 2 - 2)).collect();
    format!("{head}…{tail}")
}

/// Characters a human must never see raw in a prompt: control characters (ANSI escapes can
/// erase or rewrite the line shown) and invisible or direction-changing format characters
/// (a right-to-left override can make `rm -rf ~` read as something else).
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// What the request does, in a few words: "`npm test`", "reading /p/.env", …
pub fn subject(req: &Request) -> String {
    let s = short(&req.scope);
    match (req.tool.as_str(), req.action.as_str()) {
        ("shell", _) => format!("`{s}`"),
        ("filesystem", "read") => format!("reading {s}"),
        ("filesystem", "write") => format!("writing {s}"),
        ("web", "fetch") => format!("fetching {s}"),
        ("web", "search") => format!("searching the web for \"{s}\""),
        ("agent", _) => format!("starting a subagent ({s})"),
        _ if !req.raw_tool_name.is_empty() => format!("{} {s}", req.raw_tool_name),
        (tool, action) => format!("{tool} {action} {s}"),
    }
}

fn instead(req: &Request) -> &'static str {
    match (req.tool.as_str(), req.action.as_str()) {
        ("shell", _) => {
            "Do not retry it or reword it to get around the check; use a safer command \
             (preview first, narrow the target), or tell the user what you need and let them \
             run it themselves"
        }
        ("filesystem", "read") => {
            "Do not try to read it another way; continue without it, or ask the user for the \
             specific value you need"
        }
        ("filesystem", "write") => {
            "Do not write it another way; propose the change to the user instead, or change a \
             file inside the project that is meant to be edited"
        }
        ("web", _) => {
            "Do not fetch it another way; use a trusted source, or ask the user to provide \
             the content"
        }
        _ => {
            "Do not retry it in another form; choose a safer way to reach the goal, or tell the \
             user what you need and why"
        }
    }
}

fn trim_period(s: &str) -> &str {
    s.trim().trim_end_matches('.')
}

/// The texts for a verdict on a request.
pub fn reply(req: &Request, v: &Verdict) -> Reply {
    let what = subject(req);
    let why = trim_period(&v.reason);
    let why = if why.is_empty() {
        "no reason given"
    } else {
        why
    };
    let (for_model, for_human) = match v.decision {
        Decision::Deny => (
            format!("aiperture blocked {what}: {why}. {}.", instead(req)),
            format!(
                "aiperture blocked {what}: {why} (decided by {}).",
                v.decided_by
            ),
        ),
        Decision::Ask => (
            format!("aiperture asked the user to approve {what}: {why}. Wait for their answer."),
            format!(
                "aiperture asks you about {what}: {why} (risk {}, decided by {}).",
                v.risk.tier, v.decided_by
            ),
        ),
        Decision::Allow => {
            let line = format!("aiperture allowed {what} ({}).", v.decided_by);
            (line.clone(), line)
        }
    };
    Reply {
        decision: v.decision,
        for_model,
        for_human,
        tier: v.risk.tier,
        pending_id: None,
    }
}

/// The texts for a verdict, with the learning progress of an ask's pattern appended to the
/// human's text.
pub fn reply_with_progress(req: &Request, v: &Verdict, progress: Option<Progress>) -> Reply {
    let mut r = reply(req, v);
    if v.decision != Decision::Ask || v.risk.tier >= RiskTier::High {
        return r;
    }
    if let Some(Progress {
        approvals: n,
        needed,
        pattern,
    }) = progress
        && n < needed
    {
        let left = needed - n;
        let more = if left == 1 { "approval" } else { "approvals" };
        let then = if req.tool == "shell" {
            "runs without asking"
        } else {
            "is allowed without asking"
        };
        r.for_human.push_str(&format!(
            " Approved {n}/{needed} times — {left} more {more} and `{}` {then}.",
            short(&pattern)
        ));
    }
    r
}

/// Similar patterns an ask's reason names (the most alike first).
pub const SIMILAR_SHOWN: usize = 2;

/// What an ask's reason says is similar: `` Similar: `git pull *` 90% approved (9 of 10
/// decisions, 2 humans).`` — empty when nothing is. Patterns are shortened like scopes.
pub fn similar_note(similar: &[crate::engine::similar::Similar]) -> String {
    if similar.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = similar
        .iter()
        .map(|s| {
            let total = s.approvals + s.denials;
            format!(
                "`{}` {:.0}% approved ({} of {total} decisions, {} {})",
                short(&s.pattern),
                s.rate * 100.0,
                s.approvals,
                s.humans,
                if s.humans == 1 { "human" } else { "humans" }
            )
        })
        .collect();
    format!(" Similar: {}.", parts.join("; "))
}

/// The learning note after a human approval was recorded: `progress` is (approvals, needed).
pub fn progress_note(req: &Request, progress: Option<(u32, u32)>) -> String {
    let what = subject(req);
    match progress {
        Some((n, needed)) if n >= needed => {
            format!("aiperture learned {what}: approved {n} times, it now runs without asking.")
        }
        Some((n, needed)) => {
            let left = needed - n;
            let more = if left == 1 { "approval" } else { "approvals" };
            format!(
                "aiperture recorded your approval of {what}: approved {n}/{needed} times — \
                 {left} more {more} and it runs without asking."
            )
        }
        None => format!("aiperture recorded your approval of {what}."),
    }
}

/// The reason of a fail-closed answer: `why` is the raw error; `asks` says whether the
/// runtime asks the human (else it blocks).
pub fn fail_closed(why: &str, asks: bool) -> String {
    let then = if asks {
        "so it asks instead of allowing it"
    } else {
        "so it blocks it; the user can retry once aiperture works again (`aiperture doctor`)"
    };
    format!("aiperture could not check this tool call ({why}), {then}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Risk;

    fn verdict(d: Decision, reason: &str) -> Verdict {
        Verdict {
            decision: d,
            decided_by: "risk_floor".into(),
            risk: Risk::of_tier(RiskTier::Critical),
            reason: reason.into(),
            explanation: String::new(),
            segments: vec![],
        }
    }

    fn shell(cmd: &str) -> Request {
        Request {
            tool: "shell".into(),
            action: "execute".into(),
            scope: cmd.into(),
            ..Request::default()
        }
    }

    #[test]
    fn deny_speaks_to_the_model() {
        let r = reply(
            &shell("rm -rf /"),
            &verdict(Decision::Deny, "recursive delete of /."),
        );
        assert!(r.for_model.contains("`rm -rf /`"));
        assert!(
            r.for_model.contains("recursive delete of /: ")
                || r.for_model.contains("recursive delete of /.")
        );
        assert!(r.for_model.contains("safer command"));
        assert!(r.for_human.contains("risk_floor"));
    }

    #[test]
    fn ask_speaks_to_the_human() {
        let r = reply(
            &shell("npm test"),
            &verdict(Decision::Ask, "not learned yet"),
        );
        assert!(
            r.for_human
                .starts_with("aiperture asks you about `npm test`")
        );
        assert!(r.for_human.contains("risk critical"));
    }

    #[test]
    fn asks_say_how_close_learning_is() {
        let mut v = verdict(Decision::Ask, "not learned yet");
        v.risk = Risk::of_tier(RiskTier::Medium);
        let r = reply_with_progress(
            &shell("npm test"),
            &v,
            Some(Progress {
                approvals: 7,
                needed: 10,
                pattern: "npm test".into(),
            }),
        );
        assert!(
            r.for_human.ends_with(
                "Approved 7/10 times — 3 more approvals and `npm test` runs without asking."
            ),
            "{}",
            r.for_human
        );
        // High risk is never learned: no promise.
        v.risk = Risk::of_tier(RiskTier::High);
        let r = reply_with_progress(
            &shell("npm test"),
            &v,
            Some(Progress {
                approvals: 7,
                needed: 10,
                pattern: "npm test".into(),
            }),
        );
        assert!(!r.for_human.contains("Approved"));
    }

    #[test]
    fn progress_is_counted() {
        let n = progress_note(&shell("npm test"), Some((7, 10)));
        assert!(n.contains("approved 7/10 times — 3 more approvals"), "{n}");
        let n = progress_note(&shell("npm test"), Some((9, 10)));
        assert!(n.contains("1 more approval and"), "{n}");
        let n = progress_note(&shell("npm test"), Some((10, 10)));
        assert!(n.contains("now runs without asking"), "{n}");
    }

    #[test]
    fn control_and_bidi_characters_are_shown_escaped() {
        let s = short("echo hi\u{1b}[2K\rrm -rf ~ \u{0} \u{202e}live");
        assert!(!s.chars().any(is_deceptive), "{s:?}");
        assert!(s.contains("\\u{1b}[2K") && s.contains("\\u{202e}"), "{s}");
    }

    #[test]
    fn long_scopes_are_elided() {
        let long = "x".repeat(300);
        let s = short(&long);
        assert!(s.chars().count() <= SHOW_CHARS);
        assert!(s.contains('…'));
        assert_eq!(short("a\nb"), "a b");
    }
}
