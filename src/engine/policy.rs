//! Policy files: static `tool / action / scope → allow | ask | deny` rules.
//!
//! The user file is `$AIPERTURE_HOME/policy.toml`; the project file is
//! `<project>/.aiperture/policy.toml` (meant to be committed). Across kinds deny > ask > allow;
//! within a kind the most specific scope wins (ties: the user file, then file order).
//! A project file may add deny and ask rules freely; its allow rules only apply to LOW risk
//! segments unless the user file sets `trust_project_allow = true` (an agent can write the
//! project file). No allow rule ever overrides the risk floor. Only files that exist are read.

use super::claude_rules::FileReport;
use super::filecache::{Cached, FileCache};
use super::matcher::ScopeMatcher;
pub use super::rules::{RawTools, Rule, RuleSource};
use crate::request::Decision;
use serde::Deserialize;
use std::path::Path;

/// The rules that matched one scope, the most specific of each kind.
#[derive(Debug, Default, Clone)]
pub struct Hits<'a> {
    /// Most specific deny rule.
    pub deny: Option<&'a Rule>,
    /// Most specific ask rule.
    pub ask: Option<&'a Rule>,
    /// Most specific allow rule.
    pub allow: Option<&'a Rule>,
}

/// The loaded policy (possibly with an error, which makes the gate fail closed).
#[derive(Debug, Default, Clone)]
pub struct Policy {
    /// All rules, user file first.
    pub rules: Vec<Rule>,
    /// The user file lets project allow rules apply beyond LOW risk.
    pub trust_project_allow: bool,
    /// `file:line: reason` of the first invalid file.
    pub error: Option<String>,
    /// The Claude Code settings files read (requests from Claude Code only).
    pub claude_files: Vec<super::claude_rules::FileReport>,
    /// The Codex rule files read (requests from Codex only).
    pub codex_files: Vec<FileReport>,
    /// The Gemini CLI policy files read (requests from Gemini CLI only).
    pub gemini_files: Vec<FileReport>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    trust_project_allow: Option<bool>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default = "star")]
    tool: String,
    #[serde(default = "star")]
    action: String,
    #[serde(default = "star")]
    scope: String,
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

fn star() -> String {
    "*".to_string()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|t| t.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// The parse of one policy file: its rules and `trust_project_allow`, or `file:line: reason`.
type ParsedFile = Result<(Vec<Rule>, Option<bool>), String>;

/// The policy and Claude Code settings files a gate has parsed, kept while they do not change
/// (see [`FileCache`]): a resident server parses each version of a file once.
#[derive(Debug, Default)]
pub struct PolicyFiles {
    policy: FileCache<ParsedFile>,
    claude: FileCache<(Vec<Rule>, FileReport)>,
    codex: FileCache<(Vec<Rule>, FileReport)>,
    gemini: FileCache<(Vec<Rule>, FileReport)>,
}

impl PolicyFiles {
    /// Empty caches reading through `files`.
    pub fn on(files: std::sync::Arc<dyn crate::files::Files>) -> Self {
        PolicyFiles {
            policy: FileCache::on(files.clone()),
            claude: FileCache::on(files.clone()),
            codex: FileCache::on(files.clone()),
            gemini: FileCache::on(files),
        }
    }
}

impl Policy {
    /// Loads the user file and, when `project_root` is given, the project file. Missing files
    /// are fine; invalid ones set [`Policy::error`].
    pub fn load(user_file: &Path, project_root: Option<&str>, home: &str) -> Policy {
        Self::load_from(&PolicyFiles::default(), user_file, project_root, home)
    }

    /// [`Policy::load`] through `files`, which keeps what it parsed.
    pub fn load_from(
        files: &PolicyFiles,
        user_file: &Path,
        project_root: Option<&str>,
        home: &str,
    ) -> Policy {
        let mut policy = Policy::default();
        policy.add_file(files, user_file, RuleSource::User, None, home);
        if let Some(root) = project_root {
            let file = Path::new(root).join(".aiperture").join("policy.toml");
            policy.add_file(files, &file, RuleSource::Project, Some(root), home);
        }
        policy
    }

    fn add_file(
        &mut self,
        files: &PolicyFiles,
        path: &Path,
        source: RuleSource,
        base: Option<&str>,
        home: &str,
    ) {
        let variant = format!("{home}\0{}", base.unwrap_or(""));
        let file = path.display().to_string();
        match files.policy.get(path, &variant, |text| {
            parse(text, &file, source, base, home)
        }) {
            Cached::Missing => {}
            Cached::Unreadable(e) => {
                if self.error.is_none() {
                    self.error = Some(format!("{file}: cannot read: {e}"));
                }
            }
            Cached::Parsed(p) => self.add_parsed(&p, source),
        }
    }

    /// Adds the Claude Code permission rules that apply to one runtime tool name (`Bash`,
    /// `Read`, `mcp__s__t`, …) from the user's, the project's and the local settings files.
    pub fn add_claude(&mut self, home: &str, project_root: Option<&str>, raw_tool: &str) {
        self.add_claude_from(&PolicyFiles::default(), home, project_root, raw_tool);
    }

    /// [`Policy::add_claude`] through `files`, which keeps what it parsed.
    pub fn add_claude_from(
        &mut self,
        files: &PolicyFiles,
        home: &str,
        project_root: Option<&str>,
        raw_tool: &str,
    ) {
        let (rules, reports) = super::claude_rules::load_cached(&files.claude, home, project_root);
        self.rules
            .extend(rules.into_iter().filter(|r| r.raw_tools.covers(raw_tool)));
        self.claude_files = reports;
    }

    /// Adds the Codex execpolicy rules (`~/.codex/rules/*.rules`, `<project>/.codex/rules/*.rules`)
    /// that apply to one Codex tool name (only `Bash` has any), through `files`.
    pub fn add_codex_from(
        &mut self,
        files: &PolicyFiles,
        home: &str,
        project_root: Option<&str>,
        raw_tool: &str,
    ) {
        let (rules, reports) = super::codex_rules::load_cached(&files.codex, home, project_root);
        self.rules
            .extend(rules.into_iter().filter(|r| r.raw_tools.covers(raw_tool)));
        self.codex_files = reports;
    }

    /// Adds the Gemini CLI policy rules (`~/.gemini/policies/*.toml`,
    /// `<project>/.gemini/policies/*.toml`) that apply to one Gemini tool name, through `files`.
    pub fn add_gemini_from(
        &mut self,
        files: &PolicyFiles,
        home: &str,
        project_root: Option<&str>,
        raw_tool: &str,
    ) {
        let (rules, reports) = super::gemini_rules::load_cached(&files.gemini, home, project_root);
        self.rules
            .extend(rules.into_iter().filter(|r| r.raw_tools.covers(raw_tool)));
        self.gemini_files = reports;
    }

    /// Parses one file's text into this policy (or records its error).
    pub fn add(
        &mut self,
        text: &str,
        file: &str,
        source: RuleSource,
        base: Option<&str>,
        home: &str,
    ) {
        self.add_parsed(&parse(text, file, source, base, home), source);
    }

    fn add_parsed(&mut self, parsed: &ParsedFile, source: RuleSource) {
        match parsed {
            Ok((rules, trust)) => {
                self.rules.extend(rules.iter().cloned());
                if source == RuleSource::User {
                    self.trust_project_allow = trust.unwrap_or(false);
                }
            }
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e.clone());
                }
            }
        }
    }

    /// The rules matching one scope of a request (for shell: one simple command, whose
    /// resolved `program` may be given to skip other programs' rules cheaply; `""` if
    /// unknown), most specific of each kind. A path whose place is unknown (a relative path
    /// with no absolute cwd) is caught by deny and ask rules but covered by no allow rule.
    pub fn hits(
        &self,
        tool: &str,
        action: &str,
        scope: &str,
        program: &str,
        cwd: &str,
    ) -> Hits<'_> {
        let mut h = Hits::default();
        for r in &self.rules {
            let hit = match r.decision {
                Decision::Allow => r.matcher.matches_segment(tool, scope, program, cwd),
                Decision::Deny | Decision::Ask => {
                    r.matcher.restricts_segment(tool, scope, program, cwd)
                }
            };
            if !r.applies(tool, action) || !hit {
                continue;
            }
            let slot = match r.decision {
                Decision::Deny => &mut h.deny,
                Decision::Ask => &mut h.ask,
                Decision::Allow => &mut h.allow,
            };
            if slot.is_none_or(|best| r.rank() > best.rank()) {
                *slot = Some(r);
            }
        }
        h
    }
}

/// Parses a policy file: its rules and its `trust_project_allow` setting.
pub fn parse(
    text: &str,
    file: &str,
    source: RuleSource,
    base: Option<&str>,
    home: &str,
) -> Result<(Vec<Rule>, Option<bool>), String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        format!("{file}:{line}: {}", e.message().trim())
    })?;
    if source == RuleSource::Project && raw.trust_project_allow.is_some() {
        return Err(format!(
            "{file}:1: trust_project_allow may only be set in the user policy file"
        ));
    }
    let mut rules = Vec::new();
    for (i, spanned) in raw.rule.iter().enumerate() {
        let line = line_of(text, spanned.span().start);
        let r = spanned.get_ref();
        let decision = Decision::parse(&r.decision).ok_or_else(|| {
            format!(
                "{file}:{line}: decision must be allow, ask or deny, not `{}`",
                r.decision
            )
        })?;
        if r.tool.is_empty() || r.action.is_empty() || r.scope.is_empty() {
            return Err(format!(
                "{file}:{line}: tool, action and scope must not be empty"
            ));
        }
        let matcher = ScopeMatcher::new(&r.tool, &r.scope, base, home)
            .map_err(|e| format!("{file}:{line}: {e}"))?;
        rules.push(Rule {
            source,
            index: i + 1,
            line,
            tool: r.tool.clone(),
            action: r.action.clone(),
            scope: r.scope.clone(),
            decision,
            reason: r.reason.clone(),
            raw_tools: RawTools::Any,
            origin: None,
            matcher,
        });
    }
    Ok((rules, raw.trust_project_allow))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"
trust_project_allow = false

[[rule]]
tool = "shell"
action = "execute"
scope = "git push *"
decision = "ask"
reason = "pushes leave the machine"

[[rule]]
tool = "shell"
scope = "git push --force *"
decision = "deny"

[[rule]]
tool = "shell"
scope = "git *"
decision = "allow"
"#;

    fn policy(text: &str) -> Policy {
        let mut p = Policy::default();
        p.add(text, "policy.toml", RuleSource::User, None, "/home/u");
        p
    }

    #[test]
    fn kinds_and_specificity() {
        let p = policy(USER);
        assert!(p.error.is_none(), "{:?}", p.error);
        let h = p.hits(
            "shell",
            "execute",
            "git push --force origin main",
            "git",
            "/",
        );
        assert_eq!(h.deny.map(|r| r.label()), Some("rule:user:2".into()));
        assert_eq!(h.ask.map(|r| r.index), Some(1));
        assert_eq!(h.allow.map(|r| r.index), Some(3));
        let h = p.hits("shell", "execute", "git status", "", "/");
        assert!(h.deny.is_none() && h.ask.is_none());
        assert_eq!(h.allow.map(|r| r.line), Some(16));
        let h = p.hits("shell", "execute", "git status; curl x | sh", "", "/");
        assert!(h.allow.is_none());
    }

    #[test]
    fn invalid_files_name_file_and_line() {
        let p = policy("[[rule]]\ntool = \"shell\"\ndecision = \"maybe\"\n");
        let e = p.error.unwrap();
        assert!(
            e.starts_with("policy.toml:1:") && e.contains("maybe"),
            "{e}"
        );
        let p = policy("[[rule]]\ntool = \"shell\"\n\ndecision = \"allow\"\nbogus = 1\n");
        let e = p.error.unwrap();
        assert!(e.starts_with("policy.toml:5:"), "{e}");
        let p = policy("[[rule]\n");
        assert!(p.error.unwrap().starts_with("policy.toml:1:"));
    }

    #[test]
    fn project_file_cannot_opt_itself_in() {
        let mut p = Policy::default();
        p.add(
            "trust_project_allow = true\n",
            "proj.toml",
            RuleSource::Project,
            Some("/p"),
            "/h",
        );
        assert!(p.error.is_some());
        assert!(!p.trust_project_allow);
    }
}
