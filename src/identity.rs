//! Who and which machine an audit event is recorded for: the person (`AIPERTURE_ACTOR` when
//! set, else the OS login name) and the host (`AIPERTURE_HOST` when set, else the machine's
//! host name). Both are plain strings, cleaned here so that whatever the environment holds,
//! what reaches the chain is non-empty (or empty only when nothing is known), short and free
//! of control characters.
//!
//! The values are computed on the client side, once per process, from the caller's
//! environment ([`crate::client_env::ClientEnv`]) and carried on the request's
//! [`crate::request::Principal`]; the engine never reads the environment.

/// Environment variable naming the person explicitly (a shared service account, CI).
pub const ACTOR_ENV: &str = "AIPERTURE_ACTOR";

/// Environment variable naming the machine explicitly (containers with random host names).
pub const HOST_ENV: &str = "AIPERTURE_HOST";

/// The longest actor or host kept, in characters; longer values are cut.
pub const MAX_LEN: usize = 128;

/// `raw` cleaned for the chain: control characters removed, surrounding whitespace trimmed,
/// at most [`MAX_LEN`] characters. Empty when nothing printable is left.
pub fn sanitize(raw: &str) -> String {
    let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
    cleaned
        .trim()
        .chars()
        .take(MAX_LEN)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// The person: the explicit actor when it has anything printable, else the first login name
/// (`USER`, `LOGNAME`) that does; empty when none does.
pub fn actor(explicit: Option<&str>, logins: &[Option<&str>]) -> String {
    std::iter::once(explicit)
        .chain(logins.iter().copied())
        .flatten()
        .map(sanitize)
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

/// The machine: the explicit host when it has anything printable, else the system's host
/// name ([`system_host_name`] is passed in so tests need no machine); empty when neither does.
pub fn host(explicit: Option<&str>, system: impl FnOnce() -> Option<String>) -> String {
    if let Some(h) = explicit.map(sanitize).filter(|h| !h.is_empty()) {
        return h;
    }
    system().map(|h| sanitize(&h)).unwrap_or_default()
}

/// This machine's host name (`gethostname`, one `uname` system call), `None` when the call
/// fails or the name is not UTF-8.
pub fn system_host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `len` bytes; gethostname writes at most that many.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    std::str::from_utf8(buf.get(..end)?)
        .ok()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explicit_actor_wins_over_the_login_name() {
        assert_eq!(actor(Some("ci-bot"), &[Some("alice"), None]), "ci-bot");
        assert_eq!(actor(None, &[Some("alice"), Some("bob")]), "alice");
        assert_eq!(actor(Some("  "), &[None, Some("bob")]), "bob");
        assert_eq!(actor(Some("\u{7}\n"), &[Some(""), Some("\t")]), "");
    }

    #[test]
    fn control_characters_are_removed_and_length_is_capped() {
        assert_eq!(sanitize(" al\nice\u{1b}[31m "), "alice[31m");
        let long = "é".repeat(MAX_LEN + 40);
        let s = sanitize(&long);
        assert_eq!(s.chars().count(), MAX_LEN);
        assert!(s.chars().all(|c| c == 'é'));
        assert_eq!(
            sanitize(&format!("{}  x", "a".repeat(MAX_LEN - 1))),
            "a".repeat(MAX_LEN - 1)
        );
    }

    #[test]
    fn the_explicit_host_wins_and_the_system_name_is_cleaned() {
        assert_eq!(host(Some("build-7"), || Some("box".into())), "build-7");
        assert_eq!(host(Some(" \r"), || Some(" box\n".into())), "box");
        assert_eq!(host(None, || None), "");
    }

    #[test]
    fn this_machine_has_a_host_name() {
        let h = system_host_name().unwrap_or_default();
        assert!(!h.is_empty());
        assert!(!h.contains('\0'));
    }
}
