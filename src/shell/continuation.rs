//! Line continuations after a `$` that the grammar misreads. Bash removes an unquoted
//! backslash-newline before it reads words, so `echo a $\` + newline + newline + `rm -rf ~` is
//! `echo a $` and then `rm -rf ~` on a line of its own. The bash grammar we parse with reads
//! `$`, the continuation, the blank line and the next word as one expansion (`$rm`): the second
//! command disappears and the line was rated LOW. Found by `tests/risk_proptest.rs`.
//!
//! This pass removes such continuations before parsing, but only where the removal cannot join
//! two lines bash keeps apart: a run of backslash-newlines right after `$` that is followed by
//! blanks and a newline (or the end). What follows the run stays on its own line, so the pass
//! is safe in every context bash might be in there (code, quotes, a comment, a here-document):
//! in code it is exactly bash's reading; elsewhere it changes two bytes of text nothing runs.

/// `text` with every backslash-newline run that follows a `$` and precedes blanks and a
/// newline (or the end) removed; `None` when there is none (the common case, no copy).
pub(super) fn join_after_dollar(text: &str) -> Option<String> {
    if !text.contains("$\\\n") {
        return None;
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        let c = b[i];
        out.push(c);
        i += 1;
        if c != b'$' {
            continue;
        }
        // The run of continuations after this `$`, and what follows it.
        let mut end = i;
        while b.get(end) == Some(&b'\\') && b.get(end + 1) == Some(&b'\n') {
            end += 2;
        }
        if end == i {
            continue;
        }
        let mut after = end;
        while matches!(b.get(after), Some(b' ' | b'\t')) {
            after += 1;
        }
        if matches!(b.get(after), None | Some(b'\n')) {
            i = end;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    // Only ASCII bytes were removed, so the text is still UTF-8.
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::join_after_dollar;

    #[test]
    fn a_continuation_after_a_dollar_before_a_line_break_is_removed() {
        assert_eq!(
            join_after_dollar("echo a $\\\n\nrm -rf ~").as_deref(),
            Some("echo a $\nrm -rf ~")
        );
        assert_eq!(
            join_after_dollar("echo $\\\n\\\n \t\nx").as_deref(),
            Some("echo $ \t\nx")
        );
        assert_eq!(join_after_dollar("echo $\\\n").as_deref(), Some("echo $"));
    }

    #[test]
    fn anything_that_would_join_two_lines_is_left_alone() {
        // `$name` across a continuation, a continuation before text on the next line, an
        // escaped backslash, no dollar: all as they were.
        for t in [
            "echo $\\\nHOME",
            "# $\\\n rm -rf ~",
            "echo $\\\\\n\nrm",
            "echo a \\\n\nrm -rf ~",
            "echo $HOME",
        ] {
            assert_eq!(join_after_dollar(t), None, "{t:?}");
        }
    }
}
