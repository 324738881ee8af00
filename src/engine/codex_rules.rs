//! The user's own Codex execpolicy rules (`~/.codex/rules/*.rules` and
//! `<project>/.codex/rules/*.rules`), read as policy rules for shell commands from Codex.
//!
//! Only top-level `prefix_rule(pattern=[...], decision=..., justification=..., match=[...],
//! not_match=[...])` calls with literal arguments are read (a pattern element is a word or a
//! list of alternative words; `decision` is `allow` (the default), `prompt` or `forbidden`).
//! They become shell rules on one simple command's words, with Codex's prefix meaning:
//! `["git", "status"]` covers `git status` and `git status -s`, never `git statusx`, and a rule
//! never lets a second command ride along. forbidden → deny, prompt → ask, allow → allow.
//!
//! Anything else (other calls such as `host_executable`, assignments, expressions, indented
//! blocks, a `prefix_rule` whose arguments are not literals) is skipped and counted. A file that
//! does not tokenize (an unterminated string or bracket, an unknown escape, nesting deeper than
//! [`MAX_DEPTH`]) keeps the deny and ask rules read before the error and loses every allow rule;
//! so does a file whose `match` / `not_match` examples contradict its rules (Codex refuses to
//! load such a file). Skipping never widens anything: Codex still applies its own rules.

use super::filecache::FileCache;
use super::matcher::{ScopeMatcher, valid_shell_pattern};
use super::rule_files::{FileReport, load_files};
use super::rules::{RawTools, Rule, RuleSource};
use crate::request::Decision;
use starlark::{Lit, Stmt, Tok, literal, statements};
use std::path::{Path, PathBuf};

mod starlark;

/// Deepest bracket nesting a rules file may use before it is refused.
pub const MAX_DEPTH: usize = 32;
/// Most words one `prefix_rule` may expand to through its alternatives.
pub const MAX_EXPANSIONS: usize = 64;

const SHELL_TOOLS: &[&str] = &["Bash"];

/// The Codex rule directories for a project: the user's, then the project's. Only paths.
pub fn rule_dirs(home: &str, project_root: Option<&str>) -> Vec<(RuleSource, PathBuf)> {
    let mut out = Vec::with_capacity(2);
    if home.starts_with('/') {
        out.push((RuleSource::CodexUser, Path::new(home).join(".codex/rules")));
    }
    if let Some(root) = project_root.filter(|r| r.starts_with('/')) {
        out.push((
            RuleSource::CodexProject,
            Path::new(root).join(".codex/rules"),
        ));
    }
    out
}

/// Reads the existing rule files and returns their rules and a report per file found.
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
        &rule_dirs(home, project_root),
        "rules",
        home,
        |s, _| s,
        |text, file, source| parse(text, file, source, home),
    )
}

/// A `prefix_rule` read from a file.
#[derive(Debug, PartialEq)]
struct PrefixRule {
    /// Per position, the alternative words.
    pattern: Vec<Vec<String>>,
    decision: Decision,
    justification: Option<String>,
    examples: Vec<(bool, Lit)>,
}

/// What one statement is.
enum Read {
    Rule(PrefixRule),
    /// Not a rule read; `true` when it might have been a deny or ask rule.
    Skipped(bool),
}

fn words(l: &Lit) -> Option<Vec<String>> {
    match l {
        Lit::Str(s) => Some(vec![s.clone()]),
        Lit::List(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Lit::Str(s) => Some(s.clone()),
                Lit::List(_) => None,
            })
            .collect(),
        Lit::List(_) => None,
    }
}

fn read_stmt(s: &Stmt) -> Read {
    let restrictive = s
        .toks
        .iter()
        .any(|t| matches!(t, Tok::Str(v) if v == "forbidden" || v == "prompt"));
    let mentions = s
        .toks
        .iter()
        .any(|t| matches!(t, Tok::Ident(i) if i == "prefix_rule"));
    let skipped = Read::Skipped(mentions && restrictive);
    let inner = match s.toks.as_slice() {
        [Tok::Ident(f), Tok::Open('('), inner @ .., Tok::Close(')')] if f == "prefix_rule" => inner,
        _ => return skipped,
    };
    if s.indented {
        return skipped;
    }
    // The closing parenthesis must be the one that opened the call.
    let mut depth = 0usize;
    let mut args: Vec<&[Tok]> = Vec::new();
    let mut start = 0;
    for (i, t) in inner.iter().enumerate() {
        match t {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) if depth == 0 => return skipped,
            Tok::Close(_) => depth -= 1,
            Tok::Comma if depth == 0 => {
                args.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        args.push(&inner[start..]);
    }
    let mut pattern = None;
    let mut decision = None;
    let mut justification = None;
    let mut examples = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for a in args {
        let [Tok::Ident(k), Tok::Op('='), value @ ..] = a else {
            return skipped;
        };
        if seen.contains(&k.as_str()) {
            return skipped;
        }
        seen.push(k);
        let Some(v) = literal(value) else {
            return skipped;
        };
        match (k.as_str(), v) {
            ("pattern", Lit::List(items)) if !items.is_empty() => {
                let p: Option<Vec<Vec<String>>> = items.iter().map(words).collect();
                let Some(p) = p else { return skipped };
                pattern = Some(p);
            }
            ("decision", Lit::Str(d)) => {
                decision = Some(match d.as_str() {
                    "allow" => Decision::Allow,
                    "prompt" => Decision::Ask,
                    "forbidden" => Decision::Deny,
                    _ => return skipped,
                })
            }
            ("justification", Lit::Str(j)) => justification = Some(j),
            ("match", Lit::List(items)) => examples.extend(items.into_iter().map(|i| (true, i))),
            ("not_match", Lit::List(items)) => {
                examples.extend(items.into_iter().map(|i| (false, i)))
            }
            _ => return skipped,
        }
    }
    match pattern {
        Some(pattern) => Read::Rule(PrefixRule {
            pattern,
            decision: decision.unwrap_or(Decision::Allow),
            justification,
            examples,
        }),
        None => skipped,
    }
}

/// Whether a word can stand in a shell pattern as itself (no quoting, globbing or operator).
pub(crate) fn plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-' | '^'
                )
        })
}

/// Every word sequence a pattern stands for, or `None` when one is not a plain word or there
/// are more than [`MAX_EXPANSIONS`].
fn expand(pattern: &[Vec<String>]) -> Option<Vec<Vec<&str>>> {
    let mut out: Vec<Vec<&str>> = vec![Vec::new()];
    for alts in pattern {
        if alts.is_empty() || !alts.iter().all(|w| plain_word(w)) {
            return None;
        }
        if out.len().saturating_mul(alts.len()) > MAX_EXPANSIONS {
            return None;
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                alts.iter().map(move |w| {
                    let mut p = prefix.clone();
                    p.push(w.as_str());
                    p
                })
            })
            .collect();
    }
    Some(out)
}

/// Whether a `match` / `not_match` example agrees with the rule; examples that are not plain
/// words split on spaces are not judged (`None`).
fn example_matches(pattern: &[Vec<String>], example: &Lit) -> Option<bool> {
    let toks: Vec<String> = match example {
        Lit::Str(s) if s.chars().all(|c| !matches!(c, '"' | '\'' | '\\')) => {
            s.split_whitespace().map(str::to_string).collect()
        }
        Lit::List(_) => words(example)?,
        Lit::Str(_) => return None,
    };
    Some(toks.len() >= pattern.len() && pattern.iter().zip(&toks).all(|(alts, t)| alts.contains(t)))
}

/// Parses one rules file's text.
pub fn parse(text: &str, file: &str, source: RuleSource, home: &str) -> (Vec<Rule>, FileReport) {
    let mut report = FileReport {
        path: file.to_string(),
        source,
        rules: 0,
        skipped: 0,
        problem: None,
    };
    let (stmts, error) = statements(text);
    let mut read = Vec::new();
    let mut unapplied = 0;
    let mut contradicted = None;
    for s in &stmts {
        match read_stmt(s) {
            Read::Rule(r) => {
                let bad = r
                    .examples
                    .iter()
                    .any(|(want, ex)| example_matches(&r.pattern, ex).is_some_and(|m| m != *want));
                if bad {
                    contradicted.get_or_insert(s.line);
                }
                read.push((s.line, r));
            }
            Read::Skipped(restrictive) => {
                report.skipped += 1;
                unapplied += usize::from(restrictive);
            }
        }
    }
    let void_allows = error.is_some() || contradicted.is_some();
    let mut rules = Vec::new();
    for (line, r) in read {
        if void_allows && r.decision == Decision::Allow {
            report.skipped += 1;
            continue;
        }
        let Some(expansions) = expand(&r.pattern) else {
            report.skipped += 1;
            unapplied += usize::from(r.decision != Decision::Allow);
            continue;
        };
        let index = report.rules + 1;
        let mut compiled = Vec::with_capacity(expansions.len());
        for w in expansions {
            let spelled = w.join(" ");
            let pattern = format!("{spelled} *");
            let Some(m) = valid_shell_pattern(&pattern)
                .then(|| ScopeMatcher::new("shell", &pattern, None, home).ok())
                .flatten()
            else {
                compiled.clear();
                break;
            };
            let label = format!("codex-rules:{file}:{line}:{spelled}");
            let reason = match &r.justification {
                Some(j) if !j.trim().is_empty() => {
                    format!("{label}: {} (your Codex rules)", j.trim())
                }
                _ => format!("{label} (your Codex rules)"),
            };
            compiled.push(Rule::runtime(
                source,
                index,
                line,
                "shell".into(),
                "execute".into(),
                pattern,
                r.decision,
                m,
                RawTools::Names(SHELL_TOOLS),
                label,
                reason,
            ));
        }
        if compiled.is_empty() {
            report.skipped += 1;
            unapplied += usize::from(r.decision != Decision::Allow);
            continue;
        }
        report.rules += 1;
        rules.extend(compiled);
    }
    let mut problems = Vec::new();
    if let Some((line, why)) = error {
        problems.push(format!(
            "does not parse at line {line} ({why}): nothing after it is read and its allow rules are ignored"
        ));
    } else if let Some(line) = contradicted {
        problems.push(format!(
            "the rule at line {line} contradicts its match/not_match examples (Codex refuses the file): its allow rules are ignored"
        ));
    }
    if unapplied > 0 {
        problems.push(format!(
            "{unapplied} forbidden or prompt rule(s) not applied"
        ));
    }
    if !problems.is_empty() {
        report.problem = Some(problems.join("; "));
    }
    (rules, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> (Vec<Rule>, FileReport) {
        parse(
            text,
            "/h/.codex/rules/default.rules",
            RuleSource::CodexUser,
            "/h",
        )
    }

    fn hit(r: &[Rule], cmd: &str) -> Option<Decision> {
        let p = super::super::policy::Policy {
            rules: r.to_vec(),
            ..Default::default()
        };
        let h = p.hits("shell", "execute", cmd, "", "/p");
        h.deny.or(h.ask).or(h.allow).map(|r| r.decision)
    }

    #[test]
    fn prefix_rules_and_their_meaning() {
        let (r, rep) = rules(
            r#"# my rules
prefix_rule(pattern = ["git", "status"])
prefix_rule(
    pattern=["git", ["push", "fetch"]],   # alternatives
    decision="prompt",
    justification='leaves the machine',
    match=["git push origin", ["git", "fetch"]],
    not_match=["git pull"],
)
prefix_rule(pattern=["rm", "-rf"], decision="forbidden"); host_executable(name="git", paths=["/usr/bin/git"])
x = 1
"#,
        );
        assert_eq!((rep.rules, rep.skipped), (3, 2), "{rep:?}");
        assert!(rep.problem.is_none(), "{rep:?}");
        assert_eq!(r.len(), 4, "the alternatives expand");
        assert_eq!(
            r[0].label(),
            "codex-rules:/h/.codex/rules/default.rules:2:git status"
        );
        assert_eq!(hit(&r, "git status"), Some(Decision::Allow));
        assert_eq!(hit(&r, "git status -s"), Some(Decision::Allow));
        assert_eq!(hit(&r, "git statusx"), None);
        assert_eq!(hit(&r, "git fetch origin"), Some(Decision::Ask));
        assert_eq!(hit(&r, "rm -rf build"), Some(Decision::Deny));
        assert_eq!(hit(&r, "rm -r build"), None);
        assert!(
            r[1].reason
                .as_deref()
                .unwrap_or("")
                .contains("leaves the machine")
        );
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn forms_not_read_are_skipped_and_never_widen() {
        for text in [
            "prefix_rule(pattern=P)",
            "prefix_rule(pattern=[\"git\"], decision=\"maybe\")",
            "prefix_rule([\"git\"])",
            "prefix_rule(pattern=[\"git\"], extra=1)",
            "prefix_rule(pattern=[\"git\"], pattern=[\"ls\"])",
            "prefix_rule(pattern=[])",
            "prefix_rule(pattern=[\"git *\"])",
            "prefix_rule(pattern=[\"a b\"])",
            "prefix_rule(pattern=[\"ls\"]) + 1",
            "if True:\n    prefix_rule(pattern=[\"ls\"])",
            "prefix_rule(pattern=[[]])",
            "prefix_rule(pattern=[r\"ls\"])",
        ] {
            let (r, rep) = rules(text);
            assert!(r.is_empty(), "{text}: {r:?}");
            assert!(rep.skipped >= 1, "{text}");
        }
        let (_, rep) = rules("prefix_rule(pattern=P, decision=\"forbidden\")");
        assert!(rep.problem.unwrap_or_default().contains("not applied"));
    }

    #[test]
    fn broken_files_keep_restrictions_read_before_the_error() {
        let (r, rep) = rules(
            "prefix_rule(pattern=[\"ls\"])\nprefix_rule(pattern=[\"rm\"], decision=\"forbidden\")\nprefix_rule(pattern=[\"x\n",
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].decision, Decision::Deny);
        assert!(rep.problem.unwrap_or_default().contains("line 3"));
        for bad in [
            "prefix_rule(pattern=[\"ls\"]",
            "prefix_rule(pattern=[\"l\\qs\"])",
            "prefix_rule(pattern=[\"ls\"]))",
            "prefix_rule(pattern=[\"ls\"]) \\\n",
            "prefix_rule(pattern=[\"ls\"]) ` ",
            "prefix_rule(pattern=[\"ls\"], justification=\"\"\"open)",
            &format!(
                "prefix_rule(pattern={}\"ls\"{})",
                "[".repeat(40),
                "]".repeat(40)
            ),
            &format!("{}\nprefix_rule(pattern=[\"ls\"])", "(".repeat(100_000)),
        ] {
            let (r, rep) = rules(bad);
            assert!(r.iter().all(|r| r.decision != Decision::Allow), "{bad}");
            assert!(rep.problem.is_some(), "{bad}");
        }
    }

    #[test]
    fn contradicted_examples_void_the_allow_rules() {
        let (r, rep) = rules(
            "prefix_rule(pattern=[\"git\",\"status\"], match=[\"git log\"])\nprefix_rule(pattern=[\"rm\"], decision=\"forbidden\", not_match=[\"ls\"])",
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].decision, Decision::Deny);
        assert!(rep.problem.unwrap_or_default().contains("examples"));
    }

    #[test]
    fn strings_escapes_and_triple_quotes() {
        let (r, _) = rules(
            "prefix_rule(pattern=['echo', \"a\\\"b\"], justification=\"\"\"two\nlines\"\"\")\nprefix_rule(pattern=[\"ls\"], justification='''it's \"fine\"''')",
        );
        // `a"b` is not a plain word: that rule is skipped, the next one is read.
        assert_eq!(r.len(), 1);
        assert!(
            r[0].reason
                .as_deref()
                .unwrap_or("")
                .contains("it's \"fine\"")
        );
        let many = "prefix_rule(pattern=[\"ls\"])\n".repeat(20_000);
        assert_eq!(rules(&many).0.len(), 20_000);
        let wide = format!("prefix_rule(pattern=[{}])", ["[\"a\",\"b\"]"; 10].join(","));
        assert!(rules(&wide).0.is_empty(), "too many expansions");
    }

    #[test]
    fn a_project_at_home_is_read_once_as_the_users() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().display().to_string();
        let dir = t.path().join(".codex/rules");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.rules"), "prefix_rule(pattern=[\"make\"])\n").unwrap();
        std::fs::write(dir.join("b.txt"), "prefix_rule(pattern=[\"ls\"])\n").unwrap();
        let cache = FileCache::default();
        let (r, reports) = load_cached(&cache, &home, Some(&home));
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].source, RuleSource::CodexUser);
        // With another home, the same file is the project's: LOW risk only.
        let (r, _) = load_cached(&cache, "/nonexistent-home", Some(&home));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].source, RuleSource::CodexProject);
        assert!(!r[0].source.trusted_allow());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,300}") {
            let _ = rules(&text);
        }

        #[test]
        fn never_panics_on_near_rules(parts in proptest::collection::vec(
            proptest::sample::select(vec!["prefix_rule", "(", ")", "[", "]", ",", "=", "pattern",
                "decision", "\"allow\"", "\"forbidden\"", "\"ls\"", "'x", "\"\"\"", "\n", " ",
                "#", "\\", ";", "match", "1"]), 0..60)) {
            let text: String = parts.concat();
            let (r, rep) = rules(&text);
            // Every rule read is one the report counts.
            proptest::prop_assert!(r.is_empty() || rep.rules > 0);
        }
    }
}
