//! `aiperture serve`'s life: one server per home (the second names the first's pid), the
//! Unix socket (0600, same key), SIGTERM and SIGINT (exit 0, socket removed, in-flight
//! requests answered), and the refusal of non-loopback addresses.

mod serve_support;

use serde_json::json;
use serve_support::Install;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn a_second_server_on_the_same_home_names_the_first_ones_pid() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let out = inst
        .cmd()
        .args(["serve", "--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already running"), "{err}");
    assert!(err.contains(&format!("pid {}", srv.child.id())), "{err}");
    // The first one is undisturbed.
    assert_eq!(srv.http("GET", "/health", None, b"").status, 200);
}

#[test]
fn the_socket_is_private_answers_health_and_needs_the_key() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    assert_eq!(srv.socket, inst.home.join("serve.sock"));
    let mode = std::fs::metadata(&srv.socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert_eq!(srv.unix("GET", "/health", None, b"").json()["status"], "ok");
    let body = json!({"scope": "ls"}).to_string();
    let r = srv.unix("POST", "/permissions/check", None, body.as_bytes());
    assert_eq!(r.status, 401);
    let r = srv.unix(
        "POST",
        "/permissions/check",
        Some(&srv.key),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert!(r.json()["decision"].is_string());
}

#[test]
fn sigterm_and_sigint_stop_it_cleanly_and_remove_the_socket() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let inst = Install::new();
        let mut srv = inst.serve(&[]);
        assert!(srv.socket.exists());
        // A request on the way in when the signal comes is still answered.
        let addr = srv.addr.clone();
        let key = srv.key.clone();
        let slow = std::thread::spawn(move || {
            use std::io::Write;
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            let body = json!({"scope": "git status"}).to_string();
            let head = format!(
                "POST /permissions/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {key}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            serve_support::exchange_rest(s, body.as_bytes())
        });
        std::thread::sleep(Duration::from_millis(100));
        srv.signal(sig);
        let (code, err) = srv.wait_exit(Duration::from_secs(20));
        assert_eq!(code, Some(0), "{err}");
        assert!(!srv.socket.exists(), "socket left behind");
        let r = slow.join().unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        // The lock is free again: a new server starts on the same home.
        let again = inst.serve(&[]);
        assert_eq!(again.http("GET", "/health", None, b"").status, 200);
    }
}

#[test]
fn a_stale_socket_is_replaced_and_anything_else_at_the_path_is_not() {
    let inst = Install::new();
    let stale = std::os::unix::net::UnixListener::bind(inst.home.join("serve.sock")).unwrap();
    drop(stale);
    let srv = inst.serve(&[]);
    assert_eq!(srv.unix("GET", "/health", None, b"").status, 200);
    drop(srv);
    let other = Install::new();
    let file = other.home.join("serve.sock");
    std::fs::write(&file, "mine").unwrap();
    let out = other
        .cmd()
        .args(["serve", "--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a socket"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn non_loopback_addresses_need_a_configured_key_and_allow_remote() {
    let refused = |inst: &Install, args: &[&str], why: &str| {
        let out = inst
            .cmd()
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    };
    let inst = Install::new();
    refused(&inst, &["--http", "0.0.0.0:0"], "--allow-remote");
    refused(
        &inst,
        &["--http", "0.0.0.0:0", "--allow-remote"],
        "no API key",
    );
    refused(&inst, &["--http", "not-an-address"], "not an address");
    // Nothing was started or created by a refusal.
    assert!(!inst.home.join("api_key").exists());
    assert!(!inst.home.join("serve.sock").exists());
    // With a key configured and the flag, the address is accepted: the test must not open a
    // port beyond this machine, so it names a documentation address (192.0.2.1, not on any
    // interface here) and sees the bind fail after the check passed (exit 1, not 64).
    let mut keyed = Install::new();
    keyed.env.push((
        "AIPERTURE_API_KEY".into(),
        "a-configured-key-0123456789".into(),
    ));
    refused(&keyed, &["--http", "192.0.2.1:0"], "--allow-remote");
    let out = keyed
        .cmd()
        .args(["serve", "--http", "192.0.2.1:0", "--allow-remote"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot listen"), "{err}");
    // On loopback the configured key is the one required.
    let srv = keyed.serve_with_key(&["--allow-remote"], "a-configured-key-0123456789");
    let r = srv.http(
        "GET",
        "/audit/count",
        Some("a-configured-key-0123456789"),
        b"",
    );
    assert_eq!(r.status, 200);
    // The configured key replaces the file: none is generated.
    assert!(!keyed.home.join("api_key").exists());
}

/// The hook's path never builds an async runtime: only the server module and `cli/serve.rs`
/// name tokio, axum or the server (the layering test keeps the library below it from using
/// it at all). The team store's client (`store/postgres/`) names its TLS glue crate,
/// `tokio_postgres_rustls`: the synchronous PostgreSQL client runs a current-thread runtime
/// inside, only when a `postgres://` URL is selected (`tests/pg_hook.rs` checks with strace
/// that the SQLite hook starts no thread).
#[test]
fn only_the_server_names_tokio_axum_or_the_server_module() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if rel.starts_with("server/")
            || rel.starts_with("store/postgres/")
            || rel == "cli/serve.rs"
            || rel == "bin/aiperture-serve.rs"
            || rel == "lib.rs"
        {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for needle in ["tokio", "axum", "server::", "http_body_util"] {
            if text.contains(needle) {
                wrong.push(format!("{rel} names {needle}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// The one-shot binary carries none of the server's code (it runs `aiperture-serve`): a
/// larger binary costs every hook call its start-up relocations (docs/performance.md). Read
/// from the symbol tables (`nm`, binutils): debug info keeps strings of code the linker
/// dropped, symbols do not. tokio itself is linked into `aiperture` by the team store's
/// synchronous PostgreSQL client (used only with a `postgres://` URL; the SQLite hook starts
/// no thread and builds no runtime, `tests/pg_hook.rs`), so what is checked here is that no
/// HTTP server (axum, hyper) is.
#[test]
fn the_hook_binary_holds_no_server_code() {
    let symbols = |bin: &str| {
        let out = std::process::Command::new("nm")
            .arg(assert_cmd::cargo::cargo_bin(bin))
            .output()
            .expect("nm (binutils) is needed to read the binaries' symbols");
        assert!(out.status.success(), "nm {bin} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let hook = symbols("aiperture");
    let server = symbols("aiperture-serve");
    for crate_name in ["_ZN4axum", "_ZN5hyper"] {
        assert!(
            server.contains(crate_name),
            "the server lacks {crate_name}?"
        );
        assert!(!hook.contains(crate_name), "aiperture links {crate_name}");
    }
}
