//! Durable file replacement for files people and other programs also edit (runtime hook
//! settings, aiperture's config): the write follows symbolic links (a dotfiles manager's
//! link stays a link; its target is rewritten), keeps the file's mode, goes through an
//! exclusive per-process temporary file in the same directory, is fsynced with its
//! directory, and read-modify-write sequences run under an exclusive lock on the directory.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file a write to `path` really changes: the final target when `path` is a symbolic
/// link (dangling or not, relative targets taken from the link's directory), else `path`.
pub fn write_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// An exclusive lock held until dropped, on the directory that holds the file.
#[derive(Debug)]
pub struct Lock {
    _dir: File,
}

/// Takes an exclusive lock for read-modify-write of `path` (its real target), blocking
/// until other writers are done. The lock is taken on the target's directory (created if
/// missing), so no lock file is left in a user's or a repository's settings directory.
pub fn lock(path: &Path) -> std::io::Result<Lock> {
    let target = write_target(path)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let dir = File::open(dir)?;
    dir.lock()?;
    Ok(Lock { _dir: dir })
}

/// Replaces the content of `path` (its real target when it is a link) atomically and
/// durably: an exclusive temporary file (`create_new`, per process and call) with the old
/// file's mode (`new_mode` for a new file), fsync, rename, fsync of the directory.
pub fn replace(path: &Path, bytes: &[u8], new_mode: u32) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let target = write_target(path)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mode = match std::fs::metadata(&target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_mode,
        Err(e) => return Err(e),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.aiperture-tmp.{}.{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed the mode at creation: set it exactly.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &target)?;
        File::open(&dir)?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn replace_follows_links_and_keeps_the_mode() -> std::io::Result<()> {
        let t = tempfile::tempdir()?;
        let real = t.path().join("dotfiles/settings.json");
        std::fs::create_dir_all(real.parent().unwrap_or(t.path()))?;
        std::fs::write(&real, "{}")?;
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600))?;
        let link = t.path().join("settings.json");
        symlink(&real, &link)?;
        replace(&link, b"{\"a\":1}", 0o644)?;
        assert!(std::fs::symlink_metadata(&link)?.file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real)?, "{\"a\":1}");
        assert_eq!(
            std::fs::metadata(&real)?.permissions().mode() & 0o777,
            0o600
        );
        // A new file gets the requested mode; no temporary file is left behind.
        let new = t.path().join("new.json");
        replace(&new, b"x", 0o640)?;
        assert_eq!(std::fs::metadata(&new)?.permissions().mode() & 0o777, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(t.path())?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("aiperture-tmp"))
            .collect();
        assert!(leftovers.is_empty());
        // A dangling link is written through, creating its target.
        let dangling = t.path().join("dangling.json");
        symlink("dotfiles/later.json", &dangling)?;
        replace(&dangling, b"y", 0o600)?;
        assert_eq!(
            std::fs::read_to_string(t.path().join("dotfiles/later.json"))?,
            "y"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)?
                .file_type()
                .is_symlink()
        );
        Ok(())
    }

    #[test]
    fn the_lock_excludes_a_second_holder() -> std::io::Result<()> {
        let t = tempfile::tempdir()?;
        let p = t.path().join("config.toml");
        let held = lock(&p)?;
        let f = File::open(t.path())?;
        assert!(f.try_lock().is_err());
        drop(held);
        assert!(f.try_lock().is_ok());
        Ok(())
    }
}
