//! The install's HMAC key: a 0600 file created exactly once under a file lock.
//!
//! The key file holds 64 lowercase hex characters (32 random bytes from the OS). It signs the
//! audit chain head and the approval challenges. Creation takes an exclusive lock on
//! `home/key.lock` (`std::fs::File::lock`), re-checks, then writes a temporary file and
//! renames it into place, so a reader never sees a partial key and sixteen processes starting
//! on a fresh home all end up with the same key. Reading an existing key is one small read.
//! `AIPERTURE_HMAC_SECRET` (hex) overrides the file, as in the reference.

use anyhow::{Context, anyhow, bail};
use sha2::{Digest, Sha256};
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use crate::paths::Paths;
use crate::paths::io_problem;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;

/// The environment variable that overrides the key file (hex, at least 16 bytes).
pub const SECRET_ENV: &str = "AIPERTURE_HMAC_SECRET";

/// The install key: `AIPERTURE_HMAC_SECRET` when set, else the key file (created if missing).
pub fn load(paths: &Paths) -> anyhow::Result<[u8; KEY_LEN]> {
    match std::env::var(SECRET_ENV) {
        Ok(hex) if !hex.trim().is_empty() => from_hex_secret(&hex),
        _ => load_or_create(&paths.key),
    }
}

/// The install key without creating it: `None` when neither the variable nor the file exists.
/// For read-only commands (`audit verify`, `doctor`).
pub fn load_existing(paths: &Paths) -> anyhow::Result<Option<[u8; KEY_LEN]>> {
    match std::env::var(SECRET_ENV) {
        Ok(hex) if !hex.trim().is_empty() => from_hex_secret(&hex).map(Some),
        _ => read_key(&paths.key),
    }
}

/// Parses `AIPERTURE_HMAC_SECRET`: 32 bytes are used as they are; any other length of at
/// least 16 bytes is hashed with SHA-256 to 32.
pub fn from_hex_secret(hex_text: &str) -> anyhow::Result<[u8; KEY_LEN]> {
    let bytes = hex::decode(hex_text.trim())
        .map_err(|e| anyhow!("{SECRET_ENV}: not a hex string ({e})"))?;
    if bytes.len() < 16 {
        bail!(
            "{SECRET_ENV}: too short ({} bytes; at least 16 needed)",
            bytes.len()
        );
    }
    Ok(match <[u8; KEY_LEN]>::try_from(bytes.as_slice()) {
        Ok(k) => k,
        Err(_) => Sha256::digest(&bytes).into(),
    })
}

/// Reads the key at `path`, creating it (32 random bytes, mode 0600) exactly once if missing.
pub fn load_or_create(path: &Path) -> anyhow::Result<[u8; KEY_LEN]> {
    if let Some(k) = read_key(path)? {
        return Ok(k);
    }
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| anyhow!("key file {shown}: has no parent directory"))?;
    if !dir.is_dir() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| anyhow!("home {}: cannot create: {}", dir.display(), io_problem(&e)))?;
    }
    let lock_path = dir.join("key.lock");
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| {
            anyhow!(
                "key lock {}: cannot open: {}",
                lock_path.display(),
                io_problem(&e)
            )
        })?;
    lock.lock().map_err(|e| {
        anyhow!(
            "key lock {}: cannot lock: {}",
            lock_path.display(),
            io_problem(&e)
        )
    })?;
    // Someone may have created it while we waited for the lock.
    if let Some(k) = read_key(path)? {
        return Ok(k);
    }
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| anyhow!("cannot get random bytes for the key: {e}"))?;
    let tmp = dir.join(format!("key.tmp.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(hex::encode(key).as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        bail!("key file {shown}: cannot write: {}", io_problem(&e));
    }
    drop(lock);
    Ok(key)
}

/// Reads a complete key file; `None` when it does not exist.
fn read_key(path: &Path) -> anyhow::Result<Option<[u8; KEY_LEN]>> {
    let shown = path.display();
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("key file {shown}: cannot read: {}", io_problem(&e)),
    };
    let mut buf = [0u8; 2 * KEY_LEN + 8];
    let mut n = 0;
    loop {
        let got = f
            .read(&mut buf[n..])
            .map_err(|e| anyhow!("key file {shown}: cannot read: {}", io_problem(&e)))?;
        if got == 0 {
            break;
        }
        n += got;
        if n == buf.len() {
            bail!(
                "key file {shown}: too long (expected {} hex characters)",
                2 * KEY_LEN
            );
        }
    }
    let text = std::str::from_utf8(&buf[..n])
        .ok()
        .map(str::trim)
        .filter(|t| t.len() == 2 * KEY_LEN)
        .with_context(|| {
            format!(
                "key file {shown}: corrupt (expected {} hex characters, found {n} bytes)",
                2 * KEY_LEN
            )
        })?;
    let mut key = [0u8; KEY_LEN];
    hex::decode_to_slice(text, &mut key)
        .map_err(|_| anyhow!("key file {shown}: corrupt (not hex)"))?;
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_once_with_mode_0600_and_rereads_the_same() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("home/key");
        let a = load_or_create(&path).unwrap();
        let b = load_or_create(&path).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, [0u8; KEY_LEN]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), hex::encode(a));
    }

    #[test]
    fn sixteen_threads_on_a_fresh_home_get_one_key() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("fresh/key");
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || load_or_create(&p).unwrap())
            })
            .collect();
        let keys: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(keys.iter().all(|k| *k == keys[0]));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            hex::encode(keys[0])
        );
    }

    #[test]
    fn sixteen_processes_on_a_fresh_home_get_one_key() {
        const CHILD: &str = "AIPERTURE_TEST_KEY_CHILD";
        if let Some(p) = std::env::var_os(CHILD) {
            let k = load_or_create(Path::new(&p)).unwrap();
            println!("\nKEY={}", hex::encode(k));
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("fresh/key");
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..16)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--exact",
                        "key::tests::sixteen_processes_on_a_fresh_home_get_one_key",
                    ])
                    .args(["--nocapture", "--test-threads=1"])
                    .env(CHILD, &path)
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut keys = Vec::new();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            let k = text
                .lines()
                .find_map(|l| l.strip_prefix("KEY="))
                .unwrap()
                .to_string();
            keys.push(k);
        }
        assert_eq!(keys.len(), 16);
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), keys[0]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn short_or_garbage_key_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("key");
        std::fs::write(&path, "abcd").unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("corrupt") && e.contains("key"), "{e}");
        std::fs::write(&path, "z".repeat(64)).unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("not hex"), "{e}");
        // The bad file is left alone, never replaced by a new key.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "z".repeat(64));
    }

    #[test]
    fn hex_secret_override() {
        let k = from_hex_secret(&"ab".repeat(32)).unwrap();
        assert_eq!(k, [0xab; 32]);
        let k2 = from_hex_secret(&"ab".repeat(20)).unwrap();
        assert_eq!(k2, <[u8; 32]>::from(Sha256::digest([0xab; 20])));
        assert!(from_hex_secret("abcd").is_err());
        assert!(from_hex_secret("xyz").is_err());
    }
}
