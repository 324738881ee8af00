//! Secrets in motion: a credential-shaped value (a known token prefix, a cloud key id, a
//! private key, a long random value after `key=`/`token=`/`password=`) in a URL or in the
//! arguments of a program that sends them over the network. Printing one stays as it was.

use super::table::{CREDENTIAL_PREFIXES, NETWORK_SENDERS, PRIVATE_KEY_MARK, SECRET_KEYS};
use super::verbs::is_in;
use crate::request::RiskTier;
use crate::risk::judge::Judge;
use crate::shell::SimpleCommand;

/// Texts longer than this are not searched (a payload that long is judged elsewhere).
const MAX_SCAN: usize = 8192;

/// Raises a command that sends a credential-shaped value over the network: anywhere in the
/// arguments of a network client, in a URL, or as the value of a secret-naming option of any
/// other program (`netlify deploy --auth ghp_…`: a CLI hands it to its service), where only a
/// known token shape counts.
pub(super) fn judge(cmd: &SimpleCommand, prog: &str, j: &mut Judge) {
    if super::super::readonly::is_read_only(prog) || super::super::args::data_args(prog) {
        return;
    }
    let sender = is_in(NETWORK_SENDERS, prog);
    let mut after_secret_option = false;
    for w in cmd.args() {
        let t = w.text.as_str();
        let option_value = secret_option_value(t);
        let kind = if sender || t.contains("://") {
            credential_shape(t)
        } else if after_secret_option {
            prefixed(t)
        } else {
            option_value.and_then(prefixed)
        };
        after_secret_option =
            t.starts_with('-') && option_value.is_none() && names_secret(t.trim_start_matches('-'));
        if let Some(kind) = kind {
            j.raise(
                RiskTier::High,
                "secret_in_transit",
                &format!("sends a credential ({kind}) over the network in the command line"),
            );
            j.no_pattern = true;
            return;
        }
    }
}

/// The value of `--token=…`-like options (a secret-naming option with `=`).
fn secret_option_value(t: &str) -> Option<&str> {
    let (k, v) = t.split_once('=')?;
    (k.starts_with('-') && names_secret(k.trim_start_matches('-'))).then_some(v)
}

/// The kind of credential `s` holds, if it holds one.
pub(in crate::risk) fn credential_shape(s: &str) -> Option<&'static str> {
    if s.len() < 16 || s.len() > MAX_SCAN {
        return None;
    }
    if let Some(k) = prefixed(s) {
        return Some(k);
    }
    if s.len() >= PRIVATE_KEY_MARK.len() && s.to_ascii_lowercase().contains(PRIVATE_KEY_MARK) {
        return Some("a private key");
    }
    keyed(s)
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A token with a known prefix, at a word boundary, long enough, with letters and digits.
fn prefixed(s: &str) -> Option<&'static str> {
    let bytes = s.as_bytes();
    for &(prefix, min) in CREDENTIAL_PREFIXES {
        let cloud_id = prefix == "akia" || prefix == "asia";
        let mut from = 0;
        while let Some(pos) = find(bytes, prefix.as_bytes(), from, cloud_id) {
            from = pos + 1;
            if pos > 0
                && bytes
                    .get(pos - 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric())
            {
                continue;
            }
            let tail = &bytes[pos + prefix.len()..];
            let len = if cloud_id {
                tail.iter()
                    .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    .count()
            } else {
                tail.iter().take_while(|b| token_byte(**b)).count()
            };
            let tail = &tail[..len];
            if len >= min
                && tail.iter().any(u8::is_ascii_digit)
                && tail.iter().any(u8::is_ascii_alphabetic)
            {
                return Some(if cloud_id {
                    "a cloud access key id"
                } else {
                    "a token with a known prefix"
                });
            }
        }
    }
    None
}

/// Finds `needle` in `hay` from `from`: exact bytes, or upper case for cloud key ids.
fn find(hay: &[u8], needle: &[u8], from: usize, upper: bool) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| {
        hay[i..i + needle.len()].iter().zip(needle).all(|(h, n)| {
            if upper {
                *h == n.to_ascii_uppercase()
            } else {
                h == n
            }
        })
    })
}

/// A long random value after a secret-naming key (`token=…`, `api_key=…`, `password: …`,
/// `Authorization: Bearer …`).
fn keyed(s: &str) -> Option<&'static str> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'=' && b != b':' {
            continue;
        }
        // The key: the run of name characters before the separator.
        let start = bytes[..i]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
            .map_or(0, |p| p + 1);
        let key = &s[start..i];
        if key.is_empty() || !names_secret(key) {
            continue;
        }
        let mut rest = s[i + 1..].trim_start();
        for scheme in ["Bearer ", "bearer ", "Basic ", "token ", "Token "] {
            if let Some(r) = rest.strip_prefix(scheme) {
                rest = r.trim_start();
            }
        }
        let value: &str = rest
            .split(|c: char| c.is_whitespace() || matches!(c, '&' | '\'' | '"' | ';' | ','))
            .next()
            .unwrap_or("");
        if looks_random(value) {
            return Some("a secret value");
        }
    }
    None
}

/// True when a key names a secret (`token`, `access_token`, `x-api-key`, `db_password`).
fn names_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower == "authorization"
        || SECRET_KEYS.iter().any(|k| {
            lower == *k
                || (lower.ends_with(k) && lower[..lower.len() - k.len()].ends_with(['_', '-', '.']))
                || (lower.ends_with(k) && lower.len() > k.len() && k.len() >= 5)
        })
}

/// A value of at least 16 characters with no expansion, mixing at least three character
/// classes, or 24 and more letters and digits.
fn looks_random(v: &str) -> bool {
    if v.len() < 16 || v.contains(['$', '<', '>', '{', '}', '*']) {
        return false;
    }
    let lower = v.bytes().any(|b| b.is_ascii_lowercase());
    let upper = v.bytes().any(|b| b.is_ascii_uppercase());
    let digit = v.bytes().any(|b| b.is_ascii_digit());
    let other = v.bytes().any(|b| !b.is_ascii_alphanumeric());
    let classes = [lower, upper, digit, other].iter().filter(|x| **x).count();
    classes >= 3 || (v.len() >= 24 && digit && (lower || upper))
}
