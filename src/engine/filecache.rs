//! Parsed files, kept while they do not change: the policy files and Claude Code's settings
//! are parsed once per process and file version, not once per request. A one-shot hook reads
//! each file once as before (open, `fstat`, read); a resident server re-parses a file only
//! when its size, modification or change time, inode or device differ from what it parsed.
//! Files are read through the gate's [`Files`] port, never directly.

use crate::files::{Fetched, Files, LocalFiles, Stamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A file as the cache found it.
#[derive(Debug)]
pub enum Cached<T> {
    /// The file does not exist.
    Missing,
    /// The file exists but cannot be read (the error, one line).
    Unreadable(String),
    /// The file's parse, shared with other requests that read the same version.
    Parsed(Arc<T>),
}

type Entries<T> = HashMap<(PathBuf, String), (Stamp, Arc<T>)>;

/// Parses of files by path and a variant (what else the parse depends on, e.g. the home
/// directory `~` stands for), read through one [`Files`].
#[derive(Debug)]
pub struct FileCache<T> {
    files: Arc<dyn Files>,
    entries: Mutex<Entries<T>>,
}

impl<T> Default for FileCache<T> {
    /// A cache over this machine's file system.
    fn default() -> Self {
        FileCache::on(LocalFiles::shared())
    }
}

impl<T> FileCache<T> {
    /// An empty cache reading through `files`.
    pub fn on(files: Arc<dyn Files>) -> Self {
        FileCache {
            files,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The file system the cache reads.
    pub fn files(&self) -> &dyn Files {
        &*self.files
    }

    /// The parse of `path` for `variant`: from the cache when the file is the version that was
    /// parsed, else read and parsed with `parse` (and kept).
    pub fn get(&self, path: &Path, variant: &str, parse: impl FnOnce(&str) -> T) -> Cached<T> {
        let key = (path.to_path_buf(), variant.to_string());
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let known = entries.get(&key).map(|(s, p)| (*s, p.clone()));
        match self.files.fetch(path, known.as_ref().map(|k| k.0)) {
            Ok(Fetched::Missing) => Cached::Missing,
            Err(e) => Cached::Unreadable(e.to_string()),
            Ok(Fetched::Unchanged) => match known {
                Some((_, parsed)) => Cached::Parsed(parsed),
                None => Cached::Unreadable("the file system answered for no known version".into()),
            },
            Ok(Fetched::Text(stamp, text)) => {
                let parsed = Arc::new(parse(&text));
                entries.insert(key, (stamp, parsed.clone()));
                Cached::Parsed(parsed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn parses_once_per_version_and_again_after_a_change() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("p.toml");
        let cache: FileCache<String> = FileCache::default();
        let parses = Cell::new(0);
        let get = |variant: &str| match cache.get(&path, variant, |text| {
            parses.set(parses.get() + 1);
            text.to_uppercase()
        }) {
            Cached::Parsed(p) => Some((*p).clone()),
            Cached::Missing => None,
            Cached::Unreadable(e) => panic!("{e}"),
        };
        assert_eq!(get("a"), None);
        std::fs::write(&path, "one").unwrap();
        assert_eq!(get("a").as_deref(), Some("ONE"));
        assert_eq!(get("a").as_deref(), Some("ONE"));
        assert_eq!(parses.get(), 1, "an unchanged file is not parsed again");
        assert_eq!(get("b").as_deref(), Some("ONE"));
        assert_eq!(parses.get(), 2, "another variant is its own parse");
        // Same length, new content: the change time moves (or the inode, after a rename).
        let tmp = t.path().join("p.new");
        std::fs::write(&tmp, "two").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(get("a").as_deref(), Some("TWO"));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(get("a"), None);
    }

    #[test]
    fn an_unreadable_file_is_reported() {
        let t = tempfile::tempdir().unwrap();
        let cache: FileCache<()> = FileCache::default();
        // A directory opens but cannot be read as text.
        match cache.get(t.path(), "", |_| ()) {
            Cached::Unreadable(_) => {}
            other => panic!("{other:?}"),
        }
    }
}
