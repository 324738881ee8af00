//! Word values: quote removal over tree-sitter word nodes, re-quoting, program resolution.

use super::Word;
use tree_sitter::Node;

/// Deepest word nesting (`"${a:-"${b}"}"`) we follow before calling a word dynamic.
const MAX_WORD_DEPTH: usize = 32;

/// Computes the value of a word-like node. `too_deep` is set when nesting was cut off.
pub(super) fn word_value(node: Node<'_>, src: &[u8], too_deep: &mut bool) -> Word {
    let raw = text_of(node, src);
    let mut w = Word {
        text: String::new(),
        raw: raw.clone(),
        dynamic: false,
        substitution: false,
    };
    append_value(node, src, &mut w, 0, too_deep);
    w
}

/// The source text of a node (lossy on invalid UTF-8 boundaries).
pub(super) fn text_of(node: Node<'_>, src: &[u8]) -> String {
    src.get(node.start_byte()..node.end_byte())
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

fn append_value(node: Node<'_>, src: &[u8], w: &mut Word, depth: usize, too_deep: &mut bool) {
    if depth > MAX_WORD_DEPTH {
        *too_deep = true;
        w.dynamic = true;
        w.text.push_str(&text_of(node, src));
        return;
    }
    match node.kind() {
        "word"
        | "number"
        | "special_variable_name"
        | "variable_name"
        | "regex"
        | "extglob_pattern"
        | "test_operator"
        | "file_descriptor" => {
            w.text.push_str(&unescape_bare(&text_of(node, src)));
        }
        "raw_string" => {
            let t = text_of(node, src);
            let inner = t
                .strip_prefix('\'')
                .map(|x| x.strip_suffix('\'').unwrap_or(x))
                .unwrap_or(&t);
            w.text.push_str(inner);
        }
        "ansi_c_string" => {
            let t = text_of(node, src);
            let inner = t
                .strip_prefix("$'")
                .map(|x| x.strip_suffix('\'').unwrap_or(x))
                .unwrap_or(&t);
            w.text.push_str(&unescape_ansi_c(inner));
        }
        "string" | "translated_string" => {
            // Children are string_content and expansions; text between them is literal.
            let mut cursor = node.walk();
            let start = node.start_byte();
            let end = node.end_byte();
            let mut pos = start;
            let t = text_of(node, src);
            let open = if t.starts_with("$\"") { 2 } else { 1 };
            pos += open.min(end.saturating_sub(start));
            let close_at = if t.ends_with('"') && t.len() > open {
                end - 1
            } else {
                end
            };
            for child in node.children(&mut cursor) {
                if child.start_byte() > pos {
                    push_src(w, src, pos, child.start_byte().min(close_at));
                }
                match child.kind() {
                    "string_content" => {
                        w.text.push_str(&unescape_double(&text_of(child, src)));
                    }
                    "\"" | "$\"" => {}
                    _ => append_value(child, src, w, depth + 1, too_deep),
                }
                pos = pos.max(child.end_byte());
            }
            if close_at > pos {
                push_src(w, src, pos, close_at);
            }
        }
        "concatenation" => {
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                append_value(child, src, w, depth + 1, too_deep);
            }
        }
        "command_substitution" | "process_substitution" => {
            w.dynamic = true;
            w.substitution = true;
            w.text.push_str(&text_of(node, src));
        }
        "simple_expansion" | "expansion" | "arithmetic_expansion" | "brace_expression" => {
            w.dynamic = true;
            // An expansion may itself hold a substitution (`${x:-$(cmd)}`).
            if contains_kind(node, &["command_substitution", "process_substitution"]) {
                w.substitution = true;
            }
            w.text.push_str(&text_of(node, src));
        }
        _ => {
            if node.child_count() == 0 {
                w.text.push_str(&text_of(node, src));
            } else {
                w.dynamic = true;
                if contains_kind(node, &["command_substitution", "process_substitution"]) {
                    w.substitution = true;
                }
                w.text.push_str(&text_of(node, src));
            }
        }
    }
}

fn push_src(w: &mut Word, src: &[u8], from: usize, to: usize) {
    if let Some(b) = src.get(from..to) {
        w.text.push_str(&String::from_utf8_lossy(b));
    }
}

/// True when a descendant of `node` (bounded walk) has one of `kinds`.
pub(super) fn contains_kind(node: Node<'_>, kinds: &[&str]) -> bool {
    let mut stack = vec![node];
    let mut seen = 0usize;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 100_000 {
            return true;
        }
        if kinds.contains(&n.kind()) {
            return true;
        }
        let mut cursor = n.walk();
        for c in n.children(&mut cursor) {
            stack.push(c);
        }
    }
    false
}

/// Removes backslash escapes from an unquoted word (`\r\m` → `rm`, `\;` → `;`).
fn unescape_bare(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') => {}
                Some(n) => out.push(n),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes the escapes valid inside double quotes (`\"`, `\\`, `\$`, `` \` ``, newline).
fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"') | Some('\\') | Some('$') | Some('`') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes the common escapes of `$'…'` (also those `printf` and `echo -e` interpret).
pub fn unescape_ansi_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('e') | Some('E') => out.push('\u{1b}'),
            Some('a') => out.push('\u{7}'),
            Some(d @ '0'..='7') => {
                // Octal: up to three digits (`\162` is `r`).
                let mut v = d.to_digit(8).unwrap_or(0);
                let mut n = 1;
                while n < 3 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('?'));
            }
            Some('x') => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('?'));
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Quotes a word for display so that re-parsing yields the same single word.
pub fn quote_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-' | '^'
                )
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Resolves a program word to the name rules match on: basename, leading `\` removed,
/// lower-cased (`/usr/bin/RM` → `rm`). Windows `.exe` suffixes are dropped.
pub fn resolve_program(text: &str) -> String {
    let t = text.trim_start_matches('\\');
    let base = t.rsplit(['/', '\\']).next().unwrap_or(t);
    let lower = base.to_lowercase();
    lower
        .strip_suffix(".exe")
        .map(str::to_string)
        .unwrap_or(lower)
}

/// Directories whose programs only an administrator can replace: a program named by a path
/// into one of them is that program (`/usr/bin/git` is git).
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/opt/homebrew/bin",
    "/opt/homebrew/sbin",
    "/run/current-system/sw/bin",
];

/// True when a program word names a file by its path rather than a program looked up on
/// `PATH`: `./git`, `bin/git`, `/tmp/x/git`, `node_modules/.bin/eslint`. Such a file is
/// whatever a repository or a download shipped under that name, so it is not the program its
/// base name says. A path into a system directory (`/usr/bin/git`) is not such a file.
pub fn runs_by_path(text: &str) -> bool {
    let t = text.trim_start_matches('\\');
    let Some((dir, _)) = t.rsplit_once('/') else {
        return false;
    };
    let dir = if dir.is_empty() { "/" } else { dir };
    !SYSTEM_BIN_DIRS.contains(&dir)
}

/// The text `echo` or `printf` prints for these arguments, with the escapes they interpret
/// decoded (`printf '\x72m'`, `echo -e '\162m'` print `rm`): obfuscated command text piped
/// to a shell is judged as what the shell reads.
pub(super) fn printed_text(prog: &str, args: &[&str]) -> String {
    if prog == "printf" {
        let Some((fmt, rest)) = args.split_first() else {
            return String::new();
        };
        // `printf '%s' text…` prints its arguments; any other format is printed decoded,
        // followed by the arguments (approximate, never narrower than what runs).
        let decoded = unescape_ansi_c(fmt);
        let body = decoded.replace("%s", "").replace("%b", "");
        let mut out = body.trim().to_string();
        for a in rest {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&unescape_ansi_c(a));
        }
        return out;
    }
    let mut interpret = false;
    let mut words = Vec::new();
    let mut flags = true;
    for a in args {
        if flags && a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)) {
            interpret |= a.contains('e');
            continue;
        }
        flags = false;
        words.push(if interpret {
            unescape_ansi_c(a)
        } else {
            (*a).to_string()
        });
    }
    words.join(" ")
}
