//! Cost summaries: tokens and US dollars of the artifacts matching a filter, in total and by
//! model, provider, task, session and runtime (from one grouped read of the store).

use crate::engine::Gate;
use crate::engine::state::{ArtifactFilter, CostLine};
use crate::engine::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// The sums of one model, provider, task, session or runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostGroup {
    /// The name (never empty: artifacts without one are only in the totals).
    pub name: String,
    /// Artifacts.
    pub artifacts: u64,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// US dollars.
    pub cost_usd: f64,
}

/// What `aiperture costs` prints: totals and each dimension's groups, costliest first.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostSummary {
    /// Artifacts summed.
    pub artifacts: u64,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// US dollars.
    pub cost_usd: f64,
    /// By model.
    pub by_model: Vec<CostGroup>,
    /// By provider.
    pub by_provider: Vec<CostGroup>,
    /// By task.
    pub by_task: Vec<CostGroup>,
    /// By session.
    pub by_session: Vec<CostGroup>,
    /// By runtime.
    pub by_runtime: Vec<CostGroup>,
}

/// Folds the store's grouped lines into the summary.
pub fn summarize(lines: &[CostLine]) -> CostSummary {
    let mut s = CostSummary::default();
    let mut dims: [BTreeMap<&str, CostGroup>; 5] = Default::default();
    for l in lines {
        s.artifacts += l.artifacts;
        s.tokens_in = s.tokens_in.saturating_add(l.tokens_in);
        s.tokens_out = s.tokens_out.saturating_add(l.tokens_out);
        s.cost_usd += l.cost_usd;
        let names = [&l.model, &l.provider, &l.task, &l.session, &l.runtime];
        for (dim, name) in dims.iter_mut().zip(names) {
            if name.is_empty() {
                continue;
            }
            let g = dim.entry(name.as_str()).or_insert_with(|| CostGroup {
                name: name.clone(),
                ..CostGroup::default()
            });
            g.artifacts += l.artifacts;
            g.tokens_in = g.tokens_in.saturating_add(l.tokens_in);
            g.tokens_out = g.tokens_out.saturating_add(l.tokens_out);
            g.cost_usd += l.cost_usd;
        }
    }
    let [model, provider, task, session, runtime] = dims.map(|d| {
        let mut v: Vec<CostGroup> = d.into_values().collect();
        v.sort_by(|a, b| {
            b.cost_usd
                .total_cmp(&a.cost_usd)
                .then_with(|| (b.tokens_in + b.tokens_out).cmp(&(a.tokens_in + a.tokens_out)))
                .then_with(|| a.name.cmp(&b.name))
        });
        v
    });
    s.by_model = model;
    s.by_provider = provider;
    s.by_task = task;
    s.by_session = session;
    s.by_runtime = runtime;
    s
}

/// The cost summary of the artifacts matching `filter` (its limit is ignored).
pub fn cost_summary<S: Store>(
    gate: &Gate<S>,
    filter: &ArtifactFilter,
) -> anyhow::Result<CostSummary> {
    let lines = gate.store().read(|st| st.cost_lines(filter))?;
    Ok(summarize(&lines))
}
