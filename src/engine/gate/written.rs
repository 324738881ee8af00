//! The I/O side of "files written, then run" ([`crate::engine::written`]) for [`Gate`]:
//! resolving the files a command runs, and the record of a write, before or after it ran.

use super::Gate;
use crate::engine::learning;
use crate::engine::snapshot::{Snapshot, SnapshotKeys};
use crate::engine::state::{State, WrittenFile};
use crate::engine::store::Store;
use crate::engine::written::{self, Disk, Run};
use crate::files::Files;
use crate::request::Request;
use crate::risk::{Assessment, Context};
use std::borrow::Cow;
use std::sync::Arc;

/// What a check needs to judge the files its command runs.
pub(super) struct Runs {
    /// The files, resolved on disk (empty for most commands).
    pub runs: Vec<Run>,
    /// The classifier's context, to rate a file's current text.
    pub ctx: Context,
    /// The file system the files are read from.
    pub fs: Arc<dyn Files>,
}

impl<S: Store> Gate<S> {
    /// The classifier's context for a request (the same as [`Gate::assess`] builds).
    fn written_ctx(&self, req: &Request) -> Context {
        self.context(req)
    }

    /// The files a shell request runs, resolved on disk; `None` when it runs none (the common
    /// case costs no context and no lookup).
    pub(super) fn written_runs(&self, req: &Request, a: &Assessment) -> Option<Runs> {
        let runs = written::resolve_runs(&*self.fs, req, a, self.home_of(req));
        (!runs.is_empty()).then(|| Runs {
            runs,
            ctx: self.written_ctx(req),
            fs: self.fs.clone(),
        })
    }

    /// The record of a write-tool call about to run, from the text it carries (`None` for other
    /// requests, or when the path cannot be resolved).
    pub(super) fn write_before(&self, req: &Request, now_ms: i64) -> Option<WrittenFile> {
        if !written::is_write(req) {
            return None;
        }
        let text = req.content.as_deref()?;
        self.write_record(req, text, now_ms)
    }

    /// The record of a write-tool call that ran, from what is on disk now (the runtime may have
    /// sent only a diff). `None` for other requests, or when the file cannot be read.
    pub(super) fn write_after(&self, req: &Request, now_ms: i64) -> Option<WrittenFile> {
        if !written::is_write(req) {
            return None;
        }
        let path = written::canonical_target(&*self.fs, &req.scope, &req.cwd)?;
        match written::read_disk(&*self.fs, &path) {
            Disk::Text { text, .. } => self.write_record(req, &text, now_ms),
            Disk::Unknown => None,
        }
    }

    fn write_record(&self, req: &Request, text: &str, now_ms: i64) -> Option<WrittenFile> {
        let path = written::canonical_target(&*self.fs, &req.scope, &req.cwd)?;
        let root = Some(req.project.as_str())
            .filter(|p| p.starts_with('/'))
            .and_then(|p| self.fs.canonicalize(std::path::Path::new(p)))
            .map(|p| p.display().to_string());
        let ctx = self.written_ctx(req);
        Some(written::record(
            req,
            &path,
            text,
            root.as_deref(),
            &ctx,
            now_ms,
        ))
    }
}

/// The assessment with the files its command runs judged by what was written to them (one
/// lookup per file); `a` itself when the command runs none.
pub(super) fn judged<'a>(
    st: &mut dyn State,
    runs: Option<&Runs>,
    a: &'a Assessment,
) -> anyhow::Result<Cow<'a, Assessment>> {
    match runs {
        None => Ok(Cow::Borrowed(a)),
        Some(r) => written::judge_runs(&mut |p| st.written_file(p), &r.runs, a, &r.ctx, &|p| {
            written::read_disk(&*r.fs, p)
        }),
    }
}

/// [`judged`] from a check's snapshot, which read the files' records (see [`with_runs`]).
pub(super) fn judged_in<'a>(
    snap: &Snapshot,
    runs: Option<&Runs>,
    a: &'a Assessment,
) -> anyhow::Result<Cow<'a, Assessment>> {
    match runs {
        None => Ok(Cow::Borrowed(a)),
        Some(r) => written::judge_runs(
            &mut |p| Ok(snap.written_file(p).cloned()),
            &r.runs,
            a,
            &r.ctx,
            &|p| written::read_disk(&*r.fs, p),
        ),
    }
}

/// The snapshot keys of a check whose command runs `runs`: their records, and the exact key of
/// every segment that runs one (a remembered file makes its segment unlearnable, so it is
/// then decided by its exact text).
pub(super) fn with_runs(
    mut keys: SnapshotKeys,
    runs: Option<&Runs>,
    a: &Assessment,
) -> SnapshotKeys {
    let Some(r) = runs else {
        return keys;
    };
    for run in &r.runs {
        if !keys.written_paths.contains(&run.path) {
            keys.written_paths.push(run.path.clone());
        }
        let segments: Vec<_> = match run.segment {
            Some(i) => a.segments.get(i).into_iter().collect(),
            None => a.segments.iter().collect(),
        };
        for s in segments {
            let exact = learning::key_of(None, &s.command);
            if !keys.keys.contains(&exact) {
                keys.keys.push(exact);
            }
        }
    }
    keys
}

pub(super) use crate::engine::written::remember;
