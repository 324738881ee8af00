//! Ids that make a hook call's recording happen once (`Request::request_id`). A hook that
//! hands its payload to a running server gives it an id; if the server's answer does not come
//! in time, the hook decides in-process with the same id. Whichever of the two first claims
//! the id in the store ([`crate::engine::state::State::claim_request`]) records the call; the
//! other decides without recording it. The id is the time in milliseconds as 12 hex digits,
//! a dash and 32 random hex digits, so ids sort by time and old claims are pruned by a range.

/// How long a claim is kept: far longer than any hook waits.
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// A fresh id at `now_ms` with 16 random bytes; `None` when no randomness is available (the
/// call is then recorded as if it had no id).
pub fn fresh(now_ms: i64) -> Option<String> {
    let mut r = [0u8; 16];
    getrandom::fill(&mut r).ok()?;
    Some(format!("{:012x}-{}", now_ms.max(0), hex::encode(r)))
}

/// Claims below this id are older than [`KEEP_MS`] at `now_ms`.
pub fn cutoff(now_ms: i64) -> String {
    format!("{:012x}-", now_ms.saturating_sub(KEEP_MS).max(0))
}

/// The claim of one operation on a call: a call is checked, then reported as run, each
/// recorded once (`op` is `check`, `ran`, `permission`, `denied`).
pub fn claim_key(id: &str, op: &str) -> String {
    format!("{id}:{op}")
}

/// Whether `id` has the shape [`fresh`] gives (ids from the network are checked before use).
pub fn well_formed(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 45
        && b[12] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 12 || c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_old_ones_fall_below_the_cutoff() {
        let a = fresh(1_000).unwrap_or_default();
        let b = fresh(KEEP_MS + 2_000).unwrap_or_default();
        assert!(well_formed(&a) && well_formed(&b), "{a} {b}");
        assert!(a < b);
        let cut = cutoff(KEEP_MS + 2_000);
        assert!(a < cut && b > cut, "{a} {cut} {b}");
        assert!(!well_formed("x") && !well_formed(&a.replace('-', "g")));
        assert!(!well_formed(&format!("{a}0")));
        assert_eq!(claim_key("i", "check"), "i:check");
    }
}
