//! Where aiperture keeps its files: `AIPERTURE_HOME` (config, key) and `AIPERTURE_DB_PATH`.
//!
//! Nothing here is ever resolved against the current directory or the project: an agent can
//! write files in the project, so a relative path would let it choose which store or config a
//! hook reads. Both variables must therefore be absolute paths (a leading `~/` is expanded).

use anyhow::{Context, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The files aiperture reads and writes about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config + key directory (`AIPERTURE_HOME`, default `~/.config/aiperture`).
    pub home: PathBuf,
    /// The SQLite store (`AIPERTURE_DB_PATH`, default `~/.local/share/aiperture/aiperture.db`).
    pub db: PathBuf,
    /// The install's HMAC key file, `home/key`.
    pub key: PathBuf,
    /// The user config file, `home/config.toml`.
    pub config: PathBuf,
}

impl Paths {
    /// Resolves the paths from `AIPERTURE_HOME`, `AIPERTURE_DB_PATH` and the XDG defaults.
    pub fn from_env() -> anyhow::Result<Paths> {
        Self::resolve(
            std::env::var_os("AIPERTURE_HOME"),
            std::env::var_os("AIPERTURE_DB_PATH"),
            dirs::home_dir(),
            dirs::config_dir(),
            dirs::data_dir(),
        )
    }

    /// Paths with an explicit home directory and database file (tests, embedding).
    pub fn at(home: &Path, db: &Path) -> Paths {
        Paths {
            home: home.to_path_buf(),
            db: db.to_path_buf(),
            key: home.join("key"),
            config: home.join("config.toml"),
        }
    }

    /// The pure resolution behind [`Paths::from_env`]; empty variables count as unset.
    fn resolve(
        home_var: Option<OsString>,
        db_var: Option<OsString>,
        user_home: Option<PathBuf>,
        config_dir: Option<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> anyhow::Result<Paths> {
        let home = match home_var.filter(|v| !v.is_empty()) {
            Some(v) => absolute("AIPERTURE_HOME", &v, user_home.as_deref())?,
            None => config_dir
                .map(|d| d.join("aiperture"))
                .context("cannot find the user config directory; set AIPERTURE_HOME")?,
        };
        let db = match db_var.filter(|v| !v.is_empty()) {
            Some(v) => absolute("AIPERTURE_DB_PATH", &v, user_home.as_deref())?,
            None => data_dir
                .map(|d| d.join("aiperture").join("aiperture.db"))
                .context("cannot find the user data directory; set AIPERTURE_DB_PATH")?,
        };
        Ok(Paths::at(&home, &db))
    }

    /// The paths aiperture must protect about itself: any read or change of these by an agent
    /// is CRITICAL (the store with its WAL and shared-memory files, the key, the config file
    /// and the home directory itself).
    pub fn protected(&self) -> Vec<PathBuf> {
        let mut wal = self.db.clone().into_os_string();
        wal.push("-wal");
        let mut shm = self.db.clone().into_os_string();
        shm.push("-shm");
        vec![
            self.db.clone(),
            PathBuf::from(wal),
            PathBuf::from(shm),
            self.key.clone(),
            self.config.clone(),
            self.home.clone(),
        ]
    }
}

/// Expands a leading `~/` and refuses relative paths.
fn absolute(var: &str, value: &OsString, user_home: Option<&Path>) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(value);
    let p = match p.strip_prefix("~") {
        Ok(rest) => match user_home {
            Some(h) => h.join(rest),
            None => bail!(
                "{var}={}: cannot expand `~` (no home directory)",
                p.display()
            ),
        },
        Err(_) => p,
    };
    if !p.is_absolute() {
        bail!(
            "{var}={}: must be an absolute path (relative paths would depend on the directory \
             an agent runs in)",
            p.display()
        );
    }
    Ok(p)
}

/// A one-line description of an I/O error on one of aiperture's files, in a user's terms.
/// It lives here, below every module that reads or writes files, so none of them needs the
/// store for it.
pub fn io_problem(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "not found".into(),
        ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        ErrorKind::NotADirectory => "a parent path is not a directory".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn defaults_follow_xdg_dirs() {
        let p = Paths::resolve(
            None,
            None,
            Some("/home/u".into()),
            Some("/home/u/.config".into()),
            Some("/home/u/.local/share".into()),
        )
        .unwrap();
        assert_eq!(p.home, PathBuf::from("/home/u/.config/aiperture"));
        assert_eq!(p.key, PathBuf::from("/home/u/.config/aiperture/key"));
        assert_eq!(
            p.config,
            PathBuf::from("/home/u/.config/aiperture/config.toml")
        );
        assert_eq!(
            p.db,
            PathBuf::from("/home/u/.local/share/aiperture/aiperture.db")
        );
    }

    #[test]
    fn env_overrides_and_tilde_expands() {
        let p = Paths::resolve(
            some("/tmp/h"),
            some("~/x/a.db"),
            Some("/home/u".into()),
            None,
            None,
        )
        .unwrap();
        assert_eq!(p.home, PathBuf::from("/tmp/h"));
        assert_eq!(p.db, PathBuf::from("/home/u/x/a.db"));
    }

    #[test]
    fn empty_vars_count_as_unset() {
        let p = Paths::resolve(
            some(""),
            some(""),
            None,
            Some("/c".into()),
            Some("/d".into()),
        )
        .unwrap();
        assert_eq!(p.home, PathBuf::from("/c/aiperture"));
    }

    #[test]
    fn relative_paths_are_refused() {
        let e = Paths::resolve(some("rel/home"), None, None, None, Some("/d".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AIPERTURE_HOME") && e.contains("absolute"),
            "{e}"
        );
        let e = Paths::resolve(some("/h"), some("a.db"), None, None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("AIPERTURE_DB_PATH"), "{e}");
    }

    #[test]
    fn protected_lists_store_key_config_home() {
        let p = Paths::at(Path::new("/h"), Path::new("/d/a.db"));
        let prot = p.protected();
        for want in [
            "/d/a.db",
            "/d/a.db-wal",
            "/d/a.db-shm",
            "/h/key",
            "/h/config.toml",
            "/h",
        ] {
            assert!(prot.contains(&PathBuf::from(want)), "{want}");
        }
    }
}
