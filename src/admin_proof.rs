//! The admin challenge: the one verifier, nonce store and MAC format behind every admin act
//! (the CLI's `grant`, `revoke`, `config set`… in `src/cli/human.rs`, and the server's
//! `POST /permissions/grant`, `POST /permissions/revoke`, `PATCH /config`).
//!
//! A challenge is `a1.<unix seconds>.<32 hex nonce>.<64 hex HMAC-SHA256>` with the install
//! key, the MAC over `aiperture-admin-v1`, the seconds, the nonce and the act's arguments,
//! joined by NUL bytes. On the CLI the arguments are the command line after the program name;
//! over HTTP they are [`http_args`]: `http`, the method, the path and the SHA-256 (hex) of the
//! exact body bytes. It is valid for `challenge_ttl_seconds` of wall-clock time and once: its
//! nonce is consumed in `$AIPERTURE_HOME/admin-nonces` under the home's lock.

use crate::atomic;
use crate::config::Settings;
use crate::engine::challenge::constant_time_eq;
use crate::key;
use crate::paths::{Paths, io_problem};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The MAC's domain separator (the first field).
pub const DOMAIN: &str = "aiperture-admin-v1";

/// The name of the file of used nonces, in the home.
pub const NONCE_FILE: &str = "admin-nonces";

/// The MAC of an admin challenge for `args` issued at `issued_at` with `nonce` (hex).
pub fn mac(key: &[u8; key::KEY_LEN], issued_at: i64, nonce: &str, args: &[String]) -> Vec<u8> {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    m.update(DOMAIN.as_bytes());
    m.update(b"\0");
    m.update(issued_at.to_string().as_bytes());
    m.update(b"\0");
    m.update(nonce.as_bytes());
    for a in args {
        m.update(b"\0");
        m.update(a.as_bytes());
    }
    m.finalize().into_bytes().to_vec()
}

/// A challenge for `args` (scripts make one with openssl, see docs/security.md).
pub fn sign(key: &[u8; key::KEY_LEN], issued_at: i64, nonce: &[u8; 16], args: &[String]) -> String {
    let nonce = hex::encode(nonce);
    let mac = hex::encode(mac(key, issued_at, &nonce, args));
    format!("a1.{issued_at}.{nonce}.{mac}")
}

/// The arguments an HTTP admin act is signed over: `http`, the method (upper case), the path
/// (without the query) and the SHA-256 of the exact body bytes, in lower-case hex.
pub fn http_args(method: &str, path: &str, body: &[u8]) -> Vec<String> {
    vec![
        "http".to_string(),
        method.to_ascii_uppercase(),
        path.to_string(),
        hex::encode(Sha256::digest(body)),
    ]
}

/// True for the form of an admin challenge (`a1.<seconds>.<32 hex>.<64 hex>`).
pub fn token_form(token: &str) -> bool {
    let hexy = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    let p: Vec<&str> = token.split('.').collect();
    p.len() == 4
        && p[0] == "a1"
        && !p[1].is_empty()
        && p[1].len() <= 20
        && p[1].bytes().all(|b| b.is_ascii_digit())
        && hexy(p[2], 32)
        && hexy(p[3], 64)
}

/// Why a challenge was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a token of this form.
    Malformed,
    /// Older than the TTL, or issued more than a minute in the future.
    Expired,
    /// Not signed with this key for these arguments.
    Forged,
    /// Its nonce was used already.
    Used,
}

impl Refused {
    /// What the refusal says about the challenge ("the admin challenge … is {why}").
    pub fn why(&self) -> &'static str {
        match self {
            Refused::Malformed => "malformed",
            Refused::Expired => "expired",
            Refused::Forged => "not signed with the install key for exactly this act",
            Refused::Used => "already used",
        }
    }
}

/// Checks a token's form, age and MAC against `args` (not its nonce's use); the nonce
/// (lower-case hex) when it holds.
pub fn check(
    key: &[u8; key::KEY_LEN],
    token: &str,
    args: &[String],
    now_s: i64,
    ttl_s: i64,
) -> Result<String, Refused> {
    if !token_form(token) {
        return Err(Refused::Malformed);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [_, issued, nonce, mac_hex] = parts.as_slice() else {
        return Err(Refused::Malformed);
    };
    let issued_at: i64 = issued.parse().map_err(|_| Refused::Malformed)?;
    if now_s.saturating_sub(issued_at) > ttl_s || issued_at > now_s.saturating_add(60) {
        return Err(Refused::Expired);
    }
    let given = hex::decode(mac_hex).map_err(|_| Refused::Malformed)?;
    let nonce = nonce.to_ascii_lowercase();
    if !constant_time_eq(&mac(key, issued_at, &nonce, args), &given) {
        return Err(Refused::Forged);
    }
    Ok(nonce)
}

/// Why [`verify`] refused.
#[derive(Debug)]
pub enum VerifyError {
    /// The challenge does not hold (a refusal to the caller: 403 over HTTP).
    Refused(Refused),
    /// It could not be checked (no key, unreadable settings or nonce file): fail closed.
    Unavailable(anyhow::Error),
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::Refused(r) => write!(f, "the admin challenge is {}", r.why()),
            VerifyError::Unavailable(e) => {
                write!(f, "the admin challenge cannot be checked: {e:#}")
            }
        }
    }
}

/// Wall-clock seconds: a challenge is about the real world, not the gate's (test) clock.
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Verifies `token` for `args` with the install key and the home's `challenge_ttl_seconds`,
/// and consumes its nonce. Nothing is consumed when it does not hold.
pub fn verify(paths: &Paths, token: &str, args: &[String]) -> Result<(), VerifyError> {
    let k = key::load_existing(paths)
        .map_err(VerifyError::Unavailable)?
        .ok_or_else(|| {
            VerifyError::Unavailable(anyhow::anyhow!("there is no install key to check it with"))
        })?;
    let ttl = i64::from(
        Settings::load(paths)
            .map_err(VerifyError::Unavailable)?
            .challenge_ttl_seconds,
    );
    let now = now_s();
    let nonce = check(&k, token, args, now, ttl).map_err(VerifyError::Refused)?;
    let fresh =
        consume_nonce(paths, &nonce, now, now - ttl - 120).map_err(VerifyError::Unavailable)?;
    if !fresh {
        return Err(VerifyError::Refused(Refused::Used));
    }
    Ok(())
}

/// Records `nonce` as used in `$AIPERTURE_HOME/admin-nonces` (one `nonce seconds` line each,
/// those issued before `prune_before` dropped), under the home's lock; `false` when it was
/// used already. Kept beside the key, not in the store, so an admin act on a broken store
/// (the case a human most needs to fix) still works.
pub fn consume_nonce(
    paths: &Paths,
    nonce: &str,
    now_s: i64,
    prune_before: i64,
) -> anyhow::Result<bool> {
    let file = paths.home.join(NONCE_FILE);
    let _lock = atomic::lock(&file)
        .map_err(|e| anyhow::anyhow!("{}: cannot lock: {}", file.display(), io_problem(&e)))?;
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => anyhow::bail!("{}: cannot read: {}", file.display(), io_problem(&e)),
    };
    let mut kept = String::new();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(n), Some(t)) = (it.next(), it.next().and_then(|t| t.parse::<i64>().ok())) else {
            continue;
        };
        if n == nonce {
            return Ok(false);
        }
        if t >= prune_before {
            kept.push_str(&format!("{n} {t}\n"));
        }
    }
    kept.push_str(&format!("{nonce} {now_s}\n"));
    atomic::replace(&file, kept.as_bytes(), 0o600)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {}", file.display(), io_problem(&e)))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_challenge_holds_only_for_its_arguments_key_and_time() {
        let a = args(&["grant", "--scope", "npm test"]);
        let t = sign(&KEY, 1_000, &[1; 16], &a);
        assert!(check(&KEY, &t, &a, 1_010, 300).is_ok());
        assert_eq!(
            check(
                &KEY,
                &t,
                &args(&["grant", "--scope", "npm test *"]),
                1_010,
                300
            ),
            Err(Refused::Forged)
        );
        // Arguments cannot be shifted across a boundary.
        assert_eq!(
            check(
                &KEY,
                &t,
                &args(&["grant", "--scope npm", "test"]),
                1_010,
                300
            ),
            Err(Refused::Forged)
        );
        assert_eq!(check(&[8; 32], &t, &a, 1_010, 300), Err(Refused::Forged));
        assert_eq!(check(&KEY, &t, &a, 1_301, 300), Err(Refused::Expired));
        assert_eq!(check(&KEY, &t, &a, 900, 300), Err(Refused::Expired));
        assert_eq!(check(&KEY, "a1.x", &a, 1_000, 300), Err(Refused::Malformed));
        let later = t.replacen("a1.1000.", "a1.1001.", 1);
        assert_eq!(check(&KEY, &later, &a, 1_010, 300), Err(Refused::Forged));
    }

    #[test]
    fn an_http_challenge_is_bound_to_method_path_and_exact_body() {
        let body = br#"{"scope":"npm test"}"#;
        let a = http_args("post", "/permissions/grant", body);
        assert_eq!(a[1], "POST");
        assert_eq!(a[3].len(), 64);
        let t = sign(&KEY, 1_000, &[2; 16], &a);
        assert!(check(&KEY, &t, &a, 1_000, 300).is_ok());
        for other in [
            http_args("POST", "/permissions/revoke", body),
            http_args("PATCH", "/permissions/grant", body),
            http_args("POST", "/permissions/grant", br#"{"scope":"npm test *"}"#),
            http_args("POST", "/permissions/grant", br#"{"scope": "npm test"}"#),
        ] {
            assert_eq!(check(&KEY, &t, &other, 1_000, 300), Err(Refused::Forged));
        }
        // A CLI challenge for the same words is not an HTTP one.
        assert_eq!(check(&KEY, &t, &a[1..], 1_000, 300), Err(Refused::Forged));
    }

    #[test]
    fn the_form_check_takes_only_the_token_form() {
        let good = format!("a1.1000.{}.{}", "a".repeat(32), "0".repeat(64));
        assert!(token_form(&good));
        assert!(!token_form(&good.replacen("a1", "v1", 1)));
        assert!(!token_form(&format!("{good}.x")));
        assert!(!token_form("a1..00.00"));
        assert!(!token_form(""));
    }

    #[test]
    fn a_nonce_is_consumed_once_and_old_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path(), &dir.path().join("db"));
        assert!(consume_nonce(&paths, "aa", 100, 0).unwrap());
        assert!(!consume_nonce(&paths, "aa", 101, 0).unwrap());
        assert!(consume_nonce(&paths, "bb", 500, 200).unwrap());
        // `aa` (100) was pruned when `bb` was written.
        let text = std::fs::read_to_string(dir.path().join(NONCE_FILE)).unwrap();
        assert_eq!(text, "bb 500\n");
    }
}
