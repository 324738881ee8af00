//! The user's own Claude Code permission rules (`permissions.allow` / `ask` / `deny` in
//! `~/.claude/settings.json`, `<project>/.claude/settings.json` and
//! `<project>/.claude/settings.local.json`), read as policy rules for requests from Claude Code.
//!
//! Only the common forms are understood, with Claude Code's meaning: `Bash` / `Bash(*)`,
//! `Bash(npm test)` (exact), `Bash(git log:*)` and `Bash(git log *)` (prefix), `Read(glob)`,
//! `Edit(glob)`, `WebFetch` / `WebFetch(domain:host)`, `WebSearch`, `mcp__server`,
//! `mcp__server__*` and `mcp__server__tool`. Shell rules match one simple command at a time
//! (a rule never lets a second command ride along). Any other form is skipped and counted:
//! Claude Code still applies its own deny and ask rules after a hook's allow, so skipping one
//! never widens anything, and an allow rule that is not understood is never applied.
//! A file that is not valid JSON gives no rules; a file whose `permissions` are malformed
//! keeps its readable deny and ask rules and loses all its allow rules.

use super::filecache::FileCache;
use super::matcher::{ScopeMatcher, is_path_tool, is_shell, valid_shell_pattern};
use super::rule_files::collect;
use super::rules::{RawTools, Rule, RuleSource};
use crate::request::Decision;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub use super::rule_files::FileReport;

/// The Claude Code settings files for a project, in Claude Code's order (user, project,
/// local). Only paths; nothing is read.
pub fn settings_files(home: &str, project_root: Option<&str>) -> Vec<(RuleSource, PathBuf)> {
    let mut out = Vec::with_capacity(3);
    if home.starts_with('/') {
        out.push((
            RuleSource::ClaudeUser,
            Path::new(home).join(".claude").join("settings.json"),
        ));
    }
    if let Some(root) = project_root.filter(|r| r.starts_with('/')) {
        let dir = Path::new(root).join(".claude");
        out.push((RuleSource::ClaudeProject, dir.join("settings.json")));
        out.push((RuleSource::ClaudeLocal, dir.join("settings.local.json")));
    }
    out
}

/// Reads the existing settings files and returns their rules and a report per file found.
/// A missing file costs one failed `open`.
pub fn load(home: &str, project_root: Option<&str>) -> (Vec<Rule>, Vec<FileReport>) {
    load_cached(&FileCache::default(), home, project_root)
}

/// [`load`] through `cache`: a file that did not change since it was parsed is not parsed again.
pub fn load_cached(
    cache: &FileCache<(Vec<Rule>, FileReport)>,
    home: &str,
    project_root: Option<&str>,
) -> (Vec<Rule>, Vec<FileReport>) {
    let mut rules = Vec::new();
    let mut reports = Vec::new();
    let variant = format!("{home}\0{}", project_root.unwrap_or(""));
    for (source, path) in settings_files(home, project_root) {
        let file = path.display().to_string();
        let parsed = cache.get(&path, &variant, |text| {
            let base = match source {
                RuleSource::ClaudeUser => format!("{}/.claude", home.trim_end_matches('/')),
                _ => project_root.unwrap_or("").to_string(),
            };
            parse(text, &file, source, &base, project_root, home)
        });
        collect(parsed, file, source, &mut rules, &mut reports);
    }
    (rules, reports)
}

/// Parses one settings file's text. `source_base` is where Claude Code resolves `/path`
/// (`~/.claude` for the user file, the project root otherwise); `project_root` stands for the
/// working directory of relative paths.
pub fn parse(
    text: &str,
    file: &str,
    source: RuleSource,
    source_base: &str,
    project_root: Option<&str>,
    home: &str,
) -> (Vec<Rule>, FileReport) {
    let mut report = FileReport {
        path: file.to_string(),
        source,
        rules: 0,
        skipped: 0,
        problem: None,
    };
    let mut rules = Vec::new();
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            report.problem = Some(format!("not valid JSON ({e}); no rule read"));
            return (rules, report);
        }
    };
    let perms = match doc.get("permissions") {
        None => return (rules, report),
        Some(Value::Object(p)) => p,
        Some(_) => {
            report.problem = Some("`permissions` is not an object; no rule read".into());
            return (rules, report);
        }
    };
    // A malformed list anywhere in `permissions` voids every allow rule of the file.
    let mut malformed = None;
    let mut lists: Vec<(Decision, Vec<&str>)> = Vec::new();
    for (key, decision) in [
        ("deny", Decision::Deny),
        ("ask", Decision::Ask),
        ("allow", Decision::Allow),
    ] {
        match perms.get(key) {
            None => {}
            Some(Value::Array(items)) => {
                let mut strs = Vec::with_capacity(items.len());
                for it in items {
                    match it {
                        Value::String(s) => strs.push(s.as_str()),
                        _ => {
                            malformed.get_or_insert_with(|| {
                                format!("`permissions.{key}` holds a non-string entry")
                            });
                            report.skipped += 1;
                        }
                    }
                }
                lists.push((decision, strs));
            }
            Some(_) => {
                malformed.get_or_insert_with(|| format!("`permissions.{key}` is not a list"));
            }
        }
    }
    let mut index = 0;
    for (decision, items) in lists {
        for spec in items {
            index += 1;
            if decision == Decision::Allow && malformed.is_some() {
                report.skipped += 1;
                continue;
            }
            match compile(spec, decision, source_base, project_root, home) {
                Some((tool, action, scope, matcher, raw)) => {
                    report.rules += 1;
                    rules.push(Rule::claude(
                        source,
                        index,
                        tool,
                        action,
                        scope,
                        decision,
                        matcher,
                        raw,
                        format!("claude-settings:{file}:{spec}"),
                    ));
                }
                None => report.skipped += 1,
            }
        }
    }
    if let Some(m) = malformed {
        report.problem = Some(format!("{m}; its allow rules are ignored"));
    }
    (rules, report)
}

type Compiled = (String, String, String, ScopeMatcher, RawTools);

const SHELL_TOOLS: &[&str] = &["Bash"];
const READ_TOOLS: &[&str] = &["Read", "Grep", "Glob", "LS"];
const EDIT_TOOLS: &[&str] = &["Edit", "Write", "MultiEdit", "NotebookEdit"];
const FILE_TOOLS: &[&str] = &[
    "Read",
    "Grep",
    "Glob",
    "LS",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
];
const FETCH_TOOLS: &[&str] = &["WebFetch"];
const SEARCH_TOOLS: &[&str] = &["WebSearch"];

/// Compiles one rule string, or `None` for a form not understood.
fn compile(
    spec: &str,
    decision: Decision,
    source_base: &str,
    project_root: Option<&str>,
    home: &str,
) -> Option<Compiled> {
    let spec = spec.trim();
    let (name, arg) = match spec.split_once('(') {
        Some((n, rest)) => (n, Some(rest.strip_suffix(')')?)),
        None => (spec, None),
    };
    let arg = arg.filter(|a| !a.is_empty() && *a != "*");
    let any = || ScopeMatcher::Any;
    match name {
        "Bash" => {
            let Some(a) = arg else {
                return Some(shell("*".into(), any()));
            };
            let pattern = match a.strip_suffix(":*") {
                Some(prefix) => format!("{} *", prefix.trim_end()),
                None => a.to_string(),
            };
            // `Bash(ls*)`, inner wildcards, operators and parameter rules are not read.
            if !valid_shell_pattern(&pattern) || pattern.contains(':') && !a.ends_with(":*") {
                return None;
            }
            let m = ScopeMatcher::new("shell", &pattern, None, home).ok()?;
            Some(shell(pattern, m))
        }
        "Read" | "Edit" => {
            let (action, raw) = match (name, decision) {
                // A Read deny also blocks edits of the same path (Claude Code's rule).
                ("Read", Decision::Deny) => ("*", FILE_TOOLS),
                ("Read", _) => ("read", READ_TOOLS),
                _ => ("write", EDIT_TOOLS),
            };
            let (scope, m) = match arg {
                None => ("*".to_string(), any()),
                Some(a) => {
                    let abs = claude_path(a, source_base, project_root, home)?;
                    let m = ScopeMatcher::new("filesystem", &abs, None, home).ok()?;
                    (abs, m)
                }
            };
            Some((
                "filesystem".into(),
                action.into(),
                scope,
                m,
                RawTools::Names(raw),
            ))
        }
        "WebFetch" => {
            let (scope, m) = match arg {
                None => ("*".to_string(), any()),
                Some(a) => {
                    let d = a.strip_prefix("domain:")?.trim().to_ascii_lowercase();
                    if d == "*" {
                        ("*".to_string(), any())
                    } else if d.is_empty() || d.contains(['/', ' ', '?', '[']) {
                        return None;
                    } else if let Some(rest) = d.strip_prefix("*.") {
                        if rest.contains('*') || rest.is_empty() {
                            return None;
                        }
                        (format!("domain:{d}"), ScopeMatcher::Domain(d))
                    } else if d.contains('*') {
                        return None;
                    } else {
                        (format!("domain:{d}"), ScopeMatcher::Domain(d))
                    }
                }
            };
            Some((
                "web".into(),
                "fetch".into(),
                scope,
                m,
                RawTools::Names(FETCH_TOOLS),
            ))
        }
        "WebSearch" if arg.is_none() => Some((
            "web".into(),
            "search".into(),
            "*".into(),
            any(),
            RawTools::Names(SEARCH_TOOLS),
        )),
        _ if arg.is_none() && name.starts_with("mcp__") => {
            let rest = name.strip_prefix("mcp__")?;
            let (server, tool) = match rest.split_once("__") {
                Some((s, "*")) => (s, "*"),
                Some((s, t)) => (s, t),
                None => (rest, "*"),
            };
            let word = |w: &str| {
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            };
            // A server named like a built-in tool family would match built-in requests.
            if !word(server)
                || !(tool == "*" || word(tool))
                || is_shell(server)
                || is_path_tool(server)
                || matches!(server, "web" | "agent")
            {
                return None;
            }
            let prefix = if tool == "*" {
                format!("mcp__{server}__")
            } else {
                format!("mcp__{server}__{tool}")
            };
            Some((
                server.into(),
                tool.into(),
                "*".into(),
                any(),
                RawTools::Prefix(prefix, tool == "*"),
            ))
        }
        _ => None,
    }
}

fn shell(pattern: String, m: ScopeMatcher) -> Compiled {
    (
        "shell".into(),
        "execute".into(),
        pattern,
        m,
        RawTools::Names(SHELL_TOOLS),
    )
}

/// Claude Code's path forms made absolute: `//abs`, `~/home`, `/relative-to-settings-source`,
/// `path` and `./path` (relative to the working directory, taken as the project root).
fn claude_path(
    p: &str,
    source_base: &str,
    project_root: Option<&str>,
    home: &str,
) -> Option<String> {
    let p = p.trim();
    let out = if let Some(abs) = p.strip_prefix("//") {
        format!("/{abs}")
    } else if let Some(rest) = p.strip_prefix("~/") {
        format!("{}/{rest}", home.trim_end_matches('/'))
    } else if let Some(rest) = p.strip_prefix('/') {
        if !source_base.starts_with('/') {
            return None;
        }
        format!("{}/{rest}", source_base.trim_end_matches('/'))
    } else {
        let root = project_root.filter(|r| r.starts_with('/'))?;
        let rest = p.strip_prefix("./").unwrap_or(p);
        format!("{}/{rest}", root.trim_end_matches('/'))
    };
    (!out.contains("/../") && !out.ends_with("/..")).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> (Vec<Rule>, FileReport) {
        parse(
            json,
            "/p/.claude/settings.json",
            RuleSource::ClaudeProject,
            "/p",
            Some("/p"),
            "/home/u",
        )
    }

    #[test]
    fn common_forms() {
        let (r, rep) = rules(
            r#"{"permissions":{"allow":["Bash(ls:*)","Bash(npm test)","Read(./src/**)",
            "WebFetch(domain:*.example.com)","mcp__github__get_issue","Bash(ls*)","Agent(Explore)"],
            "deny":["Read(//etc/**)","mcp__*"]}}"#,
        );
        assert_eq!((rep.rules, rep.skipped), (6, 3), "{rep:?}");
        assert_eq!(
            r[0].label(),
            "claude-settings:/p/.claude/settings.json:Read(//etc/**)"
        );
        assert_eq!(r[0].action, "*");
        assert_eq!(r[1].scope, "ls *");
        assert_eq!(r[3].scope, "/p/src/**");
        assert_eq!(
            (r[5].tool.as_str(), r[5].action.as_str()),
            ("github", "get_issue")
        );
    }

    #[test]
    fn malformed_files_never_widen() {
        let (r, rep) =
            rules(r#"{"permissions":{"allow":["Bash(ls:*)"],"deny":["Bash(rm:*)", 3]}}"#);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].decision, Decision::Deny);
        assert!(rep.problem.is_some());
        let (r, rep) = rules("{\"permissions\":");
        assert!(r.is_empty() && rep.problem.is_some());
        let (r, _) = rules(r#"{"permissions":{"allow":["Bash(ls:*)"],"ask":"x"}}"#);
        assert!(r.is_empty());
    }

    #[test]
    fn servers_named_like_builtins_are_skipped() {
        let (r, _) =
            rules(r#"{"permissions":{"allow":["mcp__shell__execute","mcp__filesystem"]}}"#);
        assert!(r.is_empty());
    }
}
