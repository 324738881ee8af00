//! The classifier's work budget: one counter per assessment, carried from its root through
//! every nested judgement, so that no input can make the classifier work without bound.
//!
//! Command lines nest: a pager variable names a command line (`PAGER='PAGER=… ls' git log`),
//! inline code names more (`python -c "os.system('bash -c …')"`), a script written earlier
//! in the line is rated when it is run, `awk`/`sed`/`vim` run commands of their own. Each of
//! those re-parses and re-judges text, and each can repeat or nest the others; left alone, a
//! 65 KB line of `PAGER=` repeated took 8.5 s and 940 MB before dying of a stack overflow.
//!
//! Every parse, every simple command judged and every byte parsed is charged to the
//! [`Budget`] of the assessment's root ([`super::assess`] for a shell command, the rating of a
//! written file for its text); nesting deeper than [`MAX_NEST`] is refused outright. When a
//! charge does not fit, that nested line is not judged, and the root rates the whole request
//! HIGH "too complex to judge" with no learnable pattern (see [`Budget::settle`]).

use super::Assessment;
use super::judge::Judge;
use crate::request::RiskTier;
use std::cell::Cell;

/// Work units one assessment may spend: [`WORK_PER_PARSE`] a parse, plus [`WORK_PER_BYTE`] a
/// byte parsed (nested texts the parser unwraps included), plus [`WORK_PER_SEGMENT`] a simple
/// command judged and [`WORK_PER_WORD`] each of its words. A unit is about 0.1 µs of the slowest work (parsing many short words).
/// Everyday commands spend about a thousand; the longest line that can be parsed (64 KiB, 512
/// simple commands) about 1 300 000; the budget spent in full takes under 300 ms in a release
/// build (docs/security.md has the measurements).
pub const WORK_BUDGET: u64 = 3_000_000;
/// Work units the rating of one written file may spend ([`super::rate_written_text`]): a
/// script is up to 256 KiB of lines, each a command line of its own; a 10 000-line script of
/// short commands spends about 6 500 000.
pub const FILE_WORK_BUDGET: u64 = 3 * WORK_BUDGET;
/// Work units charged for one parse (start-up of the parser and the walk), before its bytes.
pub const WORK_PER_PARSE: u64 = 256;
/// Work units charged for one byte handed to the parser, nested texts included (measured:
/// tree-sitter takes up to 1.3 µs a byte on a line of many short words).
pub const WORK_PER_BYTE: u64 = 16;
/// Work units charged for one simple command judged (rule tables, path classification).
pub const WORK_PER_SEGMENT: u64 = 512;
/// Work units charged for each word of a simple command judged (argument, assignment or
/// redirection: each is unwrapped, classified as a path, and shown).
pub const WORK_PER_WORD: u64 = 32;
/// Deepest nesting of command lines inside command lines that is judged (the root is 0).
pub const MAX_NEST: usize = 8;
/// Nesting from which rules no longer look for command lines inside code, option values or
/// tools' embedded commands (a line found at a shallower depth is still rated in full).
pub(crate) const SEARCH_NEST: usize = 3;

/// The factor a request gets when it exceeds the budget or the nesting limit.
pub const TOO_COMPLEX: &str = "too_complex";
pub(crate) const TOO_COMPLEX_REASON: &str = "the command is too complex to judge: it nests or repeats \
     commands beyond the classifier's work budget";

/// What an assessment spent, for tests, the benchmark and explanations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Work units spent (at most [`WORK_BUDGET`], [`FILE_WORK_BUDGET`] for a written file).
    pub units: u64,
    /// Command lines parsed (the root's and every nested one).
    pub parses: u64,
    /// Bytes of command text parsed, the root's and every nested line's.
    pub bytes: u64,
    /// Simple commands judged.
    pub segments: u64,
    /// Words of the simple commands judged.
    pub words: u64,
    /// The deepest nesting reached.
    pub depth: usize,
    /// True when a charge did not fit or the nesting limit was reached: the request was rated
    /// HIGH "too complex" instead of being judged in full.
    pub exhausted: bool,
}

/// The counter of one assessment. Lives on the root's stack; nested judgements borrow it
/// through [`Work`].
#[derive(Debug)]
pub(crate) struct Budget {
    tally: Cell<Tally>,
    limit: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::with_limit(WORK_BUDGET)
    }
}

impl Budget {
    /// A budget of `limit` work units.
    pub fn with_limit(limit: u64) -> Self {
        Budget {
            tally: Cell::new(Tally::default()),
            limit,
        }
    }

    /// What was spent so far.
    pub fn tally(&self) -> Tally {
        self.tally.get()
    }

    /// The root's view: depth 0.
    pub fn root(&self) -> Work<'_> {
        Work {
            depth: 0,
            budget: self,
        }
    }

    fn update(&self, f: impl FnOnce(&mut Tally)) {
        let mut t = self.tally.get();
        f(&mut t);
        self.tally.set(t);
    }

    /// At the root, after the assessment: when the budget ran out anywhere below, the whole
    /// request is at least HIGH "too complex" and no segment is generalized into a pattern
    /// (a nested caller may have dropped the inner verdict; the root never does).
    pub fn settle(&self, a: &mut Assessment) {
        if !self.tally().exhausted {
            return;
        }
        let mut j = Judge::default();
        j.raise(RiskTier::High, TOO_COMPLEX, TOO_COMPLEX_REASON);
        let high = j.risk();
        for s in a.segments.iter_mut() {
            s.pattern = None;
        }
        if !a.risk.factors.iter().any(|f| f == TOO_COMPLEX) {
            // Factors are ordered by tier: first when HIGH is (now) the top tier, after the
            // CRITICAL ones otherwise (their count is not known here, so last).
            if a.risk.tier <= RiskTier::High {
                a.risk.factors.insert(0, TOO_COMPLEX.to_string());
            } else {
                a.risk.factors.push(TOO_COMPLEX.to_string());
            }
        }
        if a.risk.tier < RiskTier::High {
            a.risk.tier = high.tier;
            a.risk.score = high.score;
            a.reason = TOO_COMPLEX_REASON.to_string();
        }
        a.explanation.push_str(&format!(
            "\n  [{}] whole command ({TOO_COMPLEX}) — {TOO_COMPLEX_REASON}",
            RiskTier::High
        ));
    }
}

/// A nested judgement's share of the root's budget: how deep it is, and the counter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work<'a> {
    /// Nesting of command lines (0 for the request's own line).
    pub depth: usize,
    budget: &'a Budget,
}

impl<'a> Work<'a> {
    /// The same budget one level down.
    pub fn deeper(self) -> Work<'a> {
        Work {
            depth: self.depth + 1,
            budget: self.budget,
        }
    }

    /// Whether rules still look for command lines nested in this one (see [`SEARCH_NEST`]).
    pub fn searches_nested(self) -> bool {
        self.depth < SEARCH_NEST
    }

    /// Charges parsing `bytes` of command text at this depth. False (and the budget marked
    /// exhausted) when it does not fit or the line is nested too deep: the line must not be
    /// parsed.
    pub fn charge_parse(self, bytes: usize) -> bool {
        let fits = self.depth <= MAX_NEST && self.charge_bytes(bytes, 1);
        if fits {
            self.budget.update(|t| t.depth = t.depth.max(self.depth));
        } else {
            self.budget.update(|t| t.exhausted = true);
        }
        fits
    }

    /// Charges `bytes` more that the parser read while unwrapping nested text (`bash -c`,
    /// `eval`) of a line already charged. False (and the budget marked exhausted) when they
    /// do not fit: the line's commands must not be judged.
    pub fn charge_unwrapped(self, bytes: usize) -> bool {
        self.charge_bytes(bytes, 0)
    }

    fn charge_bytes(self, bytes: usize, parses: u64) -> bool {
        let cost = (bytes as u64)
            .saturating_mul(WORK_PER_BYTE)
            .saturating_add(parses * WORK_PER_PARSE);
        let fits = self.fits(cost);
        self.budget.update(|t| {
            if fits {
                t.units += cost;
                t.parses += parses;
                t.bytes += bytes as u64;
            } else {
                t.exhausted = true;
            }
        });
        fits
    }

    /// Charges judging `n` simple commands of `words` words in all. False (and the budget
    /// marked exhausted) when they do not fit: none of them may be judged.
    pub fn charge_segments(self, n: usize, words: usize) -> bool {
        let cost = WORK_PER_SEGMENT
            .saturating_mul(n as u64)
            .saturating_add(WORK_PER_WORD.saturating_mul(words as u64));
        let fits = self.fits(cost);
        self.budget.update(|t| {
            if fits {
                t.units += cost;
                t.segments += n as u64;
                t.words += words as u64;
            } else {
                t.exhausted = true;
            }
        });
        fits
    }

    fn fits(self, cost: u64) -> bool {
        let t = self.budget.tally();
        !t.exhausted && t.units.saturating_add(cost) <= self.budget.limit
    }
}

/// The assessment of a line that was not judged because the budget ran out: HIGH
/// "too complex", no segments (so nothing to generalize).
pub(crate) fn too_complex(command: &str) -> Assessment {
    let mut j = Judge::default();
    j.raise(RiskTier::High, TOO_COMPLEX, TOO_COMPLEX_REASON);
    Assessment {
        risk: j.risk(),
        reason: TOO_COMPLEX_REASON.to_string(),
        explanation: format!(
            "{}\n  [{}] whole command ({TOO_COMPLEX}) — {TOO_COMPLEX_REASON}",
            super::describe("shell", "execute", command),
            RiskTier::High
        ),
        segments: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_that_does_not_fit_exhausts_the_budget_and_spends_nothing() {
        let b = Budget::default();
        let w = b.root();
        assert!(w.charge_parse(10));
        assert!(w.charge_segments(1, 0));
        assert_eq!(
            b.tally().units,
            WORK_PER_PARSE + 10 * WORK_PER_BYTE + WORK_PER_SEGMENT
        );
        assert!(!w.charge_segments(usize::MAX, 1));
        let t = b.tally();
        assert!(t.exhausted);
        assert_eq!(
            t.units,
            WORK_PER_PARSE + 10 * WORK_PER_BYTE + WORK_PER_SEGMENT
        );
        // Once exhausted, nothing more fits, however small.
        assert!(!w.charge_parse(0));
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let b = Budget::default();
        let mut w = b.root();
        for _ in 0..MAX_NEST {
            w = w.deeper();
            assert!(w.charge_parse(1));
        }
        assert!(!w.deeper().charge_parse(1));
        assert!(b.tally().exhausted);
        assert_eq!(b.tally().depth, MAX_NEST);
    }
}
