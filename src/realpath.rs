//! The file-system side of symbolic-link judgement: finds where a path really lands, for
//! the classifier's injected [`crate::risk::PathResolver`]. `src/risk` itself stays pure.
//!
//! Cost: one `realpath(3)` for a path that exists; for one that does not exist yet, one per
//! missing component plus an `lstat` (to see a dangling link). Nothing is cached.

use crate::risk::PathResolver;
use std::path::{Component, Path, PathBuf};

/// Links followed (and missing components climbed) before giving up, as the kernel's
/// `MAXSYMLINKS` (40) with room for deep new paths.
const MAX_STEPS: u32 = 64;

/// Resolves paths through the real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl PathResolver for RealFs {
    fn real_path(&self, abs: &str) -> Option<String> {
        if !abs.starts_with('/') {
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
            resolve(&normalize(&joined), steps + 1)
        }
        _ => Some(candidate),
    }
}

/// Resolves `.` and `..` lexically in an absolute path.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
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
        let r = RealFs;
        let s = |p: PathBuf| p.display().to_string();
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
        // A loop resolves to nothing rather than spinning.
        symlink(proj.join("loop"), proj.join("loop"))?;
        let _ = r.real_path(&s(proj.join("loop")));
        Ok(())
    }
}
