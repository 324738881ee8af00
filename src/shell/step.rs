//! One unwrapping step and the word helpers the unwrappers share (`unwrap` dispatches to
//! `shells`, `sessions` and `runners`; all of them return a [`Step`]). Below all four, so
//! their dependencies point one way.

use super::{Origin, SimpleCommand, Word};

/// What one unwrapping step found in a command.
pub(super) enum Step {
    /// Not a wrapper.
    Done,
    /// One wrapper removed.
    Unwrapped(Box<SimpleCommand>),
    /// The command runs shell text.
    Nested(String, Origin, String),
    /// The command runs another argv as well (find -exec): (the rest, the spawned command).
    Spawn(Box<SimpleCommand>, Box<SimpleCommand>),
}

/// The text of a word.
pub(super) fn lit(w: &Word) -> &str {
    w.text.as_str()
}

/// Words joined by spaces, as shell text for a nested parse.
pub(super) fn join(words: &[Word]) -> String {
    words.iter().map(lit).collect::<Vec<_>>().join(" ")
}

/// Drops the first `n` words and records `wrapper`.
pub(super) fn drop_words(cmd: &SimpleCommand, n: usize, wrapper: &str) -> Box<SimpleCommand> {
    let mut c = cmd.clone();
    c.argv = cmd.argv.get(n..).map(|s| s.to_vec()).unwrap_or_default();
    c.wrappers.push(wrapper.to_string());
    Box::new(c)
}

/// Skips options of a wrapper: returns the index of the first operand.
/// `with_value` lists options that take a separate value.
pub(super) fn skip_opts(
    argv: &[Word],
    start: usize,
    with_value: &[&str],
    stop_at_plus: bool,
) -> usize {
    let mut i = start;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if t == "--" {
            return i + 1;
        }
        if !t.starts_with('-') || t == "-" || (stop_at_plus && t.starts_with('+')) {
            return i;
        }
        if with_value.contains(&t) {
            i += 2;
            continue;
        }
        i += 1;
    }
    i
}
