//! Escaping of store text for the renderers. Commands, paths and session ids are written by
//! agents (attacker-controlled): every such string goes through one of these.

/// Escapes text for HTML and SVG content and attribute values (`& < > " '`), and replaces
/// control characters (which XML forbids) with U+FFFD.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or line: Markdown punctuation is backslash-escaped,
/// HTML-significant characters become entities (GitHub renders inline HTML), line breaks and
/// control characters become spaces.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' | '(' | ')' | '{' | '}'
            | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Shortens text to at most `max` characters (ending in `…` when cut).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
        assert_eq!(html("a\u{0}b\nc"), "a\u{fffd}b c");
    }

    #[test]
    fn md_escapes_tables_code_and_html() {
        assert_eq!(md("a|b`c<img>"), "a\\|b\\`c&lt;img&gt;");
        assert_eq!(md("x\ny"), "x y");
        assert_eq!(md("[l](javascript:x)"), "\\[l\\]\\(javascript:x\\)");
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("héllo", 3), "hé…");
    }
}
