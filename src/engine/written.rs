//! Files written, then run.
//!
//! An agent that may write a file (to `/tmp`, or under a name the write rules do not flag) and
//! then call a learned `bash *` would get any code run without a prompt. So the store
//! remembers every file written through a runtime's write tool (canonical path, SHA-256 of the
//! content, the rating of its text, whether it lies in the project, when, which session), and
//! a later shell command that runs that file (`bash F`, `sh F`, `source F`, `. F`,
//! `make -f F`, `python F`, `node F`, `ruby F`, `perl F`, `./F`, `F` by path) is judged by
//! what was written, across calls and sessions, until the file changes:
//!
//! - the file on disk still has the remembered SHA-256: the segment takes the written text's
//!   rating (HIGH or CRITICAL when that text would run such a command);
//! - it changed since (or the write carried only a diff): its current text is rated instead;
//!   unreadable or too large to hash, it is at least HIGH (fail closed);
//! - written outside the project: at least HIGH, whatever it holds.
//!
//! A segment judged this way names the file and when it was written, and never matches a
//! learned pattern. A harmless file written inside the project and run is judged as before.
//!
//! Cost: commands that run no file pay nothing but a scan of their segments' program names
//! (and, when the line may name a program by path, one more parse); each file a command runs
//! costs one canonicalization and one primary-key lookup; only a remembered file is read and
//! hashed.

use super::state::{State, WrittenFile};
use crate::files::Files;
use crate::request::{Decision, Request, RiskTier};
use crate::risk::{self, Assessment, Context};
use crate::shell::{self, SimpleCommand, Word};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

mod runs;

pub use runs::executed_files;

/// The most bytes of a file read to hash and rate it when it is run or written; a larger file
/// cannot be verified and counts as unknown (at least HIGH when it was remembered).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The factor a segment that runs a remembered file carries.
pub const FACTOR: &str = "runs_written_file";

/// One file a shell command line runs, resolved on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The index of the segment (simple command) that runs it, when known.
    pub segment: Option<usize>,
    /// Its absolute, canonical path.
    pub path: String,
}

/// What a file holds on disk now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disk {
    /// Its content: hex SHA-256 and text (invalid UTF-8 replaced).
    Text {
        /// Hex SHA-256 of the bytes.
        sha256: String,
        /// The text.
        text: String,
    },
    /// It cannot be read, or is larger than [`MAX_FILE_BYTES`].
    Unknown,
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a file through `fs` to hash and rate it (at most [`MAX_FILE_BYTES`]).
pub fn read_disk(fs: &dyn Files, path: &str) -> Disk {
    match fs.read_capped(Path::new(path), MAX_FILE_BYTES) {
        Some(bytes) => Disk::Text {
            sha256: sha256_hex(&bytes),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        },
        None => Disk::Unknown,
    }
}

/// The absolute, canonical form (through `fs`) of a path that may not exist yet (a file about
/// to be written): its directory canonicalized, its name kept. `None` when not even the
/// directory resolves.
pub fn canonical_target(fs: &dyn Files, path: &str, cwd: &str) -> Option<String> {
    let p = absolute(path, cwd)?;
    if let Some(c) = fs.canonicalize(&p) {
        return Some(c.display().to_string());
    }
    let name = p.file_name()?;
    let dir = fs.canonicalize(p.parent()?)?;
    Some(dir.join(name).display().to_string())
}

fn absolute(path: &str, cwd: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if p.is_absolute() {
        Some(p.to_path_buf())
    } else if cwd.starts_with('/') {
        Some(Path::new(cwd).join(p))
    } else {
        None
    }
}

/// The files a shell request runs, resolved through `fs` (one canonicalization per
/// candidate). Empty for other tools and for command lines that run no file.
pub fn resolve_runs(fs: &dyn Files, req: &Request, a: &Assessment, home: &str) -> Vec<Run> {
    if !matches!(
        req.tool.to_ascii_lowercase().as_str(),
        "shell" | "bash" | "terminal"
    ) {
        return Vec::new();
    }
    let mut out: Vec<Run> = Vec::new();
    for (segment, alternatives) in executed_files(&req.scope, a) {
        // `make` without `-f` reads the first of its default makefiles that exists.
        let found = alternatives.iter().find_map(|w| {
            let w = expand_home(w, home);
            let p = absolute(&w, &req.cwd)?;
            let c = fs.canonicalize(&p)?;
            fs.is_file(&c).then(|| c.display().to_string())
        });
        if let Some(path) = found
            && !out.iter().any(|r| r.path == path && r.segment == segment)
        {
            out.push(Run { segment, path });
        }
    }
    out
}

fn expand_home(w: &str, home: &str) -> String {
    match w.strip_prefix("~/") {
        Some(rest) if !home.is_empty() => format!("{home}/{rest}"),
        _ => w.to_string(),
    }
}

/// Judges the files a command runs by what was written to them (`remembered`: one lookup per
/// run); a copy of `a` raised where a remembered file calls for it, else `a` itself.
pub fn judge_runs<'a>(
    remembered: &mut dyn FnMut(&str) -> anyhow::Result<Option<WrittenFile>>,
    runs: &[Run],
    a: &'a Assessment,
    ctx: &Context,
    read: &dyn Fn(&str) -> Disk,
) -> anyhow::Result<Cow<'a, Assessment>> {
    let mut out: Option<Assessment> = None;
    for run in runs {
        let Some(w) = remembered(&run.path)? else {
            continue;
        };
        if let Some((tier, reason)) = finding(&w, &read(&run.path), ctx) {
            raise(
                out.get_or_insert_with(|| a.clone()),
                run.segment,
                tier,
                &reason,
            );
        }
    }
    Ok(out.map(Cow::Owned).unwrap_or(Cow::Borrowed(a)))
}

/// What running a remembered file means now: the tier to raise its segment to and why, or
/// `None` when it is a harmless file of the project (judged as before).
pub fn finding(w: &WrittenFile, disk: &Disk, ctx: &Context) -> Option<(RiskTier, String)> {
    let (content, changed) = match disk {
        Disk::Text { sha256, .. } if *sha256 == w.sha256 => {
            (w.tier.map(|t| (t, w.reason.clone())), false)
        }
        Disk::Text { text, .. } => (risk::written_text_risk(&w.path, text, ctx), true),
        Disk::Unknown => (
            Some((
                RiskTier::High,
                "its current content cannot be read to verify it".to_string(),
            )),
            true,
        ),
    };
    let content = content.filter(|(t, _)| *t >= RiskTier::High);
    if content.is_none() && w.in_project {
        return None;
    }
    let by = if w.runtime.is_empty() {
        "a write tool"
    } else {
        w.runtime.as_str()
    };
    let mut reason = format!("runs {}, written by {by} at {}", w.path, utc(w.ts_ms));
    if !w.in_project {
        reason.push_str(" outside the project");
    }
    if changed {
        reason.push_str(" and changed on disk since");
    }
    let tier = match content {
        Some((t, why)) => {
            reason.push_str(&format!(": it would run a {t} command: {why}"));
            t
        }
        None => {
            reason.push_str(": code written outside the project is not vetted by learning");
            RiskTier::High
        }
    };
    Some((tier.max(RiskTier::High), reason))
}

/// Raises one segment (when known) and the whole assessment to `tier`, marks the segment
/// unlearnable, and records why.
fn raise(a: &mut Assessment, segment: Option<usize>, tier: RiskTier, reason: &str) {
    let seg = segment.and_then(|i| a.segments.get_mut(i));
    let program = seg.as_ref().map(|s| s.program.clone()).unwrap_or_default();
    if let Some(s) = seg {
        s.pattern = None;
        if s.risk.tier < tier {
            s.risk.tier = tier;
            s.risk.score = risk::score_for(tier, 1);
            s.reason = reason.to_string();
        } else if !s.reason.contains(reason) {
            s.reason = format!("{}; {reason}", s.reason);
        }
        if !s.risk.factors.iter().any(|f| f == FACTOR) {
            s.risk.factors.insert(0, FACTOR.to_string());
        }
    } else {
        // The segment is not known: no segment of this line may be generalized.
        for s in &mut a.segments {
            s.pattern = None;
        }
    }
    let line = if program.is_empty() {
        reason.to_string()
    } else {
        format!("{program}: {reason}")
    };
    if a.risk.tier < tier {
        a.risk.tier = tier;
        a.risk.score = risk::score_for(tier, 1);
        a.reason = line;
    } else if !a.reason.contains(reason) {
        a.reason = format!("{}; {line}", a.reason);
    }
    if !a.risk.factors.iter().any(|f| f == FACTOR) {
        a.risk.factors.insert(0, FACTOR.to_string());
    }
    a.explanation
        .push_str(&format!("\n  [{tier}] written file — {reason}"));
}

/// The record of a write: `path` canonical, `text` what the file holds (or, before a write
/// that carries only a diff, the inserted text: its hash will not match the file, so a later
/// run rates what is on disk then).
pub fn record(
    req: &Request,
    path: &str,
    text: &str,
    project_root: Option<&str>,
    ctx: &Context,
    now_ms: i64,
) -> WrittenFile {
    let rating = risk::written_text_risk(path, text, ctx);
    let in_project = project_root.is_some_and(|root| {
        let root = root.trim_end_matches('/');
        !root.is_empty() && path.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
    });
    WrittenFile {
        path: path.to_string(),
        sha256: sha256_hex(text.as_bytes()),
        tier: rating.as_ref().map(|(t, _)| *t),
        reason: rating.map(|(_, r)| r).unwrap_or_default(),
        in_project,
        project: req.project.clone(),
        ts_ms: now_ms,
        session: super::pipeline::session_key(req),
        runtime: req.runtime.clone(),
    }
}

/// Remembers a write-tool call's file unless the gate refused the write.
pub fn remember(
    st: &mut dyn State,
    file: Option<&WrittenFile>,
    decision: Decision,
) -> anyhow::Result<()> {
    match file {
        Some(f) if decision != Decision::Deny => st.put_written_file(f),
        _ => Ok(()),
    }
}

/// True for a request that writes a file through a runtime's write tool.
pub fn is_write(req: &Request) -> bool {
    req.tool.eq_ignore_ascii_case("filesystem") && req.action == "write"
}

/// `YYYY-MM-DD HH:MM UTC` for a time in milliseconds since the epoch.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// The word a command names as a program or script, as written: `None` when it depends on
/// expansion (unknowable here).
fn literal(w: &Word) -> Option<String> {
    (!w.dynamic && !w.text.is_empty()).then(|| w.text.clone())
}

/// Shells, interpreters and `make`: the programs whose argument names code to run.
fn is_runner(program: &str) -> bool {
    shell::is_shell(program)
        || matches!(
            program,
            "source" | "." | "make" | "gmake" | "node" | "nodejs" | "ruby" | "perl"
        )
        || program.starts_with("python")
        || program.starts_with("pypy")
}

/// The segments of a parsed line matched to the assessment's (same order, else by text).
fn segment_of(cmds: &[SimpleCommand], a: &Assessment, i: usize) -> Option<usize> {
    if cmds.len() == a.segments.len() {
        return Some(i);
    }
    let shown = cmds.get(i)?.display();
    a.segments.iter().position(|s| s.command == shown)
}

#[cfg(test)]
mod tests;
