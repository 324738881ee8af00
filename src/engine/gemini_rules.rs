//! The user's own Gemini CLI policies (`~/.gemini/policies/*.toml` and
//! `<project>/.gemini/policies/*.toml`, `auto-saved.toml` included), read as policy rules for
//! requests from Gemini CLI.
//!
//! A `[[rule]]` is read when it maps exactly onto aiperture's rules: `toolName =
//! "run_shell_command"` with or without `commandPrefix` (a string or a list: shell rules on one
//! simple command's words, `git status` covering `git status -s` but not `git statusx`); any
//! other tool name without conditions (that tool, whatever its arguments); `mcpName` with or
//! without a `toolName` and the `server__tool` / `server__*` names (MCP rules); no tool name at
//! all (every tool). `decision` is `allow`, `deny` or `ask_user`; `denyMessage` is the reason;
//! `priority` is read and does not matter (aiperture's deny > ask > allow is never wider than
//! Gemini's highest priority wins, and Gemini applies its own policies after aiperture's
//! allow); `allowRedirection` is read and never lets a redirection through (aiperture's shell
//! rules never match one).
//!
//! A rule with any other field (`commandRegex`, `argsPattern`, `modes`, `interactive`,
//! `subagent`, `toolAnnotations`, …) or value is skipped and counted; a skipped deny or ask
//! rule is reported as not applied. A file that is not valid TOML, or whose `rule` is not a
//! list of tables, gives no rule.

use super::codex_rules::plain_word;
use super::filecache::FileCache;
use super::matcher::{ScopeMatcher, is_path_tool, is_shell, valid_shell_pattern};
use super::rule_files::{FileReport, load_files};
use super::rules::{RawTools, Rule, RuleSource};
use crate::request::Decision;
use std::path::{Path, PathBuf};
use toml::Value;

/// The workspace file where Gemini CLI keeps "allow for all future sessions" answers.
pub const AUTO_SAVED: &str = "auto-saved.toml";

const SHELL_TOOLS: &[&str] = &["run_shell_command"];

/// Gemini CLI's own tool names: an MCP server named like one of them is not read (its rules
/// would cover the built-in tool).
const BUILTINS: &[&str] = &[
    "run_shell_command",
    "read_file",
    "write_file",
    "replace",
    "glob",
    "grep_search",
    "search_file_content",
    "list_directory",
    "read_many_files",
    "web_fetch",
    "google_web_search",
    "write_todos",
    "ask_user",
    "activate_skill",
    "enter_plan_mode",
    "exit_plan_mode",
    "read_mcp_resource",
    "list_mcp_resources",
    "save_memory",
    "delegate_to_agent",
];

/// The Gemini CLI policy directories for a project: the user's, then the workspace's.
pub fn policy_dirs(home: &str, project_root: Option<&str>) -> Vec<(RuleSource, PathBuf)> {
    let mut out = Vec::with_capacity(2);
    if home.starts_with('/') {
        out.push((
            RuleSource::GeminiUser,
            Path::new(home).join(".gemini/policies"),
        ));
    }
    if let Some(root) = project_root.filter(|r| r.starts_with('/')) {
        out.push((
            RuleSource::GeminiWorkspace,
            Path::new(root).join(".gemini/policies"),
        ));
    }
    out
}

/// Which source a file of a directory is: the workspace's `auto-saved.toml` is its own.
fn classify(source: RuleSource, path: &Path) -> RuleSource {
    let auto = path.file_name().and_then(|n| n.to_str()) == Some(AUTO_SAVED);
    if source == RuleSource::GeminiWorkspace && auto {
        RuleSource::GeminiAutoSaved
    } else {
        source
    }
}

/// Reads the existing policy files and returns their rules and a report per file found.
pub fn load(home: &str, project_root: Option<&str>) -> (Vec<Rule>, Vec<FileReport>) {
    load_cached(&FileCache::default(), home, project_root)
}

/// [`load`] through `cache`: a file that did not change since it was parsed is not parsed again
/// (the directories are listed on every call).
pub fn load_cached(
    cache: &FileCache<(Vec<Rule>, FileReport)>,
    home: &str,
    project_root: Option<&str>,
) -> (Vec<Rule>, Vec<FileReport>) {
    load_files(
        cache,
        &policy_dirs(home, project_root),
        "toml",
        home,
        classify,
        |text, file, source| parse(text, file, source, home),
    )
}

/// One rule's target: tool, action, scope, matcher, runtime tool names, what it is (for the
/// label).
type Target = (String, String, String, ScopeMatcher, RawTools, String);

/// Parses one policy file's text.
pub fn parse(text: &str, file: &str, source: RuleSource, home: &str) -> (Vec<Rule>, FileReport) {
    let mut report = FileReport {
        path: file.to_string(),
        source,
        rules: 0,
        skipped: 0,
        problem: None,
    };
    let mut rules = Vec::new();
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            report.problem = Some(format!(
                "not valid TOML ({}); no rule read",
                e.message().trim()
            ));
            return (rules, report);
        }
    };
    report.skipped += doc.keys().filter(|k| *k != "rule").count();
    let items = match doc.get("rule") {
        None => return (rules, report),
        Some(Value::Array(a)) => a,
        Some(_) => {
            report.problem = Some("`rule` is not a list of tables; no rule read".into());
            return (rules, report);
        }
    };
    let mut unapplied: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let Value::Table(t) = item else {
            report.skipped += 1;
            continue;
        };
        let decision = match t.get("decision").and_then(Value::as_str) {
            Some("allow") => Some(Decision::Allow),
            Some("deny") => Some(Decision::Deny),
            Some("ask_user") => Some(Decision::Ask),
            _ => None,
        };
        let compiled = decision
            .ok_or_else(|| "`decision` is not allow, deny or ask_user".to_string())
            .and_then(|d| targets(t, home).map(|ts| (d, ts)));
        let (decision, targets) = match compiled {
            Ok(c) => c,
            Err(why) => {
                report.skipped += 1;
                if decision.is_some_and(|d| d != Decision::Allow) {
                    unapplied.push(format!("rule {n}: {why}"));
                }
                continue;
            }
        };
        let message = t
            .get("denyMessage")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|m| !m.is_empty());
        report.rules += 1;
        for (tool, action, scope, matcher, raw, what) in targets {
            let label = format!("gemini-policy:{file}:{n}:{what}");
            let reason = match message {
                Some(m) => format!("{label}: {m} (your Gemini CLI policies)"),
                None => format!("{label} (your Gemini CLI policies)"),
            };
            rules.push(Rule::runtime(
                source, n, 0, tool, action, scope, decision, matcher, raw, label, reason,
            ));
        }
    }
    if let Some(first) = unapplied.first() {
        report.problem = Some(format!(
            "{} deny or ask_user rule(s) not applied (first: {first})",
            unapplied.len()
        ));
    }
    (rules, report)
}

/// The strings of a field that is a string or a non-empty list of strings.
fn strings<'a>(t: &'a toml::Table, key: &str) -> Result<Option<Vec<&'a str>>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.as_str()])),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("`{key}` holds a non-string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("`{key}` is not a string or a list of strings")),
    }
}

/// What one rule covers, or why it is not read.
fn targets(t: &toml::Table, home: &str) -> Result<Vec<Target>, String> {
    for (k, v) in t {
        let ok = match k.as_str() {
            "toolName" | "commandPrefix" | "decision" => true,
            "mcpName" | "denyMessage" => v.is_str(),
            "priority" => v.is_integer(),
            "allowRedirection" => v.is_bool(),
            other => return Err(format!("`{other}` is not read")),
        };
        if !ok {
            return Err(format!("`{k}` has an unexpected type"));
        }
    }
    let tools = strings(t, "toolName")?;
    let prefixes = strings(t, "commandPrefix")?;
    if let Some(server) = t.get("mcpName").and_then(Value::as_str) {
        if prefixes.is_some() {
            return Err("`commandPrefix` on an MCP rule".into());
        }
        return tools
            .unwrap_or_else(|| vec!["*"])
            .into_iter()
            .map(|tool| mcp(server, tool))
            .collect();
    }
    let Some(tools) = tools else {
        if prefixes.is_some() {
            return Err("`commandPrefix` without `toolName`".into());
        }
        let any = ScopeMatcher::Any;
        return Ok(vec![(
            "*".into(),
            "*".into(),
            "*".into(),
            any,
            RawTools::Any,
            "*".into(),
        )]);
    };
    let mut out = Vec::new();
    for name in tools {
        if name == "run_shell_command" {
            out.extend(shell(prefixes.as_deref(), home)?);
        } else if prefixes.is_some() {
            return Err(format!("`commandPrefix` on `{name}`"));
        } else if let Some((server, tool)) = name.split_once("__") {
            out.push(mcp(server, tool)?);
        } else if word(name) {
            out.push((
                "*".into(),
                "*".into(),
                "*".into(),
                ScopeMatcher::Any,
                RawTools::Prefix(name.to_string(), false),
                name.to_string(),
            ));
        } else {
            return Err(format!("tool name `{name}` is not read"));
        }
    }
    Ok(out)
}

fn word(w: &str) -> bool {
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Shell rules: any command, or one per prefix (plain words separated by single spaces).
fn shell(prefixes: Option<&[&str]>, home: &str) -> Result<Vec<Target>, String> {
    let raw = || RawTools::Names(SHELL_TOOLS);
    let Some(prefixes) = prefixes else {
        return Ok(vec![(
            "shell".into(),
            "execute".into(),
            "*".into(),
            ScopeMatcher::Any,
            raw(),
            "run_shell_command".into(),
        )]);
    };
    prefixes
        .iter()
        .map(|p| {
            if !p.split(' ').all(plain_word) {
                return Err(format!("command prefix `{p}` is not plain words"));
            }
            let pattern = format!("{p} *");
            if !valid_shell_pattern(&pattern) {
                return Err(format!("command prefix `{p}` is not read"));
            }
            let m = ScopeMatcher::new("shell", &pattern, None, home)?;
            Ok((
                "shell".into(),
                "execute".into(),
                pattern,
                m,
                raw(),
                format!("run_shell_command({p})"),
            ))
        })
        .collect()
}

/// An MCP rule: server `server`'s tool `tool` (`*`: all of its tools).
fn mcp(server: &str, tool: &str) -> Result<Target, String> {
    let builtin = |s: &str| {
        let l = s.to_ascii_lowercase();
        is_shell(&l)
            || is_path_tool(&l)
            || matches!(l.as_str(), "web" | "agent")
            || BUILTINS.contains(&l.as_str())
    };
    if !word(server) || !(tool == "*" || word(tool)) || builtin(server) {
        return Err(format!("MCP server `{server}` / tool `{tool}` is not read"));
    }
    Ok((
        server.into(),
        tool.into(),
        "*".into(),
        ScopeMatcher::Any,
        RawTools::Any,
        format!("mcp:{server}/{tool}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Policy;

    fn rules(text: &str) -> (Vec<Rule>, FileReport) {
        parse(
            text,
            "/h/.gemini/policies/p.toml",
            RuleSource::GeminiUser,
            "/h",
        )
    }

    fn decide(r: &[Rule], raw: &str, tool: &str, action: &str, scope: &str) -> Option<Decision> {
        let p = Policy {
            rules: r
                .iter()
                .filter(|r| r.raw_tools.covers(raw))
                .cloned()
                .collect(),
            ..Default::default()
        };
        let h = p.hits(tool, action, scope, "", "/p");
        h.deny.or(h.ask).or(h.allow).map(|r| r.decision)
    }

    fn sh(r: &[Rule], cmd: &str) -> Option<Decision> {
        decide(r, "run_shell_command", "shell", "execute", cmd)
    }

    #[test]
    fn mapped_forms() {
        let (r, rep) = rules(
            r#"
[[rule]]
toolName = "run_shell_command"
commandPrefix = ["git status", "cargo build"]
decision = "allow"
priority = 100

[[rule]]
toolName = "run_shell_command"
commandPrefix = "git push"
decision = "deny"
denyMessage = "no pushing"

[[rule]]
toolName = ["read_file", "glob"]
decision = "allow"

[[rule]]
mcpName = "github"
toolName = "merge_pr"
decision = "ask_user"

[[rule]]
toolName = "notion__*"
decision = "deny"
"#,
        );
        assert_eq!((rep.rules, rep.skipped), (5, 0), "{rep:?}");
        assert!(rep.problem.is_none());
        assert_eq!(sh(&r, "git status -s"), Some(Decision::Allow));
        assert_eq!(sh(&r, "git statusx"), None);
        assert_eq!(sh(&r, "cargo build --release"), Some(Decision::Allow));
        assert_eq!(sh(&r, "git status && curl x"), None);
        assert_eq!(sh(&r, "git push origin"), Some(Decision::Deny));
        let deny = r
            .iter()
            .find(|r| r.decision == Decision::Deny)
            .map(|r| r.reason.clone());
        assert!(deny.flatten().unwrap_or_default().contains("no pushing"));
        assert_eq!(
            decide(&r, "read_file", "filesystem", "read", "/x"),
            Some(Decision::Allow)
        );
        assert_eq!(decide(&r, "write_file", "filesystem", "write", "/x"), None);
        assert_eq!(
            decide(&r, "mcp_github_merge_pr", "github", "merge_pr", "{}"),
            Some(Decision::Ask)
        );
        assert_eq!(decide(&r, "mcp_github_get", "github", "get", "{}"), None);
        assert_eq!(
            decide(&r, "mcp_notion_x", "notion", "x", "{}"),
            Some(Decision::Deny)
        );
        assert_eq!(
            r[0].label(),
            "gemini-policy:/h/.gemini/policies/p.toml:1:run_shell_command(git status)"
        );
    }

    #[test]
    fn unmapped_forms_are_skipped_and_deny_reported() {
        let (r, rep) = rules(
            r#"
[[rule]]
toolName = "run_shell_command"
commandRegex = "git .*"
decision = "allow"

[[rule]]
toolName = "run_shell_command"
commandPrefix = "rm"
modes = ["yolo"]
decision = "deny"

[[rule]]
toolName = "write_file"
argsPattern = "secret"
decision = "deny"

[[rule]]
toolName = "run_shell_command"
commandPrefix = "git  status"
decision = "allow"

[[rule]]
mcpName = "run_shell_command"
decision = "allow"

[[rule]]
toolName = "*"
decision = "allow"

[[rule]]
toolName = "read_file"
commandPrefix = "ls"
decision = "allow"

[[rule]]
toolName = "run_shell_command"
commandPrefix = "ls"
decision = "maybe"
"#,
        );
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(rep.skipped, 8);
        let p = rep.problem.unwrap_or_default();
        assert!(
            p.starts_with("2 deny or ask_user rule(s) not applied"),
            "{p}"
        );
        assert!(p.contains("modes"), "{p}");
    }

    #[test]
    fn malformed_files_give_nothing() {
        for bad in [
            "[[rule]\n",
            "rule = 3",
            "[[rule]]\ntoolName = \"run_shell_command\"\ndecision = \"allow\"\ndecision = \"deny\"",
            "x = \"unterminated",
            &format!("a = {}1{}", "[".repeat(5000), "]".repeat(5000)),
            &format!("a = {}", "{ b = ".repeat(5000)),
        ] {
            let (r, rep) = rules(bad);
            assert!(r.is_empty(), "{bad:.40}");
            assert!(rep.problem.is_some(), "{bad:.40}");
        }
        let big = "[[rule]]\ntoolName = \"run_shell_command\"\ncommandPrefix = \"ls\"\ndecision = \"allow\"\n"
            .repeat(5_000);
        assert_eq!(rules(&big).0.len(), 5_000);
    }

    #[test]
    fn a_rule_without_tool_covers_every_tool() {
        let (r, _) = rules("[[rule]]\ndecision = \"deny\"\n");
        assert_eq!(
            decide(&r, "read_file", "filesystem", "read", "/x"),
            Some(Decision::Deny)
        );
        assert_eq!(sh(&r, "ls"), Some(Decision::Deny));
    }

    #[test]
    fn auto_saved_is_its_own_source() {
        let ws = Path::new("/p/.gemini/policies/auto-saved.toml");
        assert_eq!(
            classify(RuleSource::GeminiWorkspace, ws),
            RuleSource::GeminiAutoSaved
        );
        assert_eq!(classify(RuleSource::GeminiUser, ws), RuleSource::GeminiUser);
        let other = Path::new("/p/.gemini/policies/team.toml");
        assert_eq!(
            classify(RuleSource::GeminiWorkspace, other),
            RuleSource::GeminiWorkspace
        );
        assert!(RuleSource::GeminiAutoSaved.trusted_allow());
        assert!(!RuleSource::GeminiWorkspace.trusted_allow());
    }
}
