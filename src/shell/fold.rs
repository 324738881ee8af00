//! Folding of substitutions that only produce data (`$(echo rm)`, `$(cat <<EOF … EOF)`) and
//! detection of shell code computed or downloaded at run time.

use super::{SimpleCommand, Word};

/// The code text of a word passed to `bash -c` or `eval`: a foldable substitution is
/// replaced by its data; any other substitution makes the code `dynamic` (computed at run
/// time, unknown to us).
pub(super) fn code_text(w: &Word, dynamic: &mut bool) -> String {
    if !w.substitution {
        return w.text.clone();
    }
    match fold_substitution(w) {
        Some(t) => t,
        None => {
            *dynamic = true;
            w.text.clone()
        }
    }
}

/// The text a substitution produces when it is plain data: `$(echo …)`, `$(printf …)`,
/// `` `echo …` ``, `$(cat <<EOF … EOF)`. `None` for anything else.
pub(super) fn fold_substitution(w: &Word) -> Option<String> {
    let raw = w.raw.trim();
    let raw = raw
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(raw);
    let inner = raw
        .strip_prefix("$(")
        .and_then(|x| x.strip_suffix(')'))
        .or_else(|| raw.strip_prefix('`').and_then(|x| x.strip_suffix('`')))?;
    if inner.len() > 8192 || inner.starts_with('(') {
        return None;
    }
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .ok()?;
    // Folding reads one command's program, arguments and input, never its upstream's
    // program: the plain program will do.
    let walked = super::walk::walk(&mut parser, inner, SimpleCommand::program);
    if walked.parse_error || walked.too_deep || walked.commands.len() != 1 {
        return None;
    }
    let c = walked.commands.first()?;
    if c.argv.iter().any(|w| w.dynamic) {
        return None;
    }
    match c.program().as_str() {
        p @ ("echo" | "printf") => {
            let args: Vec<&str> = c.args().iter().map(|w| w.text.as_str()).collect();
            Some(super::words::printed_text(p, &args))
        }
        "cat" if c.args().is_empty() => c.stdin_text.clone(),
        _ => None,
    }
}

/// True when shell text mentions a network download program as a word.
pub(super) fn downloads(raw: &str) -> bool {
    raw.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|t| {
            matches!(
                t,
                "curl" | "wget" | "fetch" | "nc" | "ncat" | "socat" | "xh" | "aria2c"
            )
        })
}
