//! Similar patterns for an ask (SPEC §4.4, within one tool and action): which learned
//! patterns look like the request, how often humans approved them and how many humans did,
//! so the person deciding sees what was decided before. Pure: the candidates come from one
//! bounded read of the store (`State::patterns_of_tool`).

use super::rows::{KeyKind, PatternStats};

/// Candidates read for one ask (an index range of the patterns table).
pub const CANDIDATES: u32 = 200;

/// The key prefix an ask's similar candidates are read with: for a shell command its program
/// (the first word of its key: another program's patterns score 0.1 on the command measure,
/// so any such match was only a shared first letter or two), else empty (every key of the tool
/// and action). Reading by program also means a program's patterns are found however many
/// others the store holds: [`CANDIDATES`] rows in key order used to be the first programs of
/// the alphabet.
pub fn candidate_prefix<'k>(tool: &str, key: &'k str) -> &'k str {
    if tool != "shell" {
        return "";
    }
    key.split_whitespace().next().unwrap_or("")
}

/// The smallest string above every string that starts with `prefix` (its last character
/// moved to the next one), so `[prefix, end)` is exactly the keys starting with it in a
/// bytewise order; `None` for an empty prefix or one whose last character has no successor.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A pattern is similar from this score on (the reference's `min_similarity`).
pub const MIN_SIMILARITY: f64 = 0.5;

/// A learned pattern like the request, with its human history.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    /// The pattern (`git push *`) or exact text.
    pub pattern: String,
    /// Counted human approvals.
    pub approvals: u32,
    /// Counted human and inferred denials.
    pub denials: u32,
    /// Distinct humans who decided.
    pub humans: u32,
    /// approvals / (approvals + denials).
    pub rate: f64,
    /// How alike, in [0, 1].
    pub similarity: f64,
}

/// Path-prefix similarity: equal leading `/`-separated segments over the longer count.
fn path_prefix(a: &str, b: &str) -> f64 {
    let seg = |s: &str| {
        s.split(['/', '\\'])
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (a, b) = (seg(a), seg(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    common as f64 / a.len().max(b.len()) as f64
}

/// Command similarity: another program 0.1; the same with equal option sets 0.7, both with
/// options 0.4 + 0.3 · Jaccard, else 0.4.
fn command(a: &str, b: &str) -> f64 {
    let (mut wa, mut wb) = (a.split_whitespace(), b.split_whitespace());
    if wa.next() != wb.next() {
        return 0.1;
    }
    let fa: std::collections::BTreeSet<&str> = wa.filter(|t| t.starts_with('-')).collect();
    let fb: std::collections::BTreeSet<&str> = wb.filter(|t| t.starts_with('-')).collect();
    if fa == fb {
        0.7
    } else if !fa.is_empty() && !fb.is_empty() {
        let inter = fa.intersection(&fb).count() as f64;
        let union = fa.union(&fb).count() as f64;
        0.4 + 0.3 * inter / union
    } else {
        0.4
    }
}

/// Scope similarity (SPEC §4.4): equal 1; empty 0; a glob match either way 0.8; path prefix
/// or command similarity past 0.3; else the common-prefix ratio.
pub fn scope_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let glob = |pat: &str, s: &str| {
        pat.strip_suffix(" *")
            .is_some_and(|p| s == p || s.starts_with(&format!("{p} ")))
    };
    if glob(a, b) || glob(b, a) {
        return 0.8;
    }
    let p = path_prefix(a, b);
    if p > 0.3 {
        return p;
    }
    let c = command(a, b);
    if c > 0.3 {
        return c;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common as f64 / a.chars().count().max(b.chars().count()) as f64
}

/// The patterns most like `scope` among `candidates` (same tool and action), most similar
/// first, at most `limit`: never `own` (the request's own key, shown as its progress), never
/// one without a counted human decision or revoked since its last.
pub fn rank(scope: &str, own: &str, candidates: &[PatternStats], limit: usize) -> Vec<Similar> {
    let mut out: Vec<Similar> = Vec::new();
    for p in candidates {
        let denials = p.human_deny + p.inferred_deny;
        let total = p.human_allow + denials;
        if p.key.key == own || total == 0 || p.revoked_ms.is_some_and(|r| r >= p.last_ms) {
            continue;
        }
        let text = match p.key.kind {
            KeyKind::Pattern => p.key.key.trim_end_matches(" *"),
            KeyKind::Exact => p.key.key.as_str(),
        };
        // Same tool and action: 0.40 · 1 + 0.60 · scope similarity.
        let similarity =
            0.4 + 0.6 * scope_similarity(scope, text).max(scope_similarity(scope, &p.key.key));
        if similarity < MIN_SIMILARITY {
            continue;
        }
        let s = Similar {
            pattern: p.key.key.clone(),
            approvals: p.human_allow,
            denials,
            humans: p.humans,
            rate: f64::from(p.human_allow) / f64::from(total),
            similarity,
        };
        // A key in the project and in `global`: keep the one with more evidence.
        match out.iter_mut().find(|x| x.pattern == s.pattern) {
            Some(x) if x.approvals + x.denials < total => *x = s,
            Some(_) => {}
            None => out.push(s),
        }
    }
    out.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then_with(|| (b.approvals + b.denials).cmp(&(a.approvals + a.denials)))
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rows::LearnKey;

    fn stats(key: &str, allow: u32, deny: u32, humans: u32) -> PatternStats {
        PatternStats {
            project: "global".into(),
            tool: "shell".into(),
            action: "execute".into(),
            key: LearnKey {
                kind: KeyKind::Pattern,
                key: key.into(),
            },
            human_allow: allow,
            human_deny: deny,
            inferred_deny: 0,
            rapid_allow: 0,
            humans,
            first_ms: 0,
            last_ms: 10,
            revoked_ms: None,
        }
    }

    #[test]
    fn shell_candidates_are_read_by_program_and_others_by_tool() {
        assert_eq!(candidate_prefix("shell", "terraform apply *"), "terraform");
        assert_eq!(candidate_prefix("shell", "  ls"), "ls");
        assert_eq!(candidate_prefix("shell", ""), "");
        assert_eq!(candidate_prefix("filesystem", "/srv/app/src/*"), "");
        assert_eq!(prefix_end("make").as_deref(), Some("makf"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("x\u{D7FF}").as_deref(), Some("x\u{E000}"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }

    proptest::proptest! {
        /// `[prefix, prefix_end(prefix))` holds exactly the strings that start with `prefix`,
        /// in the bytewise order SQLite compares keys in.
        #[test]
        fn the_prefix_range_is_exactly_the_strings_with_the_prefix(
            prefix in "[a-c\u{D7FE}\u{D7FF}\u{E000}\u{10FFFE}\u{10FFFF}]{0,3}",
            rest in "[a-c\u{D7FF}\u{E000}\u{10FFFF}]{0,3}",
            other in "[a-c\u{D7FF}\u{E000}\u{10FFFF}]{0,5}",
        ) {
            for s in [format!("{prefix}{rest}"), other] {
                let inside = s.as_bytes() >= prefix.as_bytes()
                    && prefix_end(&prefix).is_none_or(|e| s.as_bytes() < e.as_bytes());
                proptest::prop_assert_eq!(inside, s.starts_with(&prefix), "{:?} {:?}", prefix, s);
            }
        }
    }

    #[test]
    fn scope_similarity_follows_the_reference() {
        assert_eq!(scope_similarity("git push", "git push"), 1.0);
        assert_eq!(scope_similarity("", "x"), 0.0);
        assert_eq!(scope_similarity("git push *", "git push origin"), 0.8);
        assert_eq!(scope_similarity("/a/b/c", "/a/b/d"), 2.0 / 3.0);
        assert_eq!(scope_similarity("git log -n 3", "git log -n 5"), 0.7);
        assert!((scope_similarity("ls -l x", "ls -a y") - 0.4).abs() < 1e-9);
        assert!(scope_similarity("git push", "curl x") < 0.3);
    }

    #[test]
    fn rank_orders_by_similarity_and_skips_own_revoked_and_unrelated() {
        let mut revoked = stats("git pull *", 5, 0, 1);
        revoked.revoked_ms = Some(20);
        let c = vec![
            stats("git push *", 9, 1, 2),
            stats("git fetch *", 3, 0, 1),
            stats("npm test *", 8, 0, 3),
            stats("git commit *", 0, 0, 0),
            revoked,
        ];
        let r = rank("git push origin main", "git push origin *", &c, 5);
        let names: Vec<&str> = r.iter().map(|s| s.pattern.as_str()).collect();
        assert_eq!(names, ["git push *", "git fetch *"]);
        assert_eq!((r[0].approvals, r[0].denials, r[0].humans), (9, 1, 2));
        assert!((r[0].rate - 0.9).abs() < 1e-9);
        assert!(
            rank("git push origin main", "git push *", &c, 5)
                .iter()
                .all(|s| s.pattern != "git push *")
        );
        assert_eq!(rank("git push x", "", &c, 1).len(), 1);
    }
}
