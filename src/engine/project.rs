//! Project detection: the git root above the request's cwd (a directory holding `.git`, found
//! by walking up; no git subprocess), else the cwd itself; `global` without a cwd. An explicit
//! id (`AIPERTURE_PROJECT_ID`) wins. Ids that look like URLs lose their credentials.

use super::learning::GLOBAL;
use std::path::Path;

/// The project of a request made in `cwd`.
pub fn detect(cwd: &str, override_id: Option<&str>) -> String {
    if let Some(id) = override_id.map(str::trim).filter(|s| !s.is_empty()) {
        return strip_credentials(id);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_git_root_or_falls_back_to_cwd() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        let cwd = root.join("a/b").display().to_string();
        assert_eq!(detect(&cwd, None), root.display().to_string());
        let plain = t.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        // No .git anywhere above a tempdir is not guaranteed, so only check the override and
        // the global fallback here.
        assert_eq!(detect("", None), "global");
        assert_eq!(detect(&cwd, Some("acme")), "acme");
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
}
