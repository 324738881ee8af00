//! The API key: where it comes from, and the bearer check every route but `/health` passes.
//!
//! The key is `AIPERTURE_API_KEY` (or `api_key` in the config file) when set; otherwise the
//! file `api_key` in `AIPERTURE_HOME`: 32 random bytes as 64 hex characters, mode 0600,
//! created once under the home's key lock (a temporary file renamed into place, so two
//! servers starting at once end up with the same key). Comparison is in constant time: both
//! sides are hashed with SHA-256 and the digests compared with no early exit, so neither the
//! key's length nor its prefix leaks through timing.

use super::error::ApiError;
use crate::config::Settings;
use crate::paths::Paths;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// The file name of the generated key in `AIPERTURE_HOME`.
pub const KEY_FILE: &str = "api_key";

/// Routes answered without a key.
const OPEN_ROUTES: &[&str] = &["/health"];

/// The generated key's file.
pub fn key_file(paths: &Paths) -> PathBuf {
    paths.home.join(KEY_FILE)
}

/// Whether a key is configured before this server generates one: set in the settings
/// (`AIPERTURE_API_KEY`, the config file) or already in the key file.
pub fn configured(paths: &Paths, settings: &Settings) -> bool {
    !settings.api_key.trim().is_empty() || key_file(paths).is_file()
}

/// The server's API key: the settings' when set, else the key file's (created if missing).
pub fn load_or_create(paths: &Paths, settings: &Settings) -> anyhow::Result<ApiKey> {
    let set = settings.api_key.trim();
    if !set.is_empty() {
        return Ok(ApiKey::new(set));
    }
    let raw = crate::key::load_or_create(&key_file(paths))?;
    Ok(ApiKey::new(&hex::encode(raw)))
}

/// An API key, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

impl ApiKey {
    /// The key whose text is `key`.
    pub fn new(key: &str) -> Self {
        ApiKey {
            digest: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// Whether `presented` is the key, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let diff = self
            .digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware: every route but `/health` needs the key; 401 with the JSON error otherwise.
pub async fn require_key(State(key): State<Arc<ApiKey>>, req: Request, next: Next) -> Response {
    if OPEN_ROUTES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    match bearer(&req) {
        Some(token) if key.matches(token) => next.run(req).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> Request {
        Request::builder()
            .header(header::AUTHORIZATION, value)
            .body(axum::body::Body::empty())
            .unwrap_or_default()
    }

    #[test]
    fn only_the_exact_key_matches() {
        let k = ApiKey::new("abc123");
        assert!(k.matches("abc123"));
        for wrong in ["", "abc12", "abc1234", "ABC123", "abc124"] {
            assert!(!k.matches(wrong), "{wrong}");
        }
        assert_eq!(format!("{k:?}"), "ApiKey(..)");
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer(&with_auth("Bearer k1")), Some("k1"));
        assert_eq!(bearer(&with_auth("bearer  k1 ")), Some("k1"));
        assert_eq!(bearer(&with_auth("Basic k1")), None);
        assert_eq!(bearer(&with_auth("Bearer ")), None);
        assert_eq!(bearer(&with_auth("Bearerk1")), None);
    }

    #[test]
    fn the_key_comes_from_the_settings_or_a_generated_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths::at(dir.path(), &dir.path().join("a.db"));
        let mut settings = Settings::default();
        assert!(!configured(&paths, &settings));
        let k = load_or_create(&paths, &settings).unwrap_or_else(|e| panic!("{e:#}"));
        let text = std::fs::read_to_string(key_file(&paths)).unwrap_or_default();
        assert_eq!(text.len(), 64);
        assert!(k.matches(&text));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_file(&paths)).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        assert!(configured(&paths, &settings));
        // A second load reads the same file.
        let again = load_or_create(&paths, &settings).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(again.matches(&text));
        settings.api_key = "from-env".into();
        let k = load_or_create(&paths, &settings).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(k.matches("from-env") && !k.matches(&text));
    }
}
