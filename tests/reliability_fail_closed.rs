//! The fail-closed matrix: for every runtime, every way the store, key or config can be broken
//! turns a call that a healthy install ALLOWS (a task grant for `npm test`) into that runtime's
//! ask or deny, with a reason, on an exit code the runtime honours — never a silent pass.
//!
//! Root ignores file permissions, so "unwritable" is made with a read-only bind mount or
//! `chattr +i` when the test runs as root (and with `chmod` otherwise); the disk-full case uses
//! a 2 MiB tmpfs. Where the sandbox permits neither, the case says so on stderr and uses the
//! fallback named in the case (a path under `/proc`, which no one can create files in).

#[path = "reliability_support/mod.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::*;

const CMD: &str = "npm test";

/// A healthy install on which `npm test` is allowed for `runtime` (checked).
fn armed(runtime: &str) -> Install {
    armed_in(runtime, None)
}

fn armed_in(runtime: &str, parent: Option<&Path>) -> Install {
    let i = Install::new_in(parent);
    i.grant(CMD);
    let out = i.hook(runtime, &payload(runtime));
    let s = said(runtime, &out);
    let allowed = if runtime == "codex" || runtime == "openclaw" {
        s == Said::Nothing
    } else {
        s == Said::Allow
    };
    assert!(
        allowed,
        "{runtime}: the healthy baseline should allow: {s:?} {}",
        out.stdout
    );
    i
}

fn payload(runtime: &str) -> Vec<u8> {
    shell_payload(runtime, CMD, "sess-fc", "toolu_fc")
}

fn each_runtime(case: &str, why: &[&str], mut breakage: impl FnMut(&str, &mut Install)) {
    for rt in RUNTIMES {
        let mut i = armed(rt);
        breakage(rt, &mut i);
        let out = i.hook(rt, &payload(rt));
        assert_refused(rt, case, &out, why);
    }
}

fn checkpoint_and_close(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(c);
    for ext in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(ext);
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn store_directory_is_a_regular_file() {
    each_runtime(
        "store dir is a file",
        &["cannot create", "exists", "directory"],
        |_, i| {
            let f = i.dir.path().join("afile");
            std::fs::write(&f, b"x").unwrap();
            i.db = f.join("aiperture.db");
        },
    );
}

#[test]
fn store_path_relative() {
    each_runtime("relative store path", &["absolute"], |_, i| {
        i.env
            .push(("AIPERTURE_DB_PATH".into(), "relative/aiperture.db".into()));
    });
}

#[test]
fn store_deleted_is_a_fresh_store_that_never_allows_what_it_forgot() {
    for rt in RUNTIMES {
        let i = armed(rt);
        for ext in ["", "-wal", "-shm"] {
            let mut p = i.db.as_os_str().to_owned();
            p.push(ext);
            let _ = std::fs::remove_file(p);
        }
        let out = i.hook(rt, &payload(rt));
        let s = said(rt, &out);
        assert!(
            !matches!(s, Said::Allow | Said::Broken),
            "{rt}: {s:?} {}",
            out.stdout
        );
        // Codex has no ask (it prints nothing): the store must say the check asked.
        let d: String = i
            .sql()
            .text("SELECT decision FROM checks ORDER BY id DESC LIMIT 1");
        assert_eq!(d, "ask", "{rt}");
    }
}

#[test]
fn store_directory_unwritable() {
    for rt in RUNTIMES {
        let mut i = Install::new();
        i.grant(CMD);
        // A fresh, empty data directory nobody can write: the store cannot be created.
        let data = i.dir.path().join("ro-data");
        std::fs::create_dir_all(&data).unwrap();
        i.db = data.join("aiperture.db");
        let _guard = lock_dir(&data, &mut i);
        let out = i.hook(rt, &payload(rt));
        assert_refused(
            rt,
            "unwritable store directory",
            &out,
            &["read-only", "permission", "cannot", "not found"],
        );
    }
}

/// Makes a directory unwritable for this process; returns the guard that undoes it.
fn lock_dir(dir: &Path, i: &mut Install) -> Option<Mounted> {
    if is_root() {
        if let Some(m) = read_only_bind(dir) {
            return Some(m);
        }
        eprintln!("mount not permitted: using a path under /proc instead");
        i.db = Path::new("/proc/aiperture-test/aiperture.db").to_path_buf();
        return None;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    None
}

#[test]
fn existing_store_on_a_read_only_mount() {
    if !is_root() {
        eprintln!("not root: covered by db_file_read_only");
        return;
    }
    for rt in RUNTIMES {
        let i = armed(rt);
        let data = i.db.parent().unwrap().to_path_buf();
        let Some(_m) = read_only_bind(&data) else {
            eprintln!("mount not permitted here: case skipped");
            return;
        };
        let out = i.hook(rt, &payload(rt));
        assert_refused(
            rt,
            "store on a read-only mount",
            &out,
            &["read-only", "readonly", "cannot", "unable"],
        );
    }
}

#[test]
fn db_file_read_only() {
    let mut mounts = Vec::new();
    each_runtime(
        "read-only db file",
        &["read-only", "readonly", "permission"],
        |_, i| {
            checkpoint_and_close(&i.db);
            if !is_root() {
                std::fs::set_permissions(&i.db, std::fs::Permissions::from_mode(0o400)).unwrap();
            } else if !sys("chattr", &["+i", &i.db.display().to_string()]) {
                // A file system without the immutable flag: bind-mount the file read-only.
                eprintln!("chattr +i not supported here: using a read-only bind mount");
                mounts.push(read_only_bind(&i.db).expect("neither chattr nor mount works here"));
            }
        },
    );
}

impl Drop for Install {
    fn drop(&mut self) {
        // Undo `chattr +i` so the temporary directory can be removed.
        if is_root() {
            let _ = sys("chattr", &["-i", &self.db.display().to_string()]);
        }
    }
}

#[test]
fn db_file_truncated() {
    each_runtime(
        "truncated db",
        &[
            "corrupt",
            "malformed",
            "not a database",
            "disk image",
            "i/o",
        ],
        |_, i| {
            // Make the store big enough that half of it holds real tables.
            let c = rusqlite::Connection::open(&i.db).unwrap();
            c.execute_batch(
                "CREATE TABLE ballast(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO ballast SELECT randomblob(200) FROM n;",
            )
            .unwrap();
            drop(c);
            checkpoint_and_close(&i.db);
            let len = std::fs::metadata(&i.db).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&i.db).unwrap();
            f.set_len(len / 2).unwrap();
        },
    );
}

#[test]
fn db_file_garbage() {
    each_runtime(
        "garbage db",
        &["not a database", "corrupt", "malformed"],
        |_, i| {
            checkpoint_and_close(&i.db);
            let len = std::fs::metadata(&i.db).unwrap().len() as usize;
            let junk: Vec<u8> = (0..len).map(|n| (n * 7919 % 251) as u8).collect();
            std::fs::write(&i.db, junk).unwrap();
        },
    );
}

#[test]
fn db_header_overwritten() {
    each_runtime(
        "db header overwritten",
        &["not a database", "corrupt", "malformed"],
        |_, i| {
            checkpoint_and_close(&i.db);
            let mut bytes = std::fs::read(&i.db).unwrap();
            bytes[..100].copy_from_slice(&[0x41; 100]);
            std::fs::write(&i.db, bytes).unwrap();
        },
    );
}

/// Another process holds the write lock past the busy timeout (5 s, `store::BUSY_TIMEOUT`;
/// there is no knob to lower it, so the six runtimes wait on one lock in parallel).
fn locked_by_another(mode: &str) {
    let installs: Vec<(&str, Install)> = RUNTIMES.iter().map(|rt| (*rt, armed(rt))).collect();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let dbs: Vec<_> = installs.iter().map(|(_, i)| i.db.clone()).collect();
    let mode = mode.to_string();
    let holder = std::thread::spawn(move || {
        let conns: Vec<_> = dbs
            .iter()
            .map(|db| {
                let c = rusqlite::Connection::open(db).unwrap();
                if mode == "exclusive" {
                    c.execute_batch("PRAGMA locking_mode=EXCLUSIVE;").unwrap();
                }
                c.execute_batch(
                    "BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('held', 'x');",
                )
                .unwrap();
                c
            })
            .collect();
        ready_tx.send(()).unwrap();
        let _ = rx.recv();
        drop(conns);
    });
    ready_rx.recv().unwrap();
    let outs: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = installs
            .iter()
            .map(|(rt, i)| s.spawn(move || (*rt, i.hook(rt, &payload(rt)))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    tx.send(()).unwrap();
    holder.join().unwrap();
    for (rt, out) in outs {
        assert_refused(rt, "db locked", &out, &["locked", "busy"]);
        eprintln!("{rt}: locked store answered after {:?}", out.elapsed);
    }
}

#[test]
fn db_locked_by_a_writer_past_the_busy_timeout() {
    locked_by_another("normal");
}

#[test]
fn db_locked_exclusively_past_the_busy_timeout() {
    locked_by_another("exclusive");
}

#[test]
fn key_file_missing() {
    each_runtime(
        "key missing",
        &["key", "audit chain", "signature"],
        |_, i| {
            std::fs::remove_file(i.home.join("key")).unwrap();
        },
    );
}

#[test]
fn key_file_unreadable() {
    each_runtime("key unreadable", &["key"], |_, i| {
        let k = i.home.join("key");
        if is_root() {
            // Root reads any file: a directory in its place cannot be read by anyone.
            std::fs::remove_file(&k).unwrap();
            std::fs::create_dir(&k).unwrap();
        } else {
            std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
    });
}

#[test]
fn key_file_corrupt() {
    each_runtime("key corrupt", &["key"], |_, i| {
        std::fs::write(i.home.join("key"), b"not a key at all").unwrap();
    });
}

#[test]
fn key_file_replaced_by_another_valid_key() {
    each_runtime(
        "key replaced",
        &["key", "audit chain", "signature"],
        |_, i| {
            std::fs::write(i.home.join("key"), "ab".repeat(32)).unwrap();
        },
    );
}

#[test]
fn config_malformed() {
    each_runtime("config malformed", &["config"], |_, i| {
        std::fs::write(i.home.join("config.toml"), "not = [valid").unwrap();
    });
}

#[test]
fn config_wrong_type() {
    each_runtime("config wrong type", &["config", "rate_limit"], |_, i| {
        std::fs::write(
            i.home.join("config.toml"),
            "rate_limit_per_minute = \"lots\"\n",
        )
        .unwrap();
    });
}

#[test]
fn config_is_a_directory() {
    each_runtime("config is a directory", &["config"], |_, i| {
        std::fs::create_dir(i.home.join("config.toml")).unwrap();
    });
}

#[test]
fn disk_full() {
    if !is_root() {
        eprintln!("disk full: needs a tmpfs mount (root); skipped here");
        return;
    }
    let outer = tempfile::tempdir().unwrap();
    let mnt = outer.path().join("small");
    let Some(_m) = small_tmpfs(&mnt, "2m") else {
        eprintln!("disk full: mount not permitted in this sandbox; skipped");
        return;
    };
    for rt in RUNTIMES {
        let i = armed_in(rt, Some(&mnt));
        // Empty the WAL so the next write must grow a file, then fill the file system.
        checkpoint_and_close(&i.db);
        let filler = i.dir.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        drop(f);
        let out = i.hook(rt, &payload(rt));
        assert_refused(
            rt,
            "disk full",
            &out,
            &["full", "space", "i/o", "cannot", "disk"],
        );
        drop(i);
    }
}

/// Every input fixture of every runtime (file tools, MCP, web, permission requests, session
/// events) against a corrupt store: nothing is allowed and nothing breaks the runtime's
/// protocol. Events that cannot be blocked (session start, prompt, post-tool) may say
/// nothing; OpenClaw's "nothing" is its allow, so it must always refuse.
#[test]
fn every_fixture_with_a_corrupt_store() {
    let mut n = 0;
    for rt in RUNTIMES {
        let i = Install::new();
        std::fs::create_dir_all(i.db.parent().unwrap()).unwrap();
        std::fs::write(&i.db, vec![0x5a; 8192]).unwrap();
        let (_, dir) = fixture_of(rt);
        let mut files: Vec<_> = std::fs::read_dir(fixtures().join(dir).join("input"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let out = i.hook(rt, &std::fs::read(&f).unwrap());
            let s = said(rt, &out);
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                !matches!(s, Said::Allow | Said::Broken),
                "{rt} {name}: {s:?} {}",
                out.stdout
            );
            if *rt == "openclaw" {
                assert_eq!(s, Said::Ask, "{rt} {name}: {}", out.stdout);
            }
            if name.starts_with("pretooluse") || name.starts_with("before") {
                assert_refused(rt, &name, &out, &["not a database"]);
            }
            n += 1;
        }
    }
    assert!(n >= 35, "{n}");
}
