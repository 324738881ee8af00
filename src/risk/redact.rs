//! Redaction for display: credentials in a command or target are replaced by `[REDACTED]`
//! before a report or `audit list` shows it. What counts as a credential is exactly what the
//! classifier's `secret_in_transit` rule detects (`grammar::credential_shape`: a known token
//! prefix such as `ghp_`/`sk-ant-`/`AKIA`, a private key, a long random value after
//! `token=`/`password:`/`Authorization: Bearer`), plus the password of a URL's
//! `user:password@` (its `url_userinfo` rule), so the two never disagree. The stored
//! text (and the audit chain) keeps the original; only what is shown is redacted.

use std::borrow::Cow;

/// What a credential is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// `text` with every whitespace-separated word that holds a credential redacted: the value
/// after a `key=` (or a URL's `user:password@`) is replaced, or the whole word. A key and
/// value split over words (`Authorization: Bearer TOKEN`, `password: VALUE`) redact the value.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    // Words with their byte offsets, quotes around them ignored.
    let words: Vec<(usize, &str)> = split_words(text);
    let mut hits: Vec<usize> = Vec::new();
    for (i, (_, w)) in words.iter().enumerate() {
        let bare = unquote(w);
        if super::grammar::credential_shape(bare).is_some() || url_password(bare) {
            hits.push(i);
            continue;
        }
        // The value of a key in an earlier word: only when the earlier words alone hold none.
        for back in 1..=2 {
            let Some(first) = i.checked_sub(back) else {
                break;
            };
            let joined = |to: usize| {
                words[first..=to]
                    .iter()
                    .map(|(_, w)| unquote(w))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if super::grammar::credential_shape(&joined(i)).is_some()
                && super::grammar::credential_shape(&joined(i - 1)).is_none()
            {
                hits.push(i);
                break;
            }
        }
    }
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for i in hits {
        let (start, w) = words[i];
        out.push_str(&text[at..start]);
        out.push_str(&redact_word(w));
        at = start + w.len();
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

fn split_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// A URL whose authority carries `user:password@` (the classifier's `url_userinfo`).
fn url_password(w: &str) -> bool {
    let Some((_, rest)) = w.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
}

fn unquote(w: &str) -> &str {
    w.trim_matches(|c| c == '"' || c == '\'')
}

/// One word with its secret part replaced, its surrounding quotes kept.
fn redact_word(w: &str) -> String {
    let lead = w.len() - w.trim_start_matches(['"', '\'']).len();
    let trail = w.len() - w.trim_end_matches(['"', '\'']).len();
    let inner = &w[lead..w.len().saturating_sub(trail).max(lead)];
    let kept = if let Some((scheme, rest)) = inner.split_once("://")
        && url_password(inner)
        && let Some(at) = rest
            .split(['/', '?', '#'])
            .next()
            .and_then(|a| a.rfind('@'))
    {
        // A URL's user:password@host: keep the user and the host.
        let user = rest[..at].split(':').next().unwrap_or("");
        format!("{scheme}://{user}:{REDACTED}{}", &rest[at..])
    } else if let Some(eq) = inner.find('=') {
        format!("{}{REDACTED}", &inner[..=eq])
    } else {
        REDACTED.to_string()
    };
    format!("{}{kept}{}", &w[..lead], &w[w.len() - trail..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_and_the_rest_kept() {
        let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let r = |s: &str| redact_secrets(s).into_owned();
        assert_eq!(
            r(&format!("git push https://{token}@github.com/o/r")),
            "git push [REDACTED]"
        );
        assert_eq!(
            r(&format!("curl -H 'Authorization: Bearer {token}' x")),
            "curl -H 'Authorization: Bearer [REDACTED]' x"
        );
        assert_eq!(
            r("deploy --api-key=Zx9aQ2mLp0Rt7VbN3cKd8WeY x"),
            "deploy --api-key=[REDACTED] x"
        );
        assert_eq!(
            r("psql postgres://admin:S3cr3t-Passw0rd-Long@db:5432/x"),
            "psql postgres://admin:[REDACTED]@db:5432/x"
        );
        assert_eq!(
            r("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE1"),
            "export AWS_ACCESS_KEY_ID=[REDACTED]"
        );
        // Nothing secret: borrowed, unchanged.
        for plain in [
            "git status",
            "npm run build -- --token",
            "echo password: $PW",
            "",
        ] {
            assert!(matches!(redact_secrets(plain), Cow::Borrowed(_)), "{plain}");
        }
        // The word before a secret key's value is not redacted with it.
        assert_eq!(
            r(&format!("echo token={token} done")),
            "echo token=[REDACTED] done"
        );
    }
}
