//! MCP tools and unknown tools: the tool's name says what kind of thing it does, and every
//! value of its arguments, at any depth, is looked at for paths aiperture protects, secrets
//! and URLs that reach this machine or a metadata service.
//!
//! The scope of such a request is the canonical (sorted-key) JSON of its arguments, or, when
//! that is long, a shortened display with the SHA-256 of the whole (see
//! `runtimes::payload::arguments_scope`); the engine hands the full arguments to
//! [`judge`] when it has them, so nothing past a display limit goes unjudged.

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use serde_json::Value;

/// At most this many JSON values are looked at; a larger argument tree is rated HIGH.
const MAX_VALUES: usize = 100_000;

/// At most this many path-like or URL-like tokens are classified; more are rated HIGH.
const MAX_CANDIDATES: usize = 10_000;

/// The marker a shortened scope carries before the hash of the whole arguments.
pub const SHORTENED_MARKER: &str = "… sha256:";

/// Whether `scope` is the arguments of an MCP or unknown tool (a JSON object, whole or
/// shortened) rather than a command, a path or a URL.
pub(super) fn is_arguments(scope: &str) -> bool {
    scope.starts_with('{')
        && (scope.contains(SHORTENED_MARKER)
            || serde_json::from_str::<serde_json::Map<String, Value>>(scope).is_ok())
}

/// Whether `tool` is also the name of a built-in family (`filesystem`, `web`, `shell`, …),
/// so a learned pattern for it could be confused with one for the family.
pub(super) fn builtin_family(tool: &str) -> bool {
    matches!(
        tool,
        "filesystem"
            | "file"
            | "fs"
            | "web"
            | "http"
            | "browser"
            | "agent"
            | "shell"
            | "bash"
            | "terminal"
    )
}

/// Words of an MCP tool name (`delete_file`, `createPullRequest`, `run-query`).
pub(super) fn tool_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' || c == ' ' || c == '/' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Verbs of aiperture's own tools that change what aiperture decides.
const SELF_TAMPER: &[&str] = &[
    "approve",
    "deny",
    "grant",
    "revoke",
    "config",
    "configure",
    "bootstrap",
    "setup",
    "hook",
    "record",
    "decide",
    "set",
    "unset",
    "update",
    "delete",
    "reset",
    "prune",
    "reseal",
    "policy",
    "rule",
    "rules",
    "allow",
    "learn",
    "forget",
    "import",
    "edit",
    "write",
];

/// Words of [`SELF_TAMPER`] that name a thing rather than an act: a tool whose name starts
/// with a reading verb (`get_config`, `list_rules`) only reads it.
const SELF_TAMPER_NOUNS: &[&str] = &["config", "policy", "rule", "rules"];

/// Verbs that only read, when a tool's name starts with one.
const READ_VERBS: &[&str] = &["get", "list", "show", "read", "view", "describe", "explain"];

/// Whether an aiperture tool's name says it changes what aiperture decides: any act of
/// [`SELF_TAMPER`], or one of its nouns unless the name starts with a reading verb.
fn self_tamper(words: &[String]) -> bool {
    let reads = words
        .first()
        .is_some_and(|w| READ_VERBS.contains(&w.as_str()));
    words.iter().any(|w| {
        SELF_TAMPER.contains(&w.as_str()) && !(reads && SELF_TAMPER_NOUNS.contains(&w.as_str()))
    })
}

/// Rates an MCP or unknown tool call: `tool` is the server (lower-cased), `action` the
/// tool's own name, `scope` the canonical JSON of its arguments (or a shortened form).
pub(super) fn judge(tool: &str, action: &str, scope: &str, ctx: &Context, j: &mut Judge) {
    let words = tool_words(action);
    let any = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let own = tool.contains("aiperture") || words.iter().any(|w| w == "aiperture");
    if own {
        // Whoever serves it, a tool named after aiperture is never generalized.
        j.no_pattern = true;
        if self_tamper(&words) {
            j.raise(
                RiskTier::Critical,
                "self_protection",
                "an agent may not approve, grant or reconfigure aiperture",
            );
            return;
        }
    }
    rate_verbs(&any, j);
    arguments(scope, ctx, j);
}

fn rate_verbs(any: &dyn Fn(&[&str]) -> bool, j: &mut Judge) {
    if any(&[
        "delete",
        "drop",
        "destroy",
        "remove",
        "purge",
        "truncate",
        "wipe",
        "erase",
        "kill",
        "terminate",
        "reset",
        "rm",
        "uninstall",
        "revoke",
        "force",
    ]) {
        j.raise(
            RiskTier::High,
            "mcp_destructive",
            "the tool deletes or destroys something",
        );
        j.no_pattern = true;
    } else if any(&[
        "exec", "execute", "run", "eval", "shell", "command", "cmd", "script", "terminal", "bash",
        "spawn", "invoke",
    ]) {
        j.raise(RiskTier::High, "mcp_exec", "the tool runs commands or code");
        j.no_pattern = true;
    } else if any(&[
        "push", "merge", "deploy", "publish", "release", "transfer", "pay", "payment", "send",
        "email", "mail", "post", "tweet", "message", "approve", "invite", "share", "upload",
    ]) {
        j.raise(
            RiskTier::High,
            "mcp_publish",
            "the tool publishes, sends or merges (hard to undo)",
        );
        j.no_pattern = true;
    } else if any(&[
        "write", "create", "update", "edit", "set", "put", "patch", "add", "insert", "modify",
        "move", "rename", "commit", "comment", "upsert", "save", "close", "open", "assign",
        "label", "fork", "navigate", "click", "type", "fill", "press", "select", "upload",
        "install",
    ]) {
        j.raise(RiskTier::Medium, "mcp_write", "the tool changes something");
    } else if any(&[
        "read",
        "list",
        "get",
        "search",
        "find",
        "query",
        "describe",
        "show",
        "view",
        "fetch",
        "status",
        "info",
        "lookup",
        "count",
        "check",
        "inspect",
        "resolve",
        "diff",
        "log",
        "logs",
        "screenshot",
        "snapshot",
        "download",
        "browse",
        "tree",
        "stat",
        "ls",
        "cat",
        "grep",
        "docs",
        "help",
        "retrieve",
        "explain",
        "analyze",
    ]) {
        j.note("mcp_read", "the tool reads or lists");
    } else {
        j.raise(
            RiskTier::Medium,
            "unknown_tool",
            "unknown tool; its effect is not known",
        );
    }
}

/// Judges every key and string value of the arguments, at any depth (bounded). A scope that
/// is not JSON is judged by its tokens; a shortened scope (whose rest is not here to judge)
/// is never generalized.
fn arguments(scope: &str, ctx: &Context, j: &mut Judge) {
    let Ok(value) = serde_json::from_str::<Value>(scope) else {
        if scope.contains(SHORTENED_MARKER) {
            j.no_pattern = true;
        }
        let mut budget = MAX_CANDIDATES;
        text(scope, ctx, j, &mut budget);
        too_many(budget, j);
        return;
    };
    let mut budget = MAX_CANDIDATES;
    let mut stack: Vec<&Value> = vec![&value];
    let mut seen = 0usize;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > MAX_VALUES {
            j.raise(
                RiskTier::High,
                "too_complex",
                "the arguments are too large to judge",
            );
            j.no_pattern = true;
            return;
        }
        match v {
            Value::String(s) => text(s, ctx, j, &mut budget),
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => {
                for (k, v) in m {
                    text(k, ctx, j, &mut budget);
                    stack.push(v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    too_many(budget, j);
}

fn too_many(budget: usize, j: &mut Judge) {
    if budget == 0 {
        j.raise(
            RiskTier::High,
            "too_complex",
            "the arguments name too many paths or URLs to judge",
        );
        j.no_pattern = true;
    }
}

/// Judges one string: the whole of it and each of its tokens, where they look like a path
/// or a URL.
/// Characters that separate tokens inside a string value (commands, option lists, JSON text).
const SEPARATORS: [char; 16] = [
    ' ', ',', '"', '\'', '=', '{', '}', '[', ']', '\n', '\t', '\r', ';', '(', ')', '`',
];

fn text(s: &str, ctx: &Context, j: &mut Judge, budget: &mut usize) {
    let whole = s.trim();
    candidate(whole, ctx, j, budget);
    if whole.contains(SEPARATORS) {
        for tok in whole.split(SEPARATORS) {
            candidate(tok, ctx, j, budget);
        }
    }
}

fn candidate(tok: &str, ctx: &Context, j: &mut Judge, budget: &mut usize) {
    if tok.is_empty() || tok.len() >= 4096 || *budget == 0 {
        return;
    }
    let lower = tok.get(..8).unwrap_or(tok).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        *budget -= 1;
        let mut u = Judge::default();
        super::urls::url(tok, ctx, &mut u);
        if u.tier >= RiskTier::Medium {
            j.absorb(&u);
            j.no_pattern = true;
        }
        return;
    }
    let path = match tok.strip_prefix("file://") {
        Some(rest) => rest,
        None => tok,
    };
    let path_like = path.starts_with('/')
        || path.starts_with('~')
        || path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with("$HOME")
        || path.starts_with(".env")
        || (path.contains('/') && !path.contains("://"))
        || path.starts_with('.');
    if !path_like {
        return;
    }
    *budget -= 1;
    let info = paths::classify(path, ctx);
    if info.class == PathClass::Protected {
        j.raise(
            RiskTier::Critical,
            "self_protection",
            "touches aiperture's files or a runtime's hook settings",
        );
        j.no_pattern = true;
    } else if info.secret {
        j.raise(
            RiskTier::High,
            "secret_access",
            "touches a secret (keys, credentials, .env)",
        );
        j.no_pattern = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            cwd: "/home/u/proj".into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            protected_paths: vec!["/home/u/.config/aiperture".into()],
            resolver: None,
        }
    }

    fn rate(tool: &str, action: &str, scope: &str) -> Judge {
        let mut j = Judge::default();
        judge(tool, action, scope, &ctx(), &mut j);
        j
    }

    #[test]
    fn words_of_tool_names() {
        assert_eq!(
            tool_words("createPullRequest"),
            ["create", "pull", "request"]
        );
        assert_eq!(tool_words("delete_file"), ["delete", "file"]);
    }

    #[test]
    fn values_past_any_length_and_depth_are_judged() {
        let pad = "A".repeat(600);
        let key = format!(r#"{{"a_pad":"{pad}","path":"~/.config/aiperture/key"}}"#);
        assert_eq!(
            rate("filesystem", "read_file", &key).tier,
            RiskTier::Critical
        );
        let deep = r#"{"a":{"b":[{"c":[["/home/u/.ssh/id_rsa"]]}]}}"#;
        let j = rate("filesystem", "read_file", deep);
        assert_eq!(j.tier, RiskTier::High);
        assert!(j.no_pattern);
        let spaced = r#"{"paths":["/home/u/My Files/x","/home/u/.ssh/id_rsa"]}"#;
        assert_eq!(rate("fs", "read_files", spaced).tier, RiskTier::High);
        let harmless = format!(r#"{{"a_pad":"{pad}","path":"/home/u/proj/README.md"}}"#);
        let j = rate("filesystem", "read_file", &harmless);
        assert_eq!(j.tier, RiskTier::Low);
        assert!(!j.no_pattern);
    }

    #[test]
    fn urls_in_arguments_are_judged() {
        let j = rate(
            "fetch",
            "fetch",
            r#"{"url":"http://169.254.169.254/latest/meta-data/"}"#,
        );
        assert_eq!(j.tier, RiskTier::Critical);
        let j = rate("fetch", "fetch", r#"{"url":"https://example.com/"}"#);
        assert_eq!(j.tier, RiskTier::Low);
    }

    #[test]
    fn a_shortened_scope_is_never_generalized() {
        let j = rate("fs", "read_file", r#"{"a_pad":"AAAA… sha256:00ff"#);
        assert!(j.no_pattern);
    }

    #[test]
    fn aiperture_tools_are_gated() {
        for t in [
            "approve",
            "deny",
            "grant",
            "revoke",
            "config_set",
            "setConfig",
            "record_decision",
        ] {
            assert_eq!(rate("aiperture", t, "{}").tier, RiskTier::Critical, "{t}");
        }
        // Reading the configuration is no reconfiguring; setting it through a reading name is.
        for t in ["get_config", "list_rules", "show_policy"] {
            assert_eq!(rate("aiperture", t, "{}").tier, RiskTier::Low, "{t}");
        }
        for t in [
            "get_and_set_config",
            "get_config_update",
            "config",
            "listGrant",
        ] {
            assert_eq!(rate("aiperture", t, "{}").tier, RiskTier::Critical, "{t}");
        }
        let j = rate("aiperture", "check", "{}");
        assert_eq!(j.tier, RiskTier::Low);
        assert!(j.no_pattern, "aiperture's tools are never generalized");
        assert_eq!(
            rate(
                "aiperture",
                "check",
                r#"{"path":"~/.config/aiperture/key"}"#
            )
            .tier,
            RiskTier::Critical
        );
    }

    #[test]
    fn huge_argument_trees_are_bounded() {
        let many = format!("[{}]", vec!["1"; MAX_VALUES + 5].join(","));
        let j = rate("x", "read", &many);
        assert_eq!(j.tier, RiskTier::High);
        let paths = format!(r#"{{"p":"{}"}}"#, "a/b ".repeat(MAX_CANDIDATES + 1));
        let j = rate("x", "read", &paths);
        assert_eq!(j.tier, RiskTier::High);
        assert!(j.no_pattern);
    }
}
