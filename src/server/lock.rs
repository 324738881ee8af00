//! One server per home: `serve.lock` in `AIPERTURE_HOME`, held with an exclusive
//! `File::try_lock` for the server's life and holding its pid, so a second `serve` can say
//! which process holds the home. The lock, not the pid, is the authority: a stale pid from a
//! server that died is simply overwritten by the next one (the kernel released its lock).

use anyhow::{anyhow, bail};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The lock file's name in `AIPERTURE_HOME`.
pub const LOCK_FILE: &str = "serve.lock";

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    path: PathBuf,
}

impl ServeLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the home's server lock and writes this process's pid into it; fails naming the pid
/// of the server that holds it.
pub fn acquire(home: &Path) -> anyhow::Result<ServeLock> {
    std::fs::create_dir_all(home)
        .map_err(|e| anyhow!("home {}: cannot create: {e}", home.display()))?;
    let path = home.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| anyhow!("{}: cannot open: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let pid = text.trim();
            let who = if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                "another process".to_string()
            } else {
                format!("pid {pid}")
            };
            bail!(
                "aiperture serve is already running for {} ({who} holds {})",
                home.display(),
                path.display()
            );
        }
        Err(TryLockError::Error(e)) => bail!("{}: cannot lock: {e}", path.display()),
    }
    let write = |f: &mut File| -> std::io::Result<()> {
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        writeln!(f, "{}", std::process::id())?;
        f.flush()
    };
    write(&mut file).map_err(|e| anyhow!("{}: cannot write the pid: {e}", path.display()))?;
    Ok(ServeLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_home_names_the_holder() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let held = acquire(dir.path()).unwrap_or_else(|e| panic!("{e:#}"));
        let text = std::fs::read_to_string(held.path()).unwrap_or_default();
        assert_eq!(text.trim(), std::process::id().to_string());
        // Another open file description of the same file conflicts, as another process does.
        let err = acquire(dir.path()).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(held);
        assert!(acquire(dir.path()).is_ok());
    }
}
