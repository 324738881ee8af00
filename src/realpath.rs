//! The file-system side of symbolic-link judgement: finds where a path really lands, for
//! the classifier's injected [`crate::risk::PathResolver`]. `src/risk` itself stays pure.
//!
//! Cost: below a root (the project) that is itself real, one `lstat` per component below
//! the root; elsewhere one `realpath(3)` for a path that exists, and for one that does not
//! exist yet one per missing component plus an `lstat` (to see a dangling link).

use crate::risk::PathResolver;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Links followed (and missing components climbed) before giving up, as the kernel's
/// `MAXSYMLINKS` (40) with room for deep new paths.
const MAX_STEPS: u32 = 64;

/// Resolves paths through the real file system.
///
/// With roots (the project), a path below a root that is itself real is checked with one
/// `lstat` per component below the root, stopping at the first that does not exist;
/// only a path that meets a link pays for a full resolution.
#[derive(Debug, Default)]
pub struct RealFs {
    roots: Vec<String>,
    real_roots: OnceLock<Vec<String>>,
    /// Answers already found (a request names a path several times: rule, pattern, prompt).
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl RealFs {
    /// A resolver that trusts the components of `roots` once it has seen they are real.
    pub fn with_roots(roots: impl IntoIterator<Item = String>) -> Self {
        RealFs {
            roots: roots
                .into_iter()
                .filter(|r| r.starts_with('/') && r != "/")
                .map(|r| r.trim_end_matches('/').to_string())
                .collect(),
            real_roots: OnceLock::new(),
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The roots that are where they say (no link in any component), checked once.
    fn real_roots(&self) -> &[String] {
        self.real_roots.get_or_init(|| {
            self.roots
                .iter()
                .filter(|r| {
                    std::fs::canonicalize(r.as_str())
                        .ok()
                        .is_some_and(|c| c.to_str() == Some(r.as_str()))
                })
                .cloned()
                .collect()
        })
    }

    /// `Some(true)` when no component of `abs` below a real root is a link, `Some(false)`
    /// when one is, `None` when `abs` is under no real root.
    fn plain_below_root(&self, abs: &str) -> Option<bool> {
        let root = self
            .real_roots()
            .iter()
            .filter(|r| {
                abs.strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|r| r.len())?;
        let mut cur = PathBuf::from(root);
        for comp in abs.get(root.len()..)?.split('/').filter(|c| !c.is_empty()) {
            cur.push(comp);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => return Some(false),
                Ok(_) => {}
                // Nothing below a missing component exists, so no link either.
                Err(_) => return Some(true),
            }
        }
        Some(true)
    }
}

impl PathResolver for RealFs {
    fn real_path(&self, abs: &str) -> Option<String> {
        if let Ok(seen) = self.seen.lock()
            && let Some((_, real)) = seen.iter().find(|(p, _)| p == abs)
        {
            return real.clone();
        }
        let real = self.find(abs);
        if let Ok(mut seen) = self.seen.lock()
            && seen.len() < 64
        {
            seen.push((abs.to_string(), real.clone()));
        }
        real
    }
}

impl RealFs {
    /// [`PathResolver::real_path`] without the memo.
    fn find(&self, abs: &str) -> Option<String> {
        if !abs.starts_with('/') || abs.contains("/./") || abs.contains("/../") {
            return None;
        }
        if self.plain_below_root(abs) == Some(true) {
            return None;
        }
        let real = resolve(Path::new(abs), 0)?;
        let real = real.to_str()?;
        (real != abs).then(|| real.to_string())
    }
}

/// The real location of `p`: `canonicalize` when it exists; otherwise its parent's real
/// location joined with its name, following a dangling link at the end (writing through it
/// creates the target).
fn resolve(p: &Path, steps: u32) -> Option<PathBuf> {
    if steps > MAX_STEPS {
        return None;
    }
    if let Ok(r) = std::fs::canonicalize(p) {
        return Some(r);
    }
    let parent = p.parent()?;
    let name = p.file_name()?;
    let real_parent = resolve(parent, steps + 1)?;
    let candidate = real_parent.join(name);
    match std::fs::symlink_metadata(&candidate) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(&candidate).ok()?;
            let joined = real_parent.join(target);
            // The target's `.` and `..` are read lexically (the shared rules of
            // `crate::pathnorm`); a target that is not UTF-8 is not followed.
            let joined = crate::pathnorm::lexical(joined.to_str()?);
            resolve(Path::new(&joined), steps + 1)
        }
        _ => Some(candidate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn follows_links_in_any_component_and_dangling_ones() -> std::io::Result<()> {
        use std::os::unix::fs::symlink;
        let t = tempfile::tempdir()?;
        let root = std::fs::canonicalize(t.path())?;
        let outside = root.join("outside");
        let proj = root.join("proj");
        std::fs::create_dir_all(&outside)?;
        std::fs::create_dir_all(&proj)?;
        std::fs::write(outside.join("secret"), "x")?;
        symlink(outside.join("secret"), proj.join("notes.txt"))?;
        symlink(&outside, proj.join("dir"))?;
        symlink("../outside/not-yet", proj.join("dangling"))?;
        std::fs::write(proj.join("plain.txt"), "x")?;
        let s = |p: PathBuf| p.display().to_string();
        let plain = RealFs::default();
        let rooted = RealFs::with_roots([s(proj.clone())]);
        for r in [&plain, &rooted] {
            assert_eq!(
                r.real_path(&s(proj.join("notes.txt"))),
                Some(s(outside.join("secret")))
            );
            assert_eq!(
                r.real_path(&s(proj.join("dir/new/file.txt"))),
                Some(s(outside.join("new/file.txt")))
            );
            assert_eq!(
                r.real_path(&s(proj.join("dangling"))),
                Some(s(outside.join("not-yet")))
            );
            assert_eq!(r.real_path(&s(proj.join("plain.txt"))), None);
            assert_eq!(r.real_path(&s(proj.join("missing/deep/x"))), None);
        }
        let r = RealFs::default();
        // A loop resolves to nothing rather than spinning.
        symlink(proj.join("loop"), proj.join("loop"))?;
        let _ = r.real_path(&s(proj.join("loop")));
        Ok(())
    }
}
