//! Lexical path normalization: the one reading of a path that payloads, risk, grants and
//! policy share, so that no two of them judge the same request's path two ways. Text only:
//! no file system access (where a path *really* lands is [`crate::realpath`]'s question).
//!
//! # The rules
//! - **Components.** A path is split on `/`. Empty components (`a//b`, a trailing `/`) and
//!   `.` are dropped; `..` removes the component before it and never climbs above `/`
//!   (`/../etc` is `/etc`). A backslash is an ordinary character.
//! - **Home.** `~` and `~/…` stand for the home directory, expanded only with an explicit
//!   absolute home (never read from the environment here). `~user/…` is not a home path
//!   here (a shell expands it; the risk classifier does that itself).
//! - **Empty path.** An empty path names the working directory itself.
//! - **Anchoring.** A relative path is joined to the cwd only when the cwd is absolute. With
//!   an empty or relative cwd (or a `~` path with no known home) the place is unknown: the
//!   path is read from `/` — the widest reading, so a deny rule or risk class about a system
//!   path still applies — and marked **unanchored**. An unanchored path is never inside the
//!   project, the cwd or any other root ([`Resolved::is_within`] and [`Resolved::is_below`]
//!   say no), and nothing that grants (allow rules, grants, presets, the read baseline,
//!   learned patterns) covers it. This is the fail-closed reading: a relative path with no
//!   absolute cwd is never treated as inside the project.

/// A path made absolute by [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The absolute, lexically normal path (see the module rules): starts with `/`, holds no
    /// empty, `.` or `..` component, no trailing `/` except for `/` itself.
    pub path: String,
    /// True when the path's place is known: it was absolute, or was joined to an absolute cwd
    /// or home. False when it was read from `/` for want of one.
    pub anchored: bool,
}

impl Resolved {
    /// Whether the path is `dir` or lies below it; never for an unanchored path.
    pub fn is_within(&self, dir: &str) -> bool {
        self.anchored && is_within(&self.path, dir)
    }

    /// Whether the path lies strictly below `root`; never for an unanchored path.
    pub fn is_below(&self, root: &str) -> bool {
        self.anchored && is_below(&self.path, root)
    }
}

/// Whether `p` is absolute (starts with `/`).
pub fn is_absolute(p: &str) -> bool {
    p.starts_with('/')
}

/// Removes empty and `.` components and resolves `..` lexically. An absolute input gives an
/// absolute result (`..` stops at `/`); a relative one stays relative, keeping the `..` it
/// cannot resolve (`../a/../b` → `../b`), and is `.` when nothing is left.
pub fn lexical(path: &str) -> String {
    if is_plain(path) {
        return path.to_string();
    }
    lexical_steps(path)
}

/// True when [`lexical`] would give `path` back unchanged: `/`, or components that are all
/// non-empty and neither `.` nor `..` (most paths a check meets; no allocation to find out).
fn is_plain(path: &str) -> bool {
    path == "/"
        || !path.is_empty()
            && path
                .strip_prefix('/')
                .unwrap_or(path)
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// [`lexical`] step by step.
fn lexical_steps(path: &str) -> String {
    let absolute = is_absolute(path);
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&"..") | None if !absolute => parts.push(".."),
                Some(&"..") | None => {}
                Some(_) => {
                    parts.pop();
                }
            },
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The home directory a `~` path stands for: `home` when it is absolute, else none.
fn known_home(home: Option<&str>) -> Option<&str> {
    home.filter(|h| is_absolute(h))
}

/// `path` with a leading `~` or `~/` replaced by `home` (see the module rules). `None` when
/// `path` is not a home path or no absolute home is given.
pub fn expand_home(path: &str, home: Option<&str>) -> Option<String> {
    let rest = home_rest(path)?;
    let h = known_home(home)?;
    Some(format!("{}/{rest}", h.trim_end_matches('/')))
}

/// What follows `~` in a home path (`~` → ``, `~/a` → `a`); `None` for any other path.
fn home_rest(path: &str) -> Option<&str> {
    if path == "~" {
        Some("")
    } else {
        path.strip_prefix("~/")
    }
}

/// Makes `path` absolute and normal: a home path against `home`, a relative path against
/// `cwd`, by the module rules (an empty or relative cwd, or no known home, gives an
/// unanchored reading from `/`).
pub fn resolve(path: &str, cwd: &str, home: Option<&str>) -> Resolved {
    if let Some(rest) = home_rest(path) {
        return match known_home(home) {
            Some(h) => Resolved {
                path: lexical(&format!("{h}/{rest}")),
                anchored: true,
            },
            None => Resolved {
                path: lexical(&format!("/{rest}")),
                anchored: false,
            },
        };
    }
    if is_absolute(path) {
        return Resolved {
            path: lexical(path),
            anchored: true,
        };
    }
    if is_absolute(cwd) {
        Resolved {
            path: lexical(&format!("{cwd}/{path}")),
            anchored: true,
        }
    } else {
        Resolved {
            path: lexical(&format!("/{path}")),
            anchored: false,
        }
    }
}

/// Whether `path` is `dir` or lies below it (both absolute and normal); every absolute path
/// lies within `/`.
pub fn is_within(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return is_absolute(path);
    }
    path == dir || is_below(path, dir)
}

/// Whether `path` lies strictly below `root` (both absolute and normal). `/` (or an empty
/// root) has nothing below it here: the file system's root is never a project.
pub fn is_below(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    !root.is_empty()
        && path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn anchored(path: &str) -> Resolved {
        Resolved {
            path: path.into(),
            anchored: true,
        }
    }

    fn unanchored(path: &str) -> Resolved {
        Resolved {
            path: path.into(),
            anchored: false,
        }
    }

    #[test]
    fn lexical_components() {
        assert_eq!(lexical("/a/./b//c/"), "/a/b/c");
        assert_eq!(lexical("/a/../../etc"), "/etc");
        assert_eq!(lexical("/.."), "/");
        assert_eq!(lexical("/"), "/");
        assert_eq!(lexical("a/../b"), "b");
        assert_eq!(lexical("./a.sh"), "a.sh");
        assert_eq!(lexical("../a/../b"), "../b");
        assert_eq!(lexical("a/.."), ".");
        assert_eq!(lexical(""), ".");
        assert_eq!(lexical("a\\..\\b"), "a\\..\\b");
    }

    #[test]
    fn resolves_against_an_absolute_cwd() {
        assert_eq!(resolve("src/a.rs", "/p", None), anchored("/p/src/a.rs"));
        assert_eq!(resolve("src/a.rs", "/p/", None), anchored("/p/src/a.rs"));
        assert_eq!(resolve("/etc/x", "/p", None), anchored("/etc/x"));
        assert_eq!(
            resolve("src/../../../etc/x", "/p/q", None),
            anchored("/etc/x")
        );
        assert_eq!(resolve("./a/./b/", "/p", None), anchored("/p/a/b"));
        assert_eq!(resolve("", "/p", None), anchored("/p"));
        assert_eq!(resolve("..", "/", None), anchored("/"));
    }

    #[test]
    fn home_needs_an_absolute_home() {
        let h = Some("/home/u");
        assert_eq!(resolve("~/.ssh/id", "/p", h), anchored("/home/u/.ssh/id"));
        assert_eq!(resolve("~", "/p", Some("/home/u/")), anchored("/home/u"));
        assert_eq!(resolve("~/.ssh", "/p", None), unanchored("/.ssh"));
        assert_eq!(resolve("~/.ssh", "/p", Some("")), unanchored("/.ssh"));
        assert_eq!(resolve("~/.ssh", "/p", Some("rel")), unanchored("/.ssh"));
        // `~user` and a `~` inside a path are plain names.
        assert_eq!(resolve("~bob/x", "/p", h), anchored("/p/~bob/x"));
        assert_eq!(resolve("a/~/x", "/p", h), anchored("/p/a/~/x"));
        assert_eq!(expand_home("~/x", h).as_deref(), Some("/home/u/x"));
        assert_eq!(expand_home("~/x", None), None);
        assert_eq!(expand_home("x", h), None);
    }

    #[test]
    fn no_absolute_cwd_is_unanchored_and_inside_nothing() {
        for cwd in ["", "p", "./p", "~"] {
            let r = resolve("src/a.rs", cwd, Some("/home/u"));
            assert_eq!(r, unanchored("/src/a.rs"), "cwd {cwd:?}");
            assert!(!r.is_within("/src"), "cwd {cwd:?}");
            assert!(!r.is_below("/"), "cwd {cwd:?}");
            assert!(!r.is_within("/"), "cwd {cwd:?}");
        }
        assert_eq!(resolve("", "", None), unanchored("/"));
        // An absolute path needs no cwd.
        assert!(resolve("/src/a.rs", "", None).is_within("/src"));
    }

    #[test]
    fn within_and_below() {
        assert!(is_within("/p/a", "/p"));
        assert!(is_within("/p", "/p/"));
        assert!(!is_within("/pa", "/p"));
        assert!(is_within("/anything", "/"));
        assert!(is_below("/p/a", "/p"));
        assert!(!is_below("/p", "/p"));
        assert!(!is_below("/pa", "/p"));
        assert!(!is_below("/p", "/"));
        assert!(!is_below("/p", ""));
    }

    fn path_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("".to_string()),
                Just(".".to_string()),
                Just("..".to_string()),
                Just("~".to_string()),
                "[a-z~.\\\\]{1,4}",
            ],
            0..8,
        )
        .prop_map(|v| v.join("/"))
    }

    proptest! {
        #[test]
        fn the_plain_path_shortcut_changes_nothing(
            lead in prop_oneof![Just(""), Just("/"), Just("./"), Just("//")],
            p in path_text(),
            tail in prop_oneof![Just(""), Just("/"), Just("/."), Just("/..")],
        ) {
            let path = format!("{lead}{p}{tail}");
            prop_assert_eq!(lexical(&path), lexical_steps(&path), "{:?}", path);
        }

        #[test]
        fn normalization_is_idempotent_and_absolute(
            lead in prop_oneof![Just(""), Just("/"), Just("~/"), Just("./")],
            p in path_text(),
            cwd in prop_oneof![Just(String::new()), Just("rel".to_string()), path_text().prop_map(|c| format!("/{c}"))],
            home in prop_oneof![Just(None), Just(Some("/home/u")), Just(Some("rel"))],
        ) {
            let path = format!("{lead}{p}");
            let r = resolve(&path, &cwd, home);
            prop_assert!(is_absolute(&r.path), "{path:?} -> {r:?}");
            prop_assert!(!r.path.split('/').any(|c| c == ".." || c == "."), "{path:?} -> {r:?}");
            prop_assert!(r.path == "/" || !r.path.ends_with('/') && !r.path.contains("//"));
            // Idempotent: the result reads the same again, from anywhere.
            prop_assert_eq!(resolve(&r.path, "/elsewhere", home).path, r.path.clone());
            prop_assert_eq!(lexical(&r.path), r.path.clone());
            let l = lexical(&path);
            prop_assert_eq!(lexical(&l), l.clone());
            if is_absolute(&path) {
                prop_assert!(r.anchored);
                prop_assert_eq!(&l, &r.path);
            }
            if !is_absolute(&cwd) && !is_absolute(&path) && expand_home(&path, home).is_none() {
                prop_assert!(!r.anchored && !r.is_within("/"));
            }
        }
    }
}
