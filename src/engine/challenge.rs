//! HMAC challenges: proof that a non-allow verdict was really issued for one exact request,
//! so a decision recorded with it (HTTP `record`, `aiperture approve --challenge`) is bound to
//! that request.
//!
//! The MAC is HMAC-SHA256 with the install key over a length-prefixed encoding of every bound
//! field (no delimiter ambiguity): version, tool, action, scope, project, session, content hash,
//! the verdict's decision, the integer issue time (seconds) and a random nonce. The token is
//! `v1.<decision>.<issued_at>.<nonce>.<mac>`. Verification checks expiry, recomputes the MAC
//! and compares in constant time; the caller consumes the nonce in the same transaction.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The fields a challenge binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound<'a> {
    /// Tool.
    pub tool: &'a str,
    /// Action.
    pub action: &'a str,
    /// Exact scope.
    pub scope: &'a str,
    /// Project.
    pub project: &'a str,
    /// Session key.
    pub session: &'a str,
    /// Content hash (`""` for none).
    pub content_hash: &'a str,
}

/// A parsed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The verdict decision it was issued for (`ask` or `deny`).
    pub decision: String,
    /// Issue time, seconds since the epoch.
    pub issued_at: i64,
    /// 32 hex characters.
    pub nonce: String,
    /// 64 hex characters.
    pub mac: String,
}

/// Why a challenge failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not a token.
    Malformed,
    /// Older than the TTL (or issued in the future).
    Expired,
    /// The MAC does not match these fields.
    Forged,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Invalid::Malformed => "malformed challenge",
            Invalid::Expired => "challenge expired",
            Invalid::Forged => "challenge does not match this request",
        })
    }
}

fn mac_of(key: &[u8; 32], b: &Bound<'_>, decision: &str, issued_at: i64, nonce: &str) -> Vec<u8> {
    // A fixed-size key is always accepted by HMAC; fall back to an empty MAC otherwise.
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    let issued = issued_at.to_string();
    for field in [
        "aiperture-challenge-v1",
        b.tool,
        b.action,
        b.scope,
        b.project,
        b.session,
        b.content_hash,
        decision,
        issued.as_str(),
        nonce,
    ] {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field.as_bytes());
    }
    m.finalize().into_bytes().to_vec()
}

/// Issues a token for a verdict `decision` on the bound request.
pub fn issue(
    key: &[u8; 32],
    b: &Bound<'_>,
    decision: &str,
    now_ms: i64,
    nonce: &[u8; 16],
) -> String {
    let issued_at = now_ms.div_euclid(1000);
    let nonce = hex::encode(nonce);
    let mac = hex::encode(mac_of(key, b, decision, issued_at, &nonce));
    format!("v1.{decision}.{issued_at}.{nonce}.{mac}")
}

/// Parses a token's parts.
pub fn parse(token: &str) -> Result<Token, Invalid> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [v, decision, issued, nonce, mac] = parts.as_slice() else {
        return Err(Invalid::Malformed);
    };
    let hexy = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    if *v != "v1" || !matches!(*decision, "ask" | "deny") || !hexy(nonce, 32) || !hexy(mac, 64) {
        return Err(Invalid::Malformed);
    }
    let issued_at = issued.parse::<i64>().map_err(|_| Invalid::Malformed)?;
    Ok(Token {
        decision: decision.to_string(),
        issued_at,
        nonce: nonce.to_string(),
        mac: mac.to_ascii_lowercase(),
    })
}

/// Verifies a token against the request it is used for. Does not consume the nonce.
pub fn verify(
    key: &[u8; 32],
    token: &str,
    b: &Bound<'_>,
    now_ms: i64,
    ttl_seconds: i64,
) -> Result<Token, Invalid> {
    let t = parse(token)?;
    let now = now_ms.div_euclid(1000);
    if now - t.issued_at > ttl_seconds || t.issued_at > now + 60 {
        return Err(Invalid::Expired);
    }
    let expected = mac_of(key, b, &t.decision, t.issued_at, &t.nonce);
    let given = hex::decode(&t.mac).map_err(|_| Invalid::Malformed)?;
    if !constant_time_eq(&expected, &given) {
        return Err(Invalid::Forged);
    }
    Ok(t)
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const NOW: i64 = 1_772_366_400_000;

    fn bound<'a>(scope: &'a str, project: &'a str) -> Bound<'a> {
        Bound {
            tool: "shell",
            action: "execute",
            scope,
            project,
            session: "s1",
            content_hash: "",
        }
    }

    #[test]
    fn verifies_only_the_request_it_was_issued_for() {
        let t = issue(&KEY, &bound("npm test", "/p"), "ask", NOW, &[1; 16]);
        assert!(verify(&KEY, &t, &bound("npm test", "/p"), NOW + 5_000, 3600).is_ok());
        assert_eq!(
            verify(&KEY, &t, &bound("npm test x", "/p"), NOW, 3600),
            Err(Invalid::Forged)
        );
        assert_eq!(
            verify(&KEY, &t, &bound("npm test", "/q"), NOW, 3600),
            Err(Invalid::Forged)
        );
        assert_eq!(
            verify(&[8; 32], &t, &bound("npm test", "/p"), NOW, 3600),
            Err(Invalid::Forged)
        );
    }

    #[test]
    fn fields_cannot_be_shifted_across_boundaries() {
        let t = issue(&KEY, &bound("ls|x", "y"), "ask", NOW, &[2; 16]);
        assert_eq!(
            verify(&KEY, &t, &bound("ls", "x|y"), NOW, 3600),
            Err(Invalid::Forged)
        );
    }

    #[test]
    fn expires_and_rejects_tampering() {
        let t = issue(&KEY, &bound("npm test", "/p"), "ask", NOW, &[3; 16]);
        assert_eq!(
            verify(&KEY, &t, &bound("npm test", "/p"), NOW + 3_601_000, 3600),
            Err(Invalid::Expired)
        );
        let flipped = t.replacen(".ask.", ".deny.", 1);
        assert_eq!(
            verify(&KEY, &flipped, &bound("npm test", "/p"), NOW, 3600),
            Err(Invalid::Forged)
        );
        let later = t.replacen(
            &format!(".{}.", NOW / 1000),
            &format!(".{}.", NOW / 1000 + 10),
            1,
        );
        assert_eq!(
            verify(&KEY, &later, &bound("npm test", "/p"), NOW, 3600),
            Err(Invalid::Forged)
        );
        assert_eq!(
            verify(&KEY, "garbage", &bound("npm test", "/p"), NOW, 3600),
            Err(Invalid::Malformed)
        );
    }
}
