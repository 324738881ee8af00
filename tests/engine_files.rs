//! The engine reads files only through the gate's `Files` port (issue 22: nothing in the
//! engine touches the file system). A gate given another file system judges by it: the
//! caller's Claude Code rules, a written script's text and a rule directory's listing all
//! come from the injected files, none from this machine's disk.

use aiperture::callsite::CallSite;
use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::files::{Fetched, Files, Stamp};
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use aiperture::risk::PathResolver;
use aiperture::store::LocalGate;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A file system held in memory, recording every path asked for.
#[derive(Debug, Default)]
struct MemFiles {
    files: HashMap<PathBuf, String>,
    asked: Mutex<Vec<PathBuf>>,
}

impl MemFiles {
    fn note(&self, p: &Path) {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p.to_path_buf());
    }
}

impl Files for MemFiles {
    fn fetch(&self, path: &Path, known: Option<Stamp>) -> io::Result<Fetched> {
        self.note(path);
        match self.files.get(path) {
            None => Ok(Fetched::Missing),
            // One version per file: a stamp taken from a real file stands in for it.
            Some(text) => {
                let stamp = Stamp::of(&std::fs::metadata("/")?);
                if known == Some(stamp) {
                    Ok(Fetched::Unchanged)
                } else {
                    Ok(Fetched::Text(stamp, text.clone()))
                }
            }
        }
    }
    fn read_capped(&self, path: &Path, cap: u64) -> Option<Vec<u8>> {
        self.note(path);
        self.files
            .get(path)
            .map(|t| t.as_bytes().to_vec())
            .filter(|b| b.len() as u64 <= cap)
    }
    fn list_dir(&self, dir: &Path) -> io::Result<Option<Vec<PathBuf>>> {
        self.note(dir);
        let inside: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect();
        Ok((!inside.is_empty()).then_some(inside))
    }
    fn canonicalize(&self, path: &Path) -> Option<PathBuf> {
        self.note(path);
        let known = self.files.contains_key(path) || self.files.keys().any(|p| p.starts_with(path));
        known.then(|| path.to_path_buf())
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
    fn resolver(&self, _roots: Vec<String>) -> Option<Arc<dyn PathResolver>> {
        None
    }
}

const HOME: &str = "/nonexistent/caller-home";
const PROJECT: &str = "/nonexistent/caller-home/app";

fn gate(dir: &tempfile::TempDir, files: MemFiles) -> (LocalGate, Arc<MemFiles>) {
    let paths = Paths::at(&dir.path().join("home"), &dir.path().join("a.db"));
    let clock = Arc::new(ManualClock::new(1_772_366_400_000));
    let files = Arc::new(files);
    let gate = LocalGate::open_with(paths, Settings::default(), clock)
        .unwrap()
        .with_files(files.clone());
    (gate, files)
}

fn bash(command: &str) -> Request {
    Request {
        runtime: "claude-code".into(),
        event: "PreToolUse".into(),
        session_id: "s".into(),
        cwd: PROJECT.into(),
        project: PROJECT.into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: command.into(),
        raw_tool_name: "Bash".into(),
        callsite: Some(CallSite::detect_with(
            PROJECT,
            "claude-code",
            HOME,
            None,
            "ann".into(),
        )),
        ..Request::default()
    }
}

#[test]
fn the_caller_s_rules_come_from_the_injected_files() {
    let d = tempfile::tempdir().unwrap();
    let mut mem = MemFiles::default();
    mem.files.insert(
        PathBuf::from(format!("{HOME}/.claude/settings.json")),
        r#"{"permissions":{"deny":["Bash(npm run build)"]}}"#.into(),
    );
    let (gate, files) = gate(&d, mem);
    let v = gate.check(&bash("npm run build")).unwrap();
    assert_eq!(v.decision, Decision::Deny, "{v:?}");
    assert!(v.decided_by.starts_with("claude-settings:"), "{v:?}");
    // Without the rule (another command), the default decides.
    let v = gate.check(&bash("npm run lint")).unwrap();
    assert_eq!(v.decision, Decision::Ask, "{v:?}");
    let asked = files.asked.lock().unwrap().clone();
    assert!(
        asked.iter().any(|p| p.ends_with(".claude/settings.json")),
        "{asked:?}"
    );
}

#[test]
fn a_script_is_read_from_the_injected_files() {
    let d = tempfile::tempdir().unwrap();
    let mut mem = MemFiles::default();
    // A script in the project that exists only in the injected file system.
    mem.files.insert(
        PathBuf::from(format!("{PROJECT}/deploy.sh")),
        "#!/bin/sh\nrm -rf ~\n".into(),
    );
    let (gate, files) = gate(&d, mem);
    let v = gate.check(&bash("sh deploy.sh")).unwrap();
    let asked = files.asked.lock().unwrap().clone();
    assert!(
        asked.iter().any(|p| p.ends_with("deploy.sh")),
        "the engine did not ask the injected files for the script: {asked:?}"
    );
    assert_ne!(v.decision, Decision::Allow, "{v:?}");
}
