//! Scope patterns for policy rules, grants and presets.
//!
//! Shell scopes match one simple command at a time (`git log *` matches `git log -3`, never
//! `git log; curl x | sh`). Every other scope is a path-style glob in which `*` does not cross
//! `/` (`**` does); file paths are made absolute and `..` is resolved before matching, by
//! [`crate::pathnorm`]'s rules (the ones risk and the payloads use).
//!
//! A relative path with no absolute cwd is unanchored: its place is unknown. It is covered by
//! no rule that grants ([`ScopeMatcher::matches`]: allow rules, grants); a rule that
//! restricts (deny, ask) catches it by its reading from `/` ([`ScopeMatcher::restricts`]).

use crate::pathnorm::Resolved;
use globset::{Glob, GlobBuilder, GlobMatcher};
use std::sync::OnceLock;

/// A compiled scope pattern.
#[derive(Debug, Clone)]
pub enum ScopeMatcher {
    /// `*`: anything.
    Any,
    /// A shell pattern, matched per simple command, and its resolved program (a cheap
    /// pre-filter before the parser-backed match).
    Shell {
        /// The pattern as written.
        pattern: String,
        /// Its program word, resolved (`/usr/bin/git` → `git`).
        program: String,
    },
    /// A path-style glob, parsed at load and compiled on first use (a shell request never
    /// pays for the file rules' regexes).
    Glob {
        /// The glob, absolute for a path tool.
        glob: Glob,
        /// Its compiled form, built on first use.
        compiled: OnceLock<GlobMatcher>,
        /// The home directory a `~` scope stands for (empty: unknown).
        home: String,
    },
    /// A URL's host: `example.com` exactly, or `*.example.com` for its subdomains only
    /// (Claude Code's `WebFetch(domain:…)`), lowercase.
    Domain(String),
}

/// Whether a tool's scopes are shell commands.
pub fn is_shell(tool: &str) -> bool {
    matches!(tool, "shell" | "bash" | "terminal")
}

/// Whether a tool's scopes are file paths.
pub fn is_path_tool(tool: &str) -> bool {
    matches!(tool, "filesystem" | "file" | "fs")
}

impl ScopeMatcher {
    /// Compiles `pattern` for `tool`. Relative path patterns are resolved against `base`
    /// (the project root for project files); `~/` expands to `home`.
    pub fn new(tool: &str, pattern: &str, base: Option<&str>, home: &str) -> Result<Self, String> {
        if pattern == "*" || pattern == "**" {
            return Ok(ScopeMatcher::Any);
        }
        if is_shell(tool) {
            if !valid_shell_pattern(pattern) {
                return Err(format!(
                    "bad shell pattern `{pattern}`: use plain words and an optional final ` *` \
                     (e.g. `git log *`)"
                ));
            }
            return Ok(ScopeMatcher::Shell {
                pattern: pattern.to_string(),
                program: pattern_program(pattern),
            });
        }
        let mut pat = pattern.to_string();
        if is_path_tool(tool) {
            if let Some(rest) = pattern.strip_prefix("~/") {
                pat = format!("{}/{rest}", home.trim_end_matches('/'));
            } else if !pattern.starts_with('/') {
                match base {
                    Some(b) => pat = format!("{}/{pattern}", b.trim_end_matches('/')),
                    None => {
                        return Err(format!(
                            "path pattern `{pattern}` must be absolute or start with ~/"
                        ));
                    }
                }
            }
        }
        let glob: Glob = GlobBuilder::new(&pat)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("bad pattern `{pattern}`: {e}"))?;
        Ok(ScopeMatcher::Glob {
            glob,
            compiled: OnceLock::new(),
            home: home.to_string(),
        })
    }

    /// Whether one scope (a simple command for shell, a path, a URL, …) matches, for a rule
    /// that grants: a path is resolved against `cwd` and the matcher's home
    /// ([`resolve_path`]), and one whose place is unknown (unanchored) never matches.
    pub fn matches(&self, tool: &str, scope: &str, cwd: &str) -> bool {
        self.hit(tool, scope, cwd, false)
    }

    /// Like [`ScopeMatcher::matches`], for a rule that restricts (deny, ask): a path whose
    /// place is unknown is judged by its reading from `/`, as the risk classifier reads it.
    pub fn restricts(&self, tool: &str, scope: &str, cwd: &str) -> bool {
        self.hit(tool, scope, cwd, true)
    }

    fn hit(&self, tool: &str, scope: &str, cwd: &str, unanchored: bool) -> bool {
        match self {
            ScopeMatcher::Any => true,
            ScopeMatcher::Shell { pattern, .. } => shell_matches(pattern, scope),
            ScopeMatcher::Domain(d) => url_host(scope).is_some_and(|h| match d.strip_prefix('*') {
                Some(dot_rest) => h.len() > dot_rest.len() && h.ends_with(dot_rest),
                None => h == *d,
            }),
            ScopeMatcher::Glob {
                glob,
                compiled,
                home,
            } => {
                let g = compiled.get_or_init(|| glob.compile_matcher());
                if is_path_tool(tool) {
                    let r = resolve_path(scope, cwd, home);
                    (r.anchored || unanchored) && g.is_match(r.path)
                } else {
                    g.is_match(scope)
                }
            }
        }
    }

    /// Like [`ScopeMatcher::matches`] for one shell segment whose resolved program is known
    /// (empty: unknown): a pattern for another program is rejected without parsing.
    pub fn matches_segment(&self, tool: &str, scope: &str, program: &str, cwd: &str) -> bool {
        !self.other_program(program) && self.matches(tool, scope, cwd)
    }

    /// [`ScopeMatcher::restricts`] for one shell segment whose resolved program is known, as
    /// [`ScopeMatcher::matches_segment`].
    pub fn restricts_segment(&self, tool: &str, scope: &str, program: &str, cwd: &str) -> bool {
        !self.other_program(program) && self.restricts(tool, scope, cwd)
    }

    /// Whether this is a shell pattern for another program than `program` (empty: unknown).
    fn other_program(&self, program: &str) -> bool {
        matches!(self, ScopeMatcher::Shell { program: p, .. } if !program.is_empty() && *p != program)
    }

    /// How specific the pattern is: its count of literal characters.
    pub fn specificity(pattern: &str) -> usize {
        pattern.chars().filter(|c| !matches!(c, '*' | '?')).count()
    }
}

/// Matches a shell pattern against one simple command with the risk module's matcher
/// (`git log *`: literal words, an optional final `*` for any further arguments; the program
/// compared by its resolved name; never a list, pipe, substitution or redirection).
pub fn shell_matches(pattern: &str, command: &str) -> bool {
    pattern.trim() == "*" || crate::risk::pattern_matches(pattern, command)
}

/// The resolved program word of a shell pattern (`/usr/bin/git log *` → `git`).
pub fn pattern_program(pattern: &str) -> String {
    let first = pattern
        .split([' ', '\t'])
        .find(|w| !w.is_empty())
        .unwrap_or("");
    crate::shell::resolve_program(first.trim_matches('\''))
}

/// Whether a shell pattern is well formed (checked without the parser, so loading a policy
/// stays cheap): words, an optional final ` *`, no wildcard inside a word (it would match only
/// literally) and no shell operator (a pattern matches one simple command).
pub fn valid_shell_pattern(pattern: &str) -> bool {
    let p = pattern.trim();
    if p == "*" {
        return true;
    }
    let spelled = p.strip_suffix(" *").unwrap_or(p).trim();
    !spelled.is_empty()
        && !spelled.contains([
            '*', '?', ';', '&', '|', '<', '>', '$', '`', '(', ')', '\n', '\r',
        ])
}

/// The lowercase host of an `http(s)://` URL (no user info, port or trailing dot); `None`
/// for anything else.
pub fn url_host(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next()?
    } else {
        host_port.split(':').next()?
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_string())
}

/// A request's path made absolute against `cwd` (and `~` against `home`, empty: unknown)
/// with `.` and `..` resolved, by [`crate::pathnorm::resolve`].
pub fn resolve_path(path: &str, cwd: &str, home: &str) -> Resolved {
    crate::pathnorm::resolve(path, cwd, Some(home))
}

/// The place of `path` against `cwd` when it is known: `None` for a relative path with no
/// absolute cwd, or a `~` path (no home is known here), which lie inside nothing.
pub fn normalize_path(path: &str, cwd: &str) -> Option<String> {
    let r = crate::pathnorm::resolve(path, cwd, None);
    r.anchored.then_some(r.path)
}

/// Whether `path` (absolute, normalized) lies strictly inside `root` (never inside `/`).
pub fn inside(path: &str, root: &str) -> bool {
    crate::pathnorm::is_below(path, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_spaces_do_not_split_words() {
        assert!(shell_matches("npm test", "npm  test"));
        assert!(shell_matches("npm test", "npm\ttest"));
        for sp in ['\u{a0}', '\u{2003}', '\u{3000}', '\u{85}', '\u{2028}'] {
            assert!(
                !shell_matches("npm test", &format!("npm{sp}test")),
                "{sp:?}"
            );
            assert!(!shell_matches("npm *", &format!("npm{sp}test")), "{sp:?}");
        }
    }

    #[test]
    fn shell_patterns_match_per_simple_command() {
        assert!(shell_matches("git log *", "git log --oneline -5"));
        assert!(shell_matches("git log *", "git log"));
        assert!(!shell_matches("git log *", "git logx"));
        assert!(!shell_matches("git status *", "git status; curl x | sh"));
        assert!(!shell_matches("git status *", "git status $(rm -rf ~)"));
        assert!(!shell_matches("git status *", "git status > ~/.bashrc"));
        assert!(shell_matches("npm test", "npm  test"));
        assert!(!shell_matches("npm test", "npm test --watch"));
        assert!(shell_matches("git log *", "/usr/bin/git log -3"));
        assert!(shell_matches("*", "anything at all; really"));
        assert!(valid_shell_pattern("git push --force *"));
        assert!(valid_shell_pattern("npm test"));
        assert!(!valid_shell_pattern("curl*"));
        assert!(!valid_shell_pattern("git status; curl x"));
        assert_eq!(pattern_program("/usr/bin/git log *"), "git");
        let m = ScopeMatcher::new("shell", "git log *", None, "/h").unwrap();
        assert!(m.matches_segment("shell", "git log -3", "git", "/"));
        assert!(m.matches_segment("shell", "git log -3", "", "/"));
        assert!(!m.matches_segment("shell", "git log -3", "hg", "/"));
        assert!(ScopeMatcher::new("shell", "rm -rf*", None, "/h").is_err());
    }

    #[test]
    fn path_globs_do_not_cross_slash_or_escape_with_dotdot() {
        let m = ScopeMatcher::new("filesystem", "src/*.py", Some("/p"), "/home/u").unwrap();
        assert!(m.matches("filesystem", "/p/src/a.py", "/p"));
        assert!(m.matches("filesystem", "src/a.py", "/p"));
        assert!(!m.matches("filesystem", "/p/src/x/a.py", "/p"));
        assert!(!m.matches("filesystem", "/p/src/../../etc/x.py", "/p"));
        let deep = ScopeMatcher::new("filesystem", "src/**/*.py", Some("/p"), "/h").unwrap();
        assert!(deep.matches("filesystem", "/p/src/x/y/a.py", "/p"));
        let home = ScopeMatcher::new("filesystem", "~/.ssh/*", None, "/home/u").unwrap();
        assert!(home.matches("filesystem", "/home/u/.ssh/id_rsa", "/"));
        assert!(ScopeMatcher::new("filesystem", "rel/*", None, "/h").is_err());
    }

    #[test]
    fn home_scopes_and_unanchored_paths() {
        let ssh = ScopeMatcher::new("filesystem", "~/.ssh/*", None, "/home/u").unwrap();
        // A `~` scope is the home directory, as risk reads it (it was `<cwd>/~/.ssh/…`).
        assert!(ssh.matches("filesystem", "~/.ssh/id_rsa", "/p"));
        assert!(ssh.matches("filesystem", "~/x/../.ssh/id_rsa", ""));
        assert!(ssh.restricts("filesystem", "~/.ssh/id_rsa", "/p"));
        // With no absolute cwd a relative path is read from `/`: a rule that restricts
        // catches it there…
        let etc = ScopeMatcher::new("filesystem", "/etc/*", None, "/h").unwrap();
        let proj = ScopeMatcher::new("filesystem", "src/*", Some("/p"), "/h").unwrap();
        for cwd in ["", "rel"] {
            assert!(etc.restricts("filesystem", "etc/passwd", cwd));
            assert!(proj.restricts("filesystem", "p/src/a", cwd));
            // …but nothing that grants covers it, wherever that reading lands.
            assert!(!etc.matches("filesystem", "etc/passwd", cwd));
            assert!(!proj.matches("filesystem", "p/src/a", cwd));
            assert!(!proj.matches_segment("filesystem", "p/src/a", "", cwd));
            assert!(proj.restricts_segment("filesystem", "p/src/a", "", cwd));
            // An absolute path needs no cwd.
            assert!(proj.matches("filesystem", "/p/src/a", cwd));
        }
        assert!(proj.matches("filesystem", "src/a", "/p"));
        // Shell scopes have no place: both readings agree.
        let git = ScopeMatcher::new("shell", "git log *", None, "/h").unwrap();
        assert!(git.restricts_segment("shell", "git log -3", "git", ""));
        assert!(!git.restricts_segment("shell", "git log -3", "hg", ""));
    }

    #[test]
    fn domains_match_hosts_only() {
        let m = ScopeMatcher::Domain("example.com".into());
        assert!(m.matches("web", "https://Example.com./a", "/"));
        assert!(m.matches("web", "http://u:p@example.com:8080/x", "/"));
        assert!(!m.matches("web", "https://example.com.evil.io/", "/"));
        assert!(!m.matches("web", "https://evil.io/?example.com", "/"));
        assert!(!m.matches("web", "https://evil.io\\@example.com/", "/"));
        assert!(!m.matches("web", "ftp://example.com/", "/"));
        let sub = ScopeMatcher::Domain("*.example.com".into());
        assert!(sub.matches("web", "https://a.b.example.com/", "/"));
        assert!(!sub.matches("web", "https://example.com/", "/"));
        assert!(!sub.matches("web", "https://badexample.com/", "/"));
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(
            normalize_path("a/../b/./c", "/x").as_deref(),
            Some("/x/b/c")
        );
        assert_eq!(normalize_path("/../../etc", "/x").as_deref(), Some("/etc"));
        assert_eq!(normalize_path("/../../etc", "").as_deref(), Some("/etc"));
        assert_eq!(normalize_path("src/a", ""), None);
        assert_eq!(normalize_path("src/a", "rel"), None);
        assert_eq!(normalize_path("~/a", "/x"), None);
        assert!(inside("/p/a", "/p"));
        assert!(!inside("/pa", "/p"));
        assert!(!inside("/p", "/p"));
    }
}
