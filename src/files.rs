//! The file system as the gate reads it, behind one port: the engine never opens, lists or
//! resolves a path itself. [`Files`] is what it asks (a policy file's text unless unchanged,
//! a rule directory's listing, a written script's bytes, a canonical path, a resolver for
//! symbolic links); [`LocalFiles`] answers from this machine's file system, the one the
//! one-shot hook and a server on the same machine use. A gate that judges requests from
//! elsewhere, or a test, injects its own (`engine::Gate::with_files`).

use crate::risk::PathResolver;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What identifies one version of a file: size, modification and change times, inode and
/// device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

impl Stamp {
    /// The stamp of a file's metadata.
    pub fn of(m: &Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        }
    }
}

/// A file as [`Files::fetch`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The file does not exist.
    Missing,
    /// The file is the version the caller already has.
    Unchanged,
    /// The file's text (read only when it changed), with the version read.
    Text(Stamp, String),
}

/// The file-system operations the engine needs, all read-only.
pub trait Files: Send + Sync + std::fmt::Debug {
    /// A file's text, unless it is still version `known`: one open and one `fstat`, and the
    /// read only when the version differs. An unreadable file is an error.
    fn fetch(&self, path: &Path, known: Option<Stamp>) -> io::Result<Fetched>;

    /// A file's bytes when it can be read and holds at most `cap` bytes; `None` otherwise.
    fn read_capped(&self, path: &Path, cap: u64) -> Option<Vec<u8>>;

    /// The entries of a directory (full paths, unsorted); `Ok(None)` when it does not exist.
    fn list_dir(&self, dir: &Path) -> io::Result<Option<Vec<PathBuf>>>;

    /// The canonical form of a path that exists (links followed); `None` otherwise.
    fn canonicalize(&self, path: &Path) -> Option<PathBuf>;

    /// Whether the path is a regular file (links followed).
    fn is_file(&self, path: &Path) -> bool;

    /// A resolver of symbolic links for the classifier, trusting the components of `roots`
    /// once it has seen they are real; `None` when links cannot be followed here.
    fn resolver(&self, roots: Vec<String>) -> Option<Arc<dyn PathResolver>>;
}

/// This machine's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalFiles;

impl LocalFiles {
    /// This machine's file system, shared.
    pub fn shared() -> Arc<dyn Files> {
        Arc::new(LocalFiles)
    }
}

impl Files for LocalFiles {
    fn fetch(&self, path: &Path, known: Option<Stamp>) -> io::Result<Fetched> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Fetched::Missing),
            Err(e) => return Err(e),
        };
        let stamp = Stamp::of(&file.metadata()?);
        if known == Some(stamp) {
            return Ok(Fetched::Unchanged);
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(Fetched::Text(stamp, text))
    }

    fn read_capped(&self, path: &Path, cap: u64) -> Option<Vec<u8>> {
        let f = File::open(path).ok()?;
        let mut bytes = Vec::new();
        match f.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
            Ok(n) if (n as u64) <= cap => Some(bytes),
            _ => None,
        }
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Option<Vec<PathBuf>>> {
        match std::fs::read_dir(dir) {
            Ok(entries) => Ok(Some(
                entries.filter_map(Result::ok).map(|e| e.path()).collect(),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn canonicalize(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn resolver(&self, roots: Vec<String>) -> Option<Arc<dyn PathResolver>> {
        Some(Arc::new(crate::realpath::RealFs::with_roots(roots)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_reads_only_a_changed_version() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.toml");
        let fs = LocalFiles;
        assert_eq!(fs.fetch(&p, None).unwrap(), Fetched::Missing);
        std::fs::write(&p, "one").unwrap();
        let Fetched::Text(stamp, text) = fs.fetch(&p, None).unwrap() else {
            panic!("no text");
        };
        assert_eq!(text, "one");
        assert_eq!(fs.fetch(&p, Some(stamp)).unwrap(), Fetched::Unchanged);
        let tmp = t.path().join("a.new");
        std::fs::write(&tmp, "two").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        assert!(matches!(fs.fetch(&p, Some(stamp)).unwrap(), Fetched::Text(_, t) if t == "two"));
        // A directory opens but is no text.
        assert!(fs.fetch(t.path(), None).is_err());
    }

    #[test]
    fn reads_are_capped_and_listings_say_what_is_missing() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("s.sh");
        std::fs::write(&p, "12345").unwrap();
        let fs = LocalFiles;
        assert_eq!(fs.read_capped(&p, 5).as_deref(), Some(&b"12345"[..]));
        assert_eq!(fs.read_capped(&p, 4), None);
        assert_eq!(fs.read_capped(&t.path().join("none"), 9), None);
        assert_eq!(fs.list_dir(&t.path().join("none")).unwrap(), None);
        assert_eq!(fs.list_dir(t.path()).unwrap(), Some(vec![p.clone()]));
        assert!(fs.is_file(&p) && !fs.is_file(t.path()));
        assert!(fs.canonicalize(&p).is_some());
    }
}
