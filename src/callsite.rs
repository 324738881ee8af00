//! Where a request comes from, computed on the client side (by the runtime adapters and the
//! command line) and carried on the [`Request`] as a [`CallSite`]: the client's home
//! directory, the working directory, the project root and project id, and who asks.
//!
//! The engine judges the request against this context instead of looking at its own machine,
//! so a gate that runs elsewhere (a server) judges `rm -rf ~` against the caller's home.
//! Nothing here runs a subprocess: the project root is the directory holding `.git` above the
//! cwd, and the project id is read from that repository's `.git/config`.

use crate::client_env::ClientEnv;
use crate::request::Request;
pub use crate::request::{CallSite, Principal};
use std::io::Read;
use std::path::Path;

/// The project of requests made outside any directory (no absolute cwd).
pub const GLOBAL: &str = "global";

/// Environment variable naming the project explicitly (the `project_id` setting); it wins
/// over the git remote and the path.
pub const PROJECT_ID_ENV: &str = "AIPERTURE_PROJECT_ID";

/// The largest `.git/config` (or `.git` file, `commondir` file) that is read.
const MAX_GIT_FILE: u64 = 64 * 1024;

impl CallSite {
    /// The call site of a request made by `runtime` in `cwd` by a process with environment
    /// `env` (its home, user, and the explicit project id from [`PROJECT_ID_ENV`] when set).
    pub fn detect(cwd: &str, runtime: &str, env: &ClientEnv) -> CallSite {
        use crate::identity;
        let user = identity::actor(
            env.get(identity::ACTOR_ENV),
            &[env.get("USER"), env.get("LOGNAME")],
        );
        let mut site = Self::detect_with(
            cwd,
            runtime,
            env.get("HOME").unwrap_or_default(),
            env.get(PROJECT_ID_ENV),
            user,
        );
        site.principal.host = identity::host(env.get(identity::HOST_ENV), || None);
        site
    }

    /// The call site with an explicit home, project id override and user (tests, embedding).
    pub fn detect_with(
        cwd: &str,
        runtime: &str,
        home: &str,
        explicit_id: Option<&str>,
        user: String,
    ) -> CallSite {
        let root = project_root(cwd);
        let project_id = match explicit_id.map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => strip_credentials(id),
            None => Some(root.as_str())
                .filter(|r| r.starts_with('/'))
                .and_then(|r| origin_url(Path::new(r)))
                .map(|url| strip_credentials(&url))
                .unwrap_or_else(|| root.clone()),
        };
        CallSite {
            home: home.to_string(),
            cwd: cwd.to_string(),
            root,
            project_id,
            principal: Principal {
                user,
                runtime: runtime.to_string(),
                host: String::new(),
            },
        }
    }
}

/// The request with the call site of a caller with environment `env` attached (from its
/// cwd and runtime) when it has none. Used by the adapters' dispatch, before the request
/// reaches the gate.
pub fn located_in(mut req: Request, env: &ClientEnv) -> Request {
    if req.callsite.is_none() {
        req.callsite = Some(CallSite::detect(&req.cwd, &req.runtime, env));
    }
    req
}

/// [`located_in`] this process's environment: for the command line, where the caller is
/// this process.
pub fn located(req: Request) -> Request {
    located_in(req, &ClientEnv::of_process())
}

/// The project of a request made in `cwd`: the explicit id (credentials removed) when one is
/// given, else [`project_root`].
pub fn detect(cwd: &str, override_id: Option<&str>) -> String {
    if let Some(id) = override_id.map(str::trim).filter(|s| !s.is_empty()) {
        return strip_credentials(id);
    }
    project_root(cwd)
}

/// The git root above `cwd` (a directory holding `.git`, found by walking up; no git
/// subprocess), else `cwd` itself; [`GLOBAL`] without an absolute cwd.
pub fn project_root(cwd: &str) -> String {
    if cwd.is_empty() || !cwd.starts_with('/') {
        return GLOBAL.to_string();
    }
    let mut dir = Some(Path::new(cwd));
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.display().to_string();
        }
        dir = d.parent();
    }
    let trimmed = cwd.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Removes `user:password@` from a URL-like id (`https://u:tok@host/x` → `https://host/x`).
pub fn strip_credentials(id: &str) -> String {
    if let Some((scheme, rest)) = id.split_once("://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if let Some((_, host)) = authority.rsplit_once('@') {
            return format!("{scheme}://{host}{path}");
        }
    }
    id.to_string()
}

/// A small git file as text; `None` if unreadable, not text, or larger than
/// [`MAX_GIT_FILE`] (no real one is).
fn read_small(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len > MAX_GIT_FILE {
        return None;
    }
    let mut text = String::with_capacity(usize::try_from(len).ok()? + 1);
    f.by_ref()
        .take(MAX_GIT_FILE)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The repository's config text for a work tree at `root`: `.git/config` for a plain
/// repository; for a `.git` file (`gitdir: …`, a linked worktree or a submodule) the config
/// of the common directory it names.
fn config_text(root: &Path) -> Option<String> {
    let dot_git = root.join(".git");
    if let Some(text) = read_small(&dot_git.join("config")) {
        return Some(text);
    }
    let text = read_small(&dot_git)?;
    let gitdir = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("gitdir:"))?;
    let gitdir = root.join(gitdir.trim());
    let common = read_small(&gitdir.join("commondir"))
        .map(|c| gitdir.join(c.trim()))
        .unwrap_or(gitdir);
    read_small(&common.join("config"))
}

/// The URL of the `origin` remote of the repository at `root`, read from its config file.
pub fn origin_url(root: &Path) -> Option<String> {
    remote_url(&config_text(root)?, "origin")
}

/// The first `url` of `[remote "<name>"]` in git config text (section names and keys are
/// matched as git does: the section and key case-insensitively, the subsection exactly).
fn remote_url(config: &str, name: &str) -> Option<String> {
    let mut in_remote = false;
    for line in config.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("").trim();
            in_remote = match header.split_once(char::is_whitespace) {
                Some((section, sub)) => {
                    section.eq_ignore_ascii_case("remote") && sub.trim().trim_matches('"') == name
                }
                // The old `[remote.origin]` form.
                None => header
                    .split_once('.')
                    .is_some_and(|(s, sub)| s.eq_ignore_ascii_case("remote") && sub == name),
            };
            continue;
        }
        if !in_remote {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("url") {
            let value = config_value(value);
            if !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

/// A git config value: quotes removed, an unquoted `#` or `;` starts a comment.
fn config_value(raw: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(match n {
                        't' => '\t',
                        'n' => '\n',
                        other => other,
                    });
                }
            }
            '#' | ';' if !quoted => break,
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repo_with_config(config: &str) -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join(".git/config"), config).unwrap();
        (t, root)
    }

    #[test]
    fn finds_the_git_root_or_falls_back_to_cwd() {
        let (_t, root) = repo_with_config("");
        let cwd = root.join("a/b").display().to_string();
        assert_eq!(detect(&cwd, None), root.display().to_string());
        assert_eq!(project_root(&cwd), root.display().to_string());
        assert_eq!(detect("", None), GLOBAL);
        assert_eq!(detect("relative/dir", None), GLOBAL);
        assert_eq!(detect(&cwd, Some("acme")), "acme");
        assert_eq!(detect(&cwd, Some("  ")), root.display().to_string());
    }

    #[test]
    fn global_is_learnings_global_project() {
        assert_eq!(GLOBAL, crate::engine::learning::GLOBAL);
    }

    #[test]
    fn strips_credentials() {
        assert_eq!(
            strip_credentials("https://user:tok@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:a/b"),
            "git@github.com:a/b"
        );
        assert_eq!(strip_credentials("acme"), "acme");
    }

    #[test]
    fn call_site_of_a_repository_with_an_origin_remote() {
        let (_t, root) = repo_with_config(
            "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://example.org/up.git\n\
             [remote \"origin\"]\n\turl = https://alice:ghp_secret@github.com/acme/app.git\n\
             \tfetch = +refs/heads/*:refs/remotes/origin/*\n",
        );
        let cwd = root.join("a/b").display().to_string();
        let cs = CallSite::detect_with(&cwd, "claude-code", "/home/alice", None, "alice".into());
        assert_eq!(cs.root, root.display().to_string());
        assert_eq!(cs.cwd, cwd);
        assert_eq!(cs.home, "/home/alice");
        assert_eq!(cs.project_id, "https://github.com/acme/app.git");
        assert!(!cs.project_id.contains("ghp_secret"));
        assert_eq!(
            cs.principal,
            Principal {
                user: "alice".into(),
                runtime: "claude-code".into(),
                host: String::new(),
            }
        );
        // The explicit id wins, and loses its credentials too.
        let cs = CallSite::detect_with(&cwd, "cli", "/h", Some("https://u:p@h/x"), String::new());
        assert_eq!(cs.project_id, "https://h/x");
        assert_eq!(cs.root, root.display().to_string());
    }

    #[test]
    fn without_a_remote_the_project_id_is_the_root() {
        let (_t, root) = repo_with_config("[remote \"upstream\"]\n\turl = git@h:x/y\n");
        let cwd = root.display().to_string();
        let cs = CallSite::detect_with(&cwd, "cli", "/h", None, String::new());
        assert_eq!(cs.project_id, cs.root);
        assert_eq!(
            CallSite::detect_with("", "cli", "/h", None, String::new()).project_id,
            GLOBAL
        );
    }

    #[test]
    fn an_oversized_config_is_not_read() {
        let big = format!(
            "[remote \"origin\"]\n\turl = https://h/x\n#{}\n",
            "x".repeat(MAX_GIT_FILE as usize)
        );
        let (_t, root) = repo_with_config(&big);
        assert_eq!(origin_url(&root), None);
        let cs = CallSite::detect_with(&root.display().to_string(), "cli", "", None, String::new());
        assert_eq!(cs.project_id, cs.root);
    }

    #[test]
    fn a_linked_worktree_reads_the_common_config() {
        let (t, main) =
            repo_with_config("[remote \"origin\"]\n\turl = \"git@github.com:acme/app.git\" # c\n");
        let admin = main.join(".git/worktrees/wt");
        std::fs::create_dir_all(&admin).unwrap();
        std::fs::write(admin.join("commondir"), "../..\n").unwrap();
        let wt = t.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        assert_eq!(
            origin_url(&wt).as_deref(),
            Some("git@github.com:acme/app.git")
        );
    }

    #[test]
    fn remote_sections_are_matched_as_git_does() {
        assert_eq!(
            remote_url(
                "[Remote \"origin\"]\nURL = a ; comment\nurl = b\n",
                "origin"
            )
            .as_deref(),
            Some("a")
        );
        assert_eq!(
            remote_url("[remote.origin]\nurl=c\n", "origin").as_deref(),
            Some("c")
        );
        assert_eq!(remote_url("[remote \"Origin\"]\nurl=c\n", "origin"), None);
        assert_eq!(remote_url("url = d\n", "origin"), None);
        assert_eq!(remote_url("[remote \"origin\"]\n", "origin"), None);
    }
}
