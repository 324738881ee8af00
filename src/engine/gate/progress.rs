//! How close an ask's pattern is to being learned, for the line an ask shows the human. The
//! one way adapters learn it: they never compute learning keys themselves.

use super::Gate;
use crate::engine::Progress;
use crate::engine::learning;
use crate::engine::similar::{self, Similar};
use crate::engine::store::Store;
use crate::request::{Decision, Request, Verdict};

impl<S: Store> Gate<S> {
    /// For an ask: the human approvals its first still-asking segment's pattern has (not
    /// revoked since), how many learning needs at its tier, and the pattern. Best effort:
    /// `None` when the verdict has no segment or the store cannot say.
    pub fn progress(&self, req: &Request, v: &Verdict) -> Option<Progress> {
        // The first segment still asking (a shell command's first unlearned part).
        let seg = v
            .segments
            .iter()
            .find(|s| s.decision != Some(Decision::Allow))
            .or(v.segments.first())?;
        let key = learning::key_of(seg.pattern.as_deref(), &seg.command);
        let project = self.resolve(req).project;
        let needed = self.config().needed(seg.risk.tier);
        // Keyed lookups of this one key: listing the project's patterns cost ~20 M
        // instructions per ask on a store with ~2,000 patterns (docs/performance.md).
        let stats = self
            .pattern_stats(&project, &req.tool, &req.action, &key)
            .ok()?;
        let approvals = stats
            .iter()
            .filter(|p| p.revoked_ms.is_none_or(|r| r < p.last_ms))
            .map(|p| p.human_allow)
            .max()
            .unwrap_or(0);
        Some(Progress {
            approvals,
            needed,
            pattern: key.key,
        })
    }

    /// For an ask: up to `limit` learned patterns of the same tool and action most like its
    /// first still-asking segment, with their human history (`engine::similar`). One bounded
    /// read; best effort: empty when the store cannot say.
    pub fn similar(&self, req: &Request, v: &Verdict, limit: usize) -> Vec<Similar> {
        let Some(seg) = v
            .segments
            .iter()
            .find(|s| s.decision != Some(Decision::Allow))
            .or(v.segments.first())
        else {
            return Vec::new();
        };
        let own = learning::key_of(seg.pattern.as_deref(), &seg.command);
        let project = self.resolve(req).project;
        let found = self
            .store
            .read(|st| st.patterns_of_tool(&project, &req.tool, &req.action, similar::CANDIDATES));
        match found {
            Ok(c) => similar::rank(&seg.command, &own.key, &c, limit),
            Err(_) => Vec::new(),
        }
    }
}
