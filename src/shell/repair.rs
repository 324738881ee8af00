//! Reads lines bash accepts that tree-sitter-bash rejects, the way bash reads them.
//!
//! The grammar misses a few forms bash runs without complaint; before this module they made
//! the whole line unparseable, and an unparseable line is rated HIGH (fail closed). When a
//! parse has errors, [`repair`] rewrites the parser's input (never the text words are read
//! from) and the caller parses again, keeping the second tree only when it has no error:
//! - `<>` (open read-write; creates the file) becomes `>|`, a write of the same length;
//! - `(( … ))` whose body holds no expansion, quote, operator or newline (`((echo hello))`,
//!   an arithmetic command bash evaluates and fails at run time, running nothing) gets a body
//!   of `0` padded with spaces;
//! - a heredoc with no end line (bash warns and takes the body to the end of the input) gets
//!   its delimiter appended as a last line.
//!
//! Every rewrite but the appended delimiter keeps each byte offset, so the tree still indexes
//! the original text. Lines bash itself rejects (`for x in 1; do; done`) stay errors.
//! [`tolerated_command`] names the one error node bash does not share: `x=1 > f` (assignments
//! and redirections with no command word), where the grammar inserts a missing command name.

use tree_sitter::Node;

/// A rewritten parser input and the text appended to the source (a heredoc's end line).
pub(super) struct Repaired {
    /// What to hand the parser: the input with same-length rewrites, then `suffix`.
    pub input: String,
    /// Text appended after the original (empty unless a heredoc was left open).
    pub suffix: String,
}

/// Rewrites `input` (the parser's view of a text whose tree `root` has errors) so that
/// forms bash accepts parse; `None` when nothing applies.
pub(super) fn repair(input: &str, root: Node<'_>) -> Option<Repaired> {
    let mut bytes = input.as_bytes().to_vec();
    let mut changed = read_write_redirects(&mut bytes);
    changed |= arithmetic_commands(&mut bytes);
    let mut suffix = String::new();
    if let Some(delim) = open_heredoc(input, root) {
        if !input.ends_with('\n') {
            suffix.push('\n');
        }
        suffix.push_str(&delim);
        suffix.push('\n');
        changed = true;
    }
    if !changed {
        return None;
    }
    let mut text = String::from_utf8(bytes).ok()?;
    text.push_str(&suffix);
    Some(Repaired {
        input: text,
        suffix,
    })
}

/// `<>` → `>|` outside words (both write; the operator is read back from the original).
fn read_write_redirects(bytes: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'<' && bytes[i + 1] == b'>' && (i == 0 || bytes[i - 1] != b'<') {
            bytes[i] = b'>';
            bytes[i + 1] = b'|';
            changed = true;
            i += 2;
        } else {
            i += 1;
        }
    }
    changed
}

/// `((body))` with a plain body (names, numbers, spaces, arithmetic operators) → `((0   ))`.
fn arithmetic_commands(bytes: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'(' && bytes[i + 1] == b'(' {
            let start = i + 2;
            let mut end = start;
            while end < bytes.len() && plain_arithmetic(bytes[end]) {
                end += 1;
            }
            if end > start && bytes.get(end..end + 2) == Some(b"))") {
                bytes[start] = b'0';
                for b in &mut bytes[start + 1..end] {
                    *b = b' ';
                }
                changed = true;
                i = end + 2;
                continue;
            }
        }
        i += 1;
    }
    changed
}

/// A byte that can appear in an arithmetic body without expanding or running anything.
fn plain_arithmetic(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'\t' | b'+' | b'-' | b'*' | b'/' | b'%')
}

/// The delimiter of the last heredoc whose end line is missing (its start is inside an
/// error node), quotes removed.
fn open_heredoc(input: &str, root: Node<'_>) -> Option<String> {
    let mut found: Option<(usize, String)> = None;
    let mut stack = vec![(root, false)];
    while let Some((node, in_error)) = stack.pop() {
        let in_error = in_error || node.is_error();
        if node.kind() == "heredoc_start" && in_error {
            let raw = input.get(node.start_byte()..node.end_byte())?;
            let delim: String = raw
                .chars()
                .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                .collect();
            if !delim.is_empty()
                && !delim.contains('\n')
                && found.as_ref().is_none_or(|(at, _)| *at < node.start_byte())
            {
                found = Some((node.start_byte(), delim));
            }
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() || child.is_error() || in_error {
                stack.push((child, in_error));
            }
        }
    }
    found.map(|(_, d)| d)
}

/// True when `cmd` (a `command` node) is assignments and redirections with no command word
/// (`x=1 > f`), where the grammar inserts a missing command name: bash runs it, setting the
/// variables and performing the redirections.
pub(super) fn tolerated_command(cmd: Node<'_>) -> bool {
    if cmd.kind() != "command" {
        return false;
    }
    let mut cursor = cmd.walk();
    let mut assigns = 0;
    let mut redirects = 0;
    let mut missing_name = false;
    for c in cmd.children(&mut cursor) {
        match c.kind() {
            "variable_assignment" => assigns += 1,
            "file_redirect" => redirects += 1,
            "command_name" => {
                missing_name = c.end_byte() == cmd.end_byte()
                    && c.named_child(0).is_some_and(|w| w.is_missing());
            }
            _ => return false,
        }
    }
    missing_name && assigns > 0 && redirects > 0
}

/// True when the tree under `root` has an error bash would share: an error node, or a
/// missing node other than the command name [`tolerated_command`] forgives.
pub(super) fn has_real_error(root: Node<'_>) -> bool {
    if !root.has_error() {
        return false;
    }
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            return true;
        }
        let skip_name = tolerated_command(node);
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if skip_name && child.kind() == "command_name" {
                continue;
            }
            if child.has_error() || child.is_missing() {
                stack.push(child);
            }
        }
    }
    false
}
