//! Reading a runtime's own rule files (Claude Code's settings, Codex's `*.rules`, Gemini CLI's
//! policies) through the gate's [`FileCache`]: what each file contributed, and the one way a
//! file's parse, or its absence or unreadability, becomes rules and a report.

use super::filecache::{Cached, FileCache};
use super::rules::{Rule, RuleSource};
use crate::files::Files;
use std::path::{Path, PathBuf};

/// What one rule or settings file contributed (Claude Code, Codex, Gemini CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file's path.
    pub path: String,
    /// Which settings level it is.
    pub source: RuleSource,
    /// Rules understood and applied.
    pub rules: usize,
    /// Rules skipped (a form aiperture does not read, or an allow rule of a malformed file).
    pub skipped: usize,
    /// Why the file, or its allow rules, were ignored.
    pub problem: Option<String>,
}

/// One file as the cache found it, added to `rules` and `reports`: nothing when it is missing,
/// a report of the problem when it cannot be read, else its rules and its report.
pub(crate) fn collect(
    parsed: Cached<(Vec<Rule>, FileReport)>,
    file: String,
    source: RuleSource,
    rules: &mut Vec<Rule>,
    reports: &mut Vec<FileReport>,
) {
    match parsed {
        Cached::Missing => {}
        Cached::Unreadable(e) => reports.push(FileReport {
            path: file,
            source,
            rules: 0,
            skipped: 0,
            problem: Some(format!("cannot read: {e}")),
        }),
        Cached::Parsed(p) => {
            rules.extend(p.0.iter().cloned());
            reports.push(p.1.clone());
        }
    }
}

/// The rule files of one directory whose names end in `.ext`, sorted by name; `Ok(empty)` when
/// the directory does not exist, `Err` when it cannot be listed.
pub(crate) fn list_dir(files: &dyn Files, dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    let entries = match files.list_dir(dir) {
        Ok(Some(e)) => e,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let suffix = format!(".{ext}");
    let mut out: Vec<PathBuf> = entries
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&suffix) && n.len() > suffix.len())
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Reads each file through `cache`: rules and a report per file found; a directory that
/// cannot be listed or a file that cannot be read is reported with its problem.
pub(crate) fn load_files(
    cache: &FileCache<(Vec<Rule>, FileReport)>,
    dirs: &[(RuleSource, PathBuf)],
    ext: &str,
    variant: &str,
    classify: impl Fn(RuleSource, &Path) -> RuleSource,
    parse: impl Fn(&str, &str, RuleSource) -> (Vec<Rule>, FileReport),
) -> (Vec<Rule>, Vec<FileReport>) {
    let mut rules = Vec::new();
    let mut reports = Vec::new();
    let problem = |path: String, source, why: String| FileReport {
        path,
        source,
        rules: 0,
        skipped: 0,
        problem: Some(why),
    };
    for (i, (source, dir)) in dirs.iter().enumerate() {
        // A project whose root is the home directory: its directory is the user's (read once,
        // as the user's).
        if dirs.iter().take(i).any(|(_, d)| d == dir) {
            continue;
        }
        let files = match list_dir(cache.files(), dir, ext) {
            Ok(f) => f,
            Err(e) => {
                let why = format!("cannot list: {e}");
                reports.push(problem(dir.display().to_string(), *source, why));
                continue;
            }
        };
        for path in files {
            let source = classify(*source, &path);
            let file = path.display().to_string();
            // The parse depends on the source (its trust and label) as well as the variant.
            let key = format!("{variant}\0{}", source.as_str());
            let parsed = cache.get(&path, &key, |text| parse(text, &file, source));
            collect(parsed, file, source, &mut rules, &mut reports);
        }
    }
    (rules, reports)
}
