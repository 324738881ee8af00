//! The accumulator every rule raises: tier, ordered factors, reason, learnability flags.

use crate::request::{Risk, RiskTier};

/// Accumulates what the rules found about one segment (or one request).
#[derive(Debug, Clone)]
pub(crate) struct Judge {
    /// The highest tier raised so far.
    pub tier: RiskTier,
    /// (tier, factor, reason), in the order raised.
    factors: Vec<(RiskTier, String, String)>,
    /// Set when the segment must never be generalized into a pattern.
    pub no_pattern: bool,
    /// Set when the segment reads or names a secret.
    pub secret: bool,
    /// Set when the segment sends data over the network.
    pub sends: bool,
    /// Set when the pattern must be the exact command (build-output deletion).
    pub exact_pattern: bool,
}

impl Default for Judge {
    fn default() -> Self {
        Judge {
            tier: RiskTier::Low,
            factors: Vec::new(),
            no_pattern: false,
            secret: false,
            sends: false,
            exact_pattern: false,
        }
    }
}

impl Judge {
    /// Raises the tier to at least `tier`, recording `factor` with its one-line `reason`.
    pub fn raise(&mut self, tier: RiskTier, factor: &str, reason: &str) {
        if tier > self.tier {
            self.tier = tier;
        }
        if !self.factors.iter().any(|(_, f, _)| f == factor) {
            self.factors
                .push((tier, factor.to_string(), reason.to_string()));
        } else if let Some(e) = self.factors.iter_mut().find(|(_, f, _)| f == factor)
            && tier > e.0
        {
            e.0 = tier;
            e.2 = reason.to_string();
        }
    }

    /// Raises like [`Judge::raise`] for a finding about a secret: marks the segment as
    /// touching one and never generalizes it into a pattern.
    pub fn raise_secret(&mut self, tier: RiskTier, factor: &str, reason: &str) {
        self.raise(tier, factor, reason);
        self.secret = true;
        self.no_pattern = true;
    }

    /// Records a factor that does not change the tier by itself.
    pub fn note(&mut self, factor: &str, reason: &str) {
        self.raise(RiskTier::Low, factor, reason);
    }

    /// Merges another judge's findings (used for composition), prefixing nothing.
    pub fn absorb(&mut self, other: &Judge) {
        for (t, f, r) in &other.factors {
            self.raise(*t, f, r);
        }
        self.no_pattern |= other.no_pattern;
        self.secret |= other.secret;
        self.sends |= other.sends;
    }

    /// The factors ordered by tier (highest first), then in the order raised.
    pub fn ordered(&self) -> Vec<(RiskTier, String, String)> {
        let mut v = self.factors.clone();
        v.sort_by_key(|f| std::cmp::Reverse(f.0));
        v
    }

    /// The risk: tier, a score that agrees with it, ordered factor names.
    pub fn risk(&self) -> Risk {
        let ordered = self.ordered();
        let at_tier = ordered.iter().filter(|f| f.0 == self.tier).count();
        Risk {
            tier: self.tier,
            score: score_for(self.tier, at_tier),
            factors: ordered.into_iter().map(|f| f.1).collect(),
        }
    }

    /// The reason of the first factor at the highest tier, or `fallback`.
    pub fn reason(&self, fallback: &str) -> String {
        self.ordered()
            .into_iter()
            .find(|f| f.0 == self.tier && !f.2.is_empty())
            .map(|f| f.2)
            .unwrap_or_else(|| fallback.to_string())
    }
}

/// A score inside `tier`'s band, a little higher for each factor at that tier:
/// low [0.05, 0.25), medium [0.25, 0.5), high [0.5, 0.8), critical [0.8, 1.0].
pub fn score_for(tier: RiskTier, factors_at_tier: usize) -> f64 {
    let (base, step, max) = match tier {
        RiskTier::Low => (0.1, 0.02, 0.2),
        RiskTier::Medium => (0.3, 0.03, 0.45),
        RiskTier::High => (0.6, 0.03, 0.75),
        RiskTier::Critical => (0.9, 0.02, 1.0),
    };
    let extra = factors_at_tier.saturating_sub(1).min(5) as f64 * step;
    let s: f64 = base + extra;
    (s.min(max) * 100.0).round() / 100.0
}

/// The tier a score belongs to.
pub fn tier_for_score(score: f64) -> RiskTier {
    if score >= 0.8 {
        RiskTier::Critical
    } else if score >= 0.5 {
        RiskTier::High
    } else if score >= 0.25 {
        RiskTier::Medium
    } else {
        RiskTier::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_agree_with_tiers() {
        for tier in [
            RiskTier::Low,
            RiskTier::Medium,
            RiskTier::High,
            RiskTier::Critical,
        ] {
            for n in 0..10 {
                assert_eq!(tier_for_score(score_for(tier, n)), tier);
            }
        }
    }

    #[test]
    fn factors_are_ordered_by_tier_then_insertion() {
        let mut j = Judge::default();
        j.raise(RiskTier::Medium, "b", "");
        j.raise(RiskTier::Critical, "a", "worst");
        j.raise(RiskTier::Medium, "c", "");
        assert_eq!(j.risk().factors, ["a", "b", "c"]);
        assert_eq!(j.reason("x"), "worst");
    }
}

/// The program names a family judges: its declaration in the registry
/// (`super::registry`), kept here so a family depends on the registry's data type only.
#[derive(Debug)]
pub(super) struct Programs {
    /// Names judged as written (after `SimpleCommand::program`: base name, lower case).
    pub names: &'static [&'static str],
    /// Names judged as written and with a version suffix of digits and dots (`node18`,
    /// `python3.11`).
    pub versioned: &'static [&'static str],
    /// Prefixes: every name that starts with one is judged (`mkfs` for `mkfs.ext4`).
    pub prefixes: &'static [&'static str],
    /// The options of these programs that take a separate value (`-n prod`): the program
    /// spec an [`super::invocation::Invocation`] is taken apart by.
    pub value_options: &'static [&'static str],
}
