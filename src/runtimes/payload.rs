//! Shared helpers for reading hook payloads: typed field access that never panics, path
//! resolution against the payload's `cwd`, content hashes and compact canonical JSON.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Why a payload could not be turned into an event. The message is one line for the human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shorthand for a parse failure.
pub fn malformed<T>(msg: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(msg.into()))
}

/// Parses payload bytes as a JSON object: invalid UTF-8, invalid JSON, `null`, arrays and
/// scalars are all refused.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Malformed> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => return malformed("the hook payload is not valid UTF-8"),
    };
    match serde_json::from_str::<Strict>(text).map(|s| s.0) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => malformed("the hook payload is `null`, not a JSON object"),
        Ok(Value::Array(_)) => malformed("the hook payload is a JSON array, not an object"),
        Ok(_) => malformed("the hook payload is a JSON scalar, not an object"),
        Err(e) => malformed(format!("the hook payload is not valid JSON ({e})")),
    }
}

/// A JSON value that refuses an object with the same key twice: serde_json keeps the last,
/// while the tool that runs the call may keep the first, so `{"path":"README.md",
/// "path":"~/.ssh/id_rsa"}` would be judged as one file and act on another.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value without duplicate object keys")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.insert(k.clone(), v).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "the key `{k}` appears twice in one object"
                )));
            }
        }
        Ok(Value::Object(out))
    }
}

/// A string field, `None` when absent or `null`; an error when present with another type.
pub fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Malformed> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => malformed(format!("`{key}` is not a string")),
    }
}

/// A required string field.
pub fn req_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, Malformed> {
    match opt_str(obj, key)? {
        Some(s) => Ok(s),
        None => malformed(format!("`{key}` is missing")),
    }
}

/// A string field, empty when absent.
pub fn str_or_empty<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, Malformed> {
    Ok(opt_str(obj, key)?.unwrap_or(""))
}

/// A required object field.
pub fn req_obj<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Map<String, Value>, Malformed> {
    match obj.get(key) {
        Some(Value::Object(m)) => Ok(m),
        None | Some(Value::Null) => malformed(format!("`{key}` is missing")),
        Some(_) => malformed(format!("`{key}` is not a JSON object")),
    }
}

/// An object field that may also arrive as a JSON-encoded string (Cursor's MCP input,
/// Copilot's `toolArgs`). A string that does not decode to an object is refused.
pub fn obj_or_json_string(
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Map<String, Value>, Malformed> {
    match obj.get(key) {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Strict>(s).map(|v| v.0) {
            Ok(Value::Object(m)) => Ok(m),
            _ => malformed(format!(
                "`{key}` is a string that does not hold a JSON object"
            )),
        },
        None | Some(Value::Null) => malformed(format!("`{key}` is missing")),
        Some(_) => malformed(format!("`{key}` is not a JSON object")),
    }
}

/// SHA-256 of `data` as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 of several strings joined by NUL, so `("ab","c")` and `("a","bc")` differ.
pub fn sha256_parts(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The longest free-form scope (MCP arguments, unknown tools) kept whole; a longer one is
/// shortened for display and carries the SHA-256 of the whole (see [`arguments_scope`]).
pub const MAX_SCOPE_CHARS: usize = 512;

/// How much of a long free-form scope is shown before its hash.
const SHORT_DISPLAY_CHARS: usize = 400;

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((idx, _)) => {
            let mut out = s[..idx].to_string();
            out.push('…');
            out
        }
    }
}

/// Compact canonical JSON (sorted keys, no spaces) of a value, whole.
pub fn canonical_json(v: &Value) -> String {
    // serde_json's default `Map` is a BTreeMap: keys serialize sorted.
    serde_json::to_string(v).unwrap_or_default()
}

/// The scope of free-form arguments given their canonical JSON: the JSON itself when it is
/// at most [`MAX_SCOPE_CHARS`] characters, else its first characters, `… sha256:` and the
/// SHA-256 of the whole. Either way two calls share a scope (and so a session memory entry, a
/// learned key or a pending ask) only when their whole arguments are the same.
pub fn arguments_scope(canonical: &str) -> String {
    if canonical.chars().count() <= MAX_SCOPE_CHARS {
        return canonical.to_string();
    }
    let shown: String = canonical.chars().take(SHORT_DISPLAY_CHARS).collect();
    format!(
        "{shown}{}{}",
        crate::risk::SHORTENED_MARKER,
        sha256_hex(canonical.as_bytes())
    )
}

/// Resolves `path` against `cwd` with [`crate::pathnorm::resolve`] (`.` and `..` removed
/// lexically, so `src/../../etc/x` becomes `/etc/x`; `~/` expanded with `home` when given;
/// an empty path is `cwd`). With no absolute `cwd` a relative path is read from `/`.
pub fn resolve_path(cwd: &str, path: &str, home: Option<&str>) -> String {
    crate::pathnorm::resolve(path, cwd, home).path
}

/// The literal directory a glob pattern starts from: `src/**/*.ts` → `src`, `**/*.ts` → ``.
pub fn glob_root(pattern: &str) -> &str {
    let first_glob = pattern.find(['*', '?', '[', '{']).unwrap_or(pattern.len());
    let literal = &pattern[..first_glob];
    if first_glob == pattern.len() {
        return literal;
    }
    match literal.rfind('/') {
        Some(0) => "/",
        Some(i) => &literal[..i],
        None => "",
    }
}

/// The directory a glob pattern can reach: its literal root ([`glob_root`]), or `/` when a
/// `..` follows a wildcard (`src/**/../../../etc/*` may climb any number of levels).
pub fn pattern_root(pattern: &str) -> &str {
    let root = glob_root(pattern);
    let rest = &pattern[root.len().min(pattern.len())..];
    if rest.split('/').any(|c| c == "..") && rest.contains(['*', '?', '[', '{']) {
        return "/";
    }
    root
}

/// The payload's working directory, or this process's (hooks run in the session's directory)
/// when the payload names none. Empty when neither is known: an unknown cwd stays unknown
/// (relative paths are then unanchored, see [`crate::pathnorm`]) rather than becoming `/`.
pub fn cwd_or_process(cwd: &str) -> String {
    if !cwd.is_empty() {
        return cwd.to_string();
    }
    std::env::current_dir()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_default()
}

/// The user's home directory from the environment, for `~` expansion.
pub fn home_dir() -> Option<String> {
    std::env::var("HOME").ok().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_object_refuses_non_objects() {
        assert!(parse_object(b"null").is_err());
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"3").is_err());
        assert!(parse_object(b"\xff\xfe").is_err());
        assert!(parse_object(b"{").is_err());
        assert!(parse_object(b"{}").is_ok());
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let dup = br#"{"tool_input":{"path":"README.md","path":"/home/u/.ssh/id_rsa"}}"#;
        assert!(parse_object(dup).is_err());
        assert!(parse_object(br#"{"a":1,"a":1}"#).is_err());
        assert!(parse_object(br#"{"a":[{"b":1,"b":2}]}"#).is_err());
        let nested = parse_object(br#"{"s":"{\"p\":1,\"p\":2}"}"#).unwrap();
        assert!(obj_or_json_string(&nested, "s").is_err());
        let ok = parse_object(br#"{"a":[{"b":1.5,"c":null,"d":true,"e":-3}],"f":"x"}"#).unwrap();
        assert_eq!(ok["a"][0]["b"], 1.5);
        assert_eq!(ok["a"][0]["e"], -3);
    }

    #[test]
    fn typed_fields() {
        let m = parse_object(br#"{"a":"x","b":1,"c":null,"o":{"k":1},"s":"{\"k\":2}"}"#).unwrap();
        assert_eq!(opt_str(&m, "a").unwrap(), Some("x"));
        assert!(opt_str(&m, "b").is_err());
        assert_eq!(opt_str(&m, "c").unwrap(), None);
        assert!(req_str(&m, "zz").is_err());
        assert!(req_obj(&m, "o").is_ok());
        assert!(req_obj(&m, "a").is_err());
        assert_eq!(obj_or_json_string(&m, "s").unwrap()["k"], 2);
        assert!(obj_or_json_string(&m, "a").is_err());
    }

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve_path("/p", "src/a.rs", None), "/p/src/a.rs");
        assert_eq!(resolve_path("/p", "/etc/x", None), "/etc/x");
        assert_eq!(resolve_path("/p/q", "src/../../../etc/x", None), "/etc/x");
        assert_eq!(resolve_path("/p", "./a/./b", None), "/p/a/b");
        assert_eq!(
            resolve_path("/p", "~/.ssh/id", Some("/home/u")),
            "/home/u/.ssh/id"
        );
        assert_eq!(resolve_path("/p", "", None), "/p");
        // No absolute cwd: read from `/` (the engine sees the cwd is not absolute).
        assert_eq!(resolve_path("", "src/a.rs", None), "/src/a.rs");
        assert_eq!(resolve_path("rel", "src/a.rs", None), "/src/a.rs");
        // No home: `~` is not joined to the cwd (it never named a file in the project).
        assert_eq!(resolve_path("/p", "~/.ssh/id", None), "/.ssh/id");
    }

    #[test]
    fn glob_roots() {
        assert_eq!(glob_root("src/**/*.ts"), "src");
        assert_eq!(glob_root("**/*.ts"), "");
        assert_eq!(glob_root("/etc/*"), "/etc");
        assert_eq!(glob_root("/*"), "/");
        assert_eq!(glob_root("plain/file"), "plain/file");
        assert_eq!(pattern_root("src/**/*.ts"), "src");
        assert_eq!(pattern_root("src/**/../../../etc/*"), "/");
        assert_eq!(pattern_root("../lib/*.rs"), "../lib");
    }

    #[test]
    fn hashes_and_truncation() {
        assert_ne!(sha256_parts(&["ab", "c"]), sha256_parts(&["a", "bc"]));
        assert_eq!(sha256_hex(b"").len(), 64);
        assert_eq!(truncate_chars("héllo", 2), "hé…");
        assert_eq!(truncate_chars("hi", 2), "hi");
        let v: Value = serde_json::from_str(r#"{"b":1,"a":[1, 2]}"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":[1,2],"b":1}"#);
        assert_eq!(arguments_scope(r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[test]
    fn long_arguments_keep_a_hash_of_the_whole() {
        let pad = "A".repeat(600);
        let a = arguments_scope(&format!(r#"{{"a_pad":"{pad}","path":"/p/README.md"}}"#));
        let b = arguments_scope(&format!(
            r#"{{"a_pad":"{pad}","path":"~/.config/aiperture/key"}}"#
        ));
        assert_ne!(
            a, b,
            "arguments past the display limit still tell calls apart"
        );
        assert!(a.chars().count() < MAX_SCOPE_CHARS);
        assert!(a.contains(crate::risk::SHORTENED_MARKER));
    }
}
