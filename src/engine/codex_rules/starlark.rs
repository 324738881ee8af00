//! The Starlark subset of Codex rule files: a tokenizer that splits a file into statements
//! (strings with `\\ \" \' \n \t \r` escapes, triple quotes, brackets nested at most
//! [`MAX_DEPTH`] deep, comments) and literal values (strings and lists). Anything it does not
//! know is an error with its line; nothing here panics on any input.

use super::MAX_DEPTH;

/// A token of the Starlark subset.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    /// A number (its value is never needed).
    Num,
    Open(char),
    Close(char),
    Comma,
    /// Any other operator character (`=` included).
    Op(char),
}

/// One statement: its first line, whether it is indented (inside a block), its tokens.
#[derive(Debug)]
pub(super) struct Stmt {
    pub(super) line: usize,
    pub(super) indented: bool,
    pub(super) toks: Vec<Tok>,
}

/// Splits a file into statements; on an error, the statements complete before it and
/// `line: why`.
pub(super) fn statements(text: &str) -> (Vec<Stmt>, Option<(usize, String)>) {
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut stack: Vec<char> = Vec::new();
    let (mut line, mut stmt_line, mut indented) = (1usize, 1usize, false);
    // Whether the current line has shown a token yet, and whether whitespace came first.
    let (mut line_started, mut line_indented) = (false, false);
    let mut it = text.chars().peekable();
    let fail = |out, line, why: &str| (out, Some((line, why.to_string())));
    while let Some(c) = it.next() {
        match c {
            '\n' => {
                line += 1;
                (line_started, line_indented) = (false, false);
                if stack.is_empty() && !cur.is_empty() {
                    out.push(Stmt {
                        line: stmt_line,
                        indented,
                        toks: std::mem::take(&mut cur),
                    });
                }
                continue;
            }
            ' ' | '\t' | '\r' => {
                line_indented |= !line_started;
                continue;
            }
            _ => line_started = true,
        }
        if c == '#' {
            while it.peek().is_some_and(|&n| n != '\n') {
                it.next();
            }
            continue;
        }
        if cur.is_empty() && stack.is_empty() && c != ';' {
            stmt_line = line;
            indented = line_indented;
        }
        match c {
            ';' if stack.is_empty() => {
                if !cur.is_empty() {
                    out.push(Stmt {
                        line: stmt_line,
                        indented,
                        toks: std::mem::take(&mut cur),
                    });
                }
            }
            '"' | '\'' => match string(c, &mut it, &mut line) {
                Ok(s) => cur.push(Tok::Str(s)),
                Err(why) => return fail(out, line, why),
            },
            '(' | '[' | '{' => {
                if stack.len() >= MAX_DEPTH {
                    return fail(out, line, "brackets nested too deeply");
                }
                stack.push(c);
                cur.push(Tok::Open(c));
            }
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(want) {
                    return fail(out, line, "unbalanced bracket");
                }
                cur.push(Tok::Close(c));
            }
            ',' => cur.push(Tok::Comma),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(&n) = it
                    .peek()
                    .filter(|n| n.is_ascii_alphanumeric() || **n == '_')
                {
                    s.push(n);
                    it.next();
                }
                cur.push(Tok::Ident(s));
            }
            c if c.is_ascii_digit() => {
                while it
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || matches!(n, '.' | '_'))
                {
                    it.next();
                }
                cur.push(Tok::Num);
            }
            '=' | '.' | ':' | '+' | '-' | '*' | '/' | '%' | '<' | '>' | '!' | '|' | '&' | '^'
            | '~' | '@' => cur.push(Tok::Op(c)),
            _ => return fail(out, line, "unexpected character"),
        }
    }
    if !stack.is_empty() {
        return fail(out, line, "unclosed bracket");
    }
    if !cur.is_empty() {
        out.push(Stmt {
            line: stmt_line,
            indented,
            toks: cur,
        });
    }
    (out, None)
}

/// A string literal after its opening quote (`"…"`, `'…'`, or tripled): `\\ \" \' \n \t \r`
/// escapes only; a raw line break only in a triple-quoted string.
fn string(
    q: char,
    it: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line: &mut usize,
) -> Result<String, &'static str> {
    let mut triple = false;
    if it.peek() == Some(&q) {
        it.next();
        if it.peek() != Some(&q) {
            return Ok(String::new());
        }
        it.next();
        triple = true;
    }
    let mut s = String::new();
    loop {
        let Some(c) = it.next() else {
            return Err("unterminated string");
        };
        match c {
            '\\' => match it.next() {
                Some('\\') => s.push('\\'),
                Some('"') => s.push('"'),
                Some('\'') => s.push('\''),
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('r') => s.push('\r'),
                _ => return Err("unsupported escape in a string"),
            },
            '\n' if !triple => return Err("unterminated string"),
            '\n' => {
                *line += 1;
                s.push('\n');
            }
            c if c == q && !triple => return Ok(s),
            c if c == q => {
                let mut rest = it.clone();
                if rest.next() == Some(q) && rest.next() == Some(q) {
                    it.next();
                    it.next();
                    return Ok(s);
                }
                s.push(c);
            }
            c => s.push(c),
        }
    }
}

/// A literal argument value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Str(String),
    List(Vec<Lit>),
}

/// Parses one literal filling `toks` exactly.
pub(super) fn literal(toks: &[Tok]) -> Option<Lit> {
    let (v, rest) = literal_prefix(toks)?;
    rest.is_empty().then_some(v)
}

fn literal_prefix(toks: &[Tok]) -> Option<(Lit, &[Tok])> {
    match toks.split_first()? {
        (Tok::Str(s), rest) => Some((Lit::Str(s.clone()), rest)),
        (Tok::Open('['), mut rest) => {
            let mut items = Vec::new();
            loop {
                if let Some((Tok::Close(']'), r)) = rest.split_first() {
                    return Some((Lit::List(items), r));
                }
                let (v, r) = literal_prefix(rest)?;
                items.push(v);
                rest = match r.split_first()? {
                    (Tok::Comma, r) => r,
                    (Tok::Close(']'), _) => r,
                    _ => return None,
                };
            }
        }
        _ => None,
    }
}
