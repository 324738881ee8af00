//! Files of large artifacts: `AIPERTURE_HOME/artifacts/<first two hex>/<sha256>`, one per
//! distinct content, directories 0700, files 0600, written through a temporary file and a
//! rename (never through a symbolic link). The path is always derived from the recorded hash,
//! never read from the store, so an edited row cannot point a read outside the directory.

use anyhow::{anyhow, bail};
use std::fs::{DirBuilder, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The artifacts directory of an install.
pub fn dir(paths: &crate::paths::Paths) -> PathBuf {
    paths.home.join("artifacts")
}

/// The path of a content's file relative to the artifacts directory.
pub fn relative(sha: &str) -> anyhow::Result<String> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not a SHA-256: {sha}");
    }
    Ok(format!("{}/{sha}", &sha[..2]))
}

/// Writes `bytes` as the file of `sha` (unless a file with that content is already there);
/// returns its relative path.
pub fn write(root: &Path, sha: &str, bytes: &[u8]) -> anyhow::Result<String> {
    let rel = relative(sha)?;
    let path = root.join(&rel);
    if read(root, sha).is_ok_and(|b| super::sha256_hex(&b) == sha) {
        return Ok(rel);
    }
    let parent = path
        .parent()
        .ok_or_else(|| anyhow!("artifact file {}: no directory", path.display()))?;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .map_err(|e| anyhow!("artifacts directory {}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".{sha}.tmp.{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        bail!("artifact file {}: {e}", path.display());
    }
    Ok(rel)
}

/// Reads the file of `sha` (not following a symbolic link), at most
/// [`super::MAX_CONTENT`] + 1 bytes.
pub fn read(root: &Path, sha: &str) -> anyhow::Result<Vec<u8>> {
    let path = root.join(relative(sha)?);
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path);
    let f = match f {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!("file {} is missing", path.display())
        }
        Err(e) => bail!("file {}: {e}", path.display()),
    };
    let mut out = Vec::new();
    f.take(super::MAX_CONTENT as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| anyhow!("file {}: {e}", path.display()))?;
    Ok(out)
}
