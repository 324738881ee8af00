//! How close an ask's pattern is to being learned, for the line an ask shows the human. The
//! one way adapters learn it: they never compute learning keys themselves.

use super::Gate;
use crate::engine::Progress;
use crate::engine::learning;
use crate::engine::similar::{self, Similar};
use crate::engine::snapshot::{Snapshot, SnapshotKeys};
use crate::engine::state::{PatternStats, State};
use crate::engine::store::Store;
use crate::request::{Decision, Request, Verdict};

/// What an ask shows the human beside its reason: how close its pattern is to being learned,
/// and the learned patterns most like it.
#[derive(Debug, Clone, Default)]
pub struct AskContext {
    /// Approvals so far and how many learning needs; `None` when unknown.
    pub progress: Option<Progress>,
    /// Up to the requested number of similar patterns with their human history.
    pub similar: Vec<Similar>,
}

impl<S: Store> Gate<S> {
    /// For an ask: the human approvals its first still-asking segment's pattern has (not
    /// revoked since), how many learning needs at its tier, and the pattern. Best effort:
    /// `None` when the verdict has no segment or the store cannot say.
    pub fn progress(&self, req: &Request, v: &Verdict) -> Option<Progress> {
        self.ask_context(req, v, 0).progress
    }

    /// For an ask, in one read and one resolution of the request's project: its progress
    /// ([`Gate::progress`]) and up to `limit` learned patterns of the same tool and action most
    /// like its first still-asking segment, with their human history (`engine::similar`).
    /// Best effort: empty parts when the store cannot say. A check that shows its ask to a
    /// human reads the same inside its own transaction ([`Gate::check_with_context`]).
    pub fn ask_context(&self, req: &Request, v: &Verdict, limit: usize) -> AskContext {
        let project = self.resolve(req).project;
        self.store
            .read(|st| self.context_in(st, None, &project, req, v, limit))
            .unwrap_or_default()
    }

    /// [`Gate::ask_context`] read through `st`, the request's project resolved. With the
    /// check's own snapshot (read in the same transaction, before effects that never touch
    /// a pattern), the progress comes from the rows it holds for the key; only the similar
    /// candidates are read.
    pub(super) fn context_in(
        &self,
        st: &mut dyn State,
        snap: Option<(&Snapshot, &SnapshotKeys)>,
        project: &str,
        req: &Request,
        v: &Verdict,
        limit: usize,
    ) -> anyhow::Result<AskContext> {
        // The first segment still asking (a shell command's first unlearned part).
        let Some(seg) = v
            .segments
            .iter()
            .find(|s| s.decision != Some(Decision::Allow))
            .or(v.segments.first())
        else {
            return Ok(AskContext::default());
        };
        let key = learning::key_of(seg.pattern.as_deref(), &seg.command);
        let needed = self.config().needed(seg.risk.tier);
        let held = snap.filter(|(_, keys)| {
            keys.decidable && keys.learning && keys.project == project && keys.keys.contains(&key)
        });
        // Keyed lookups of this one key: listing the project's patterns cost ~20 M
        // instructions per ask on a store with ~2,000 patterns (docs/performance.md). The
        // similar candidates are one bounded range read: for a shell command, the patterns of
        // the same program only.
        let mut stats: Vec<PatternStats> = Vec::new();
        for p in [project, learning::GLOBAL] {
            let found = match held {
                Some((snap, _)) => snap.pattern(p, &key).cloned(),
                None => st.pattern(p, &req.tool, &req.action, &key)?,
            };
            if let Some(s) = found
                && !stats.contains(&s)
            {
                stats.push(s);
            }
        }
        let candidates = if limit == 0 {
            Vec::new()
        } else {
            let prefix = similar::candidate_prefix(&req.tool, &key.key);
            st.patterns_of_tool(project, &req.tool, &req.action, prefix, similar::CANDIDATES)?
        };
        let approvals = stats
            .iter()
            .filter(|p| p.revoked_ms.is_none_or(|r| r < p.last_ms))
            .map(|p| p.human_allow)
            .max()
            .unwrap_or(0);
        Ok(AskContext {
            similar: similar::rank(&seg.command, &key.key, &candidates, limit),
            progress: Some(Progress {
                approvals,
                needed,
                pattern: key.key,
            }),
        })
    }
}
