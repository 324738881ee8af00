//! Hostile HTTP against a running server: each attack gets a prompt 4xx (or, for a client
//! trickling its request head, a closed connection), the server stays up, and nothing is
//! written (the audit chain's length is unchanged and still verifies).

mod serve_support;

use serve_support::{Install, Reply, Server, parse};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long an answer to an attack may take on a loaded 2-core machine ("prompt").
const PROMPT: Duration = Duration::from_secs(3);

/// The audit chain's length.
fn count(srv: &Server) -> u64 {
    srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap()
}

/// The server still answers, and has written nothing since `before`.
fn still_up_and_unchanged(srv: &Server, before: u64, what: &str) {
    let h = srv.http("GET", "/health", None, b"");
    assert_eq!(h.status, 200, "{what}: the server is not answering");
    assert_eq!(count(srv), before, "{what}: something was recorded");
}

/// Sends `raw` (a whole request) and reads the answer within [`PROMPT`].
fn send(srv: &Server, raw: &[u8], what: &str) -> Reply {
    let t = Instant::now();
    let r = srv.raw(raw);
    assert!(t.elapsed() < PROMPT, "{what}: took {:?}", t.elapsed());
    r
}

/// A request with the server's key, a JSON content type and `body`.
fn request(srv: &Server, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        srv.key,
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn assert_4xx(r: &Reply, want: u16, what: &str) {
    assert_eq!(
        r.status,
        want,
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert!(v["error"].is_string(), "{what}: {v}");
}

#[test]
fn a_100_mb_body_is_refused_before_it_is_read() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    // Announced: refused from the head alone.
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    s.set_read_timeout(Some(PROMPT)).unwrap();
    let t = Instant::now();
    write!(
        s,
        "POST /permissions/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
        srv.key
    )
    .unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(t.elapsed() < PROMPT, "announced: took {:?}", t.elapsed());
    assert_4xx(&parse(&got), 413, "announced 100 MB");
    // Chunked, never announced: cut off at the limit while the client is still sending.
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /permissions/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        srv.key
    )
    .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let head = format!("{:x}\r\n", chunk.len());
    let t = Instant::now();
    let mut sent = 0usize;
    for _ in 0..100 {
        if s.write_all(head.as_bytes()).is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
        sent += chunk.len();
    }
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "chunked: took {:?}",
        t.elapsed()
    );
    if !got.is_empty() {
        assert_4xx(&parse(&got), 413, "chunked 100 MB");
    }
    // The server stopped reading long before 100 MB (the socket buffers hold a few MB).
    assert!(sent < 100 << 20, "the server read all 100 MB");
    still_up_and_unchanged(&srv, before, "100 MB");
}

#[test]
fn a_trickled_request_head_is_cut_off() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    s.write_all(b"POST /permissions/check HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let t = Instant::now();
    let mut closed = false;
    // One header byte every 200 ms, for up to 20 s: the head never completes.
    while t.elapsed() < Duration::from_secs(20) {
        if s.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {
                // An error answer before the close is fine too.
                closed = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        // Meanwhile the server answers others.
        if t.elapsed() > Duration::from_secs(2) && t.elapsed() < Duration::from_millis(2300) {
            assert_eq!(srv.http("GET", "/health", None, b"").status, 200);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    let took = t.elapsed();
    assert!(closed, "the trickling connection was never closed");
    // The head timeout is 5 s; allow for a loaded machine.
    assert!(
        took > Duration::from_secs(4) && took < Duration::from_secs(10),
        "closed after {took:?}"
    );
    still_up_and_unchanged(&srv, before, "slowloris");
}

#[test]
fn an_idle_connection_is_closed() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "an idle connection got bytes");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn malformed_bodies_are_400() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        "{{\"scope\":{}1{}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "invalid UTF-8",
            "/permissions/check",
            b"{\"scope\":\"ls \xff\xfe\"}".to_vec(),
        ),
        (
            "deep array",
            "/permissions/check",
            deep_array.clone().into_bytes(),
        ),
        (
            "deep object",
            "/permissions/check",
            deep_object.into_bytes(),
        ),
        ("not JSON", "/permissions/check", b"scope=ls".to_vec()),
        ("an array", "/permissions/check", b"[1,2]".to_vec()),
        (
            "wrong field type",
            "/permissions/check",
            b"{\"scope\":[1]}".to_vec(),
        ),
    ];
    for (what, path, body) in cases {
        let r = send(&srv, &request(&srv, path, "application/json", &body), what);
        assert_4xx(&r, 400, what);
    }
    // A hook payload that is not JSON is the runtime's fail-closed answer, not a decision.
    for (what, body) in [
        ("hook: invalid UTF-8", b"{\"tool_name\":\"\xff\"}".to_vec()),
        ("hook: deep array", deep_array.into_bytes()),
    ] {
        let r = send(
            &srv,
            &request(&srv, "/hooks/claude-code", "application/json", &body),
            what,
        );
        assert_eq!(r.status, 200, "{what}");
        let out = String::from_utf8_lossy(&r.body);
        assert!(!out.contains("\"allow\""), "{what}: {out}");
    }
    still_up_and_unchanged(&srv, before, "malformed bodies");
}

#[test]
fn a_body_that_is_not_json_by_its_type_is_415() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let body = br#"{"scope":"ls","cwd":"/tmp"}"#;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=zz",
        "application/xml",
    ] {
        for path in ["/permissions/check", "/hooks/claude-code"] {
            let what = format!("{ct} to {path}");
            let r = send(&srv, &request(&srv, path, ct, body), &what);
            assert_4xx(&r, 415, &what);
        }
    }
    still_up_and_unchanged(&srv, before, "wrong content type");
    // The same body as JSON is a check (and recorded): the refusal was the type's.
    let r = send(
        &srv,
        &request(
            &srv,
            "/permissions/check",
            "application/json; charset=utf-8",
            body,
        ),
        "json",
    );
    assert_eq!(r.status, 200);
    assert_eq!(count(&srv), before + 1);
}

#[test]
fn a_missing_or_wrong_key_is_401_and_records_nothing() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let body = br#"{"scope":"ls","cwd":"/tmp"}"#;
    let wrong = "0".repeat(srv.key.len());
    let near = {
        let mut k = srv.key.clone();
        k.pop();
        k.push('x');
        k
    };
    for (what, auth) in [
        ("no key", None),
        ("wrong key", Some(format!("Bearer {wrong}"))),
        ("nearly the key", Some(format!("Bearer {near}"))),
        (
            "the key, another scheme",
            Some(format!("Basic {}", srv.key)),
        ),
        ("the key with junk", Some(format!("Bearer {}x", srv.key))),
    ] {
        for path in ["/permissions/check", "/hooks/claude-code", "/audit/count"] {
            let mut raw = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
            if let Some(a) = &auth {
                raw.push_str(&format!("Authorization: {a}\r\n"));
            }
            raw.push_str("\r\n");
            let mut raw = raw.into_bytes();
            raw.extend_from_slice(body);
            let w = format!("{what} on {path}");
            let r = send(&srv, &raw, &w);
            assert_4xx(&r, 401, &w);
        }
    }
    still_up_and_unchanged(&srv, before, "bad keys");
}

#[test]
fn path_traversal_in_ids_is_a_4xx_and_leaks_nothing() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let install_key = std::fs::read_to_string(inst.home.join("key")).unwrap();
    for path in [
        "/hooks/..%2F..%2Fkey",
        "/hooks/../../key",
        "/hooks/%2e%2e%2fapi_key",
        "/audit/events/..%2F..%2F..%2Fetc%2Fpasswd",
        "/audit/events/../../../etc/passwd",
        "/audit/entity/..%2Fkey/x",
        "/audit/entity/pattern/..%2F..%2Fapi_key",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/hooks/claude-code%00",
    ] {
        for method in ["GET", "POST"] {
            let mut raw = format!(
                "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
                srv.key
            )
            .into_bytes();
            raw.truncate(raw.len());
            let what = format!("{method} {path}");
            let r = send(&srv, &raw, &what);
            assert!(
                (400..500).contains(&r.status),
                "{what}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            let body = String::from_utf8_lossy(&r.body);
            assert!(!body.contains(install_key.trim()), "{what} leaked the key");
            assert!(!body.contains(&srv.key), "{what} leaked the API key");
            assert!(!body.contains("root:"), "{what} leaked /etc/passwd");
        }
    }
    still_up_and_unchanged(&srv, before, "path traversal");
}

#[test]
fn many_silent_connections_do_not_stop_the_server() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    let held: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&srv.addr).ok())
        .collect();
    assert!(held.len() > 100);
    let t = Instant::now();
    let r = srv.check(serde_json::json!({"scope": "ls", "cwd": "/tmp"}));
    assert_eq!(r.status, 200);
    assert!(t.elapsed() < PROMPT, "{:?}", t.elapsed());
    assert_eq!(count(&srv), before + 1);
    drop(held);
}

/// `aiperture config show --api-key` under `script` (a pseudo-terminal): (output, status).
fn api_key_on_a_tty(inst: &Install, env: &[(&str, &str)]) -> (String, Option<i32>) {
    let cmd = format!("'{}' config show --api-key", serve_support::bin().display());
    let mut c = std::process::Command::new("script");
    for (k, _) in std::env::vars() {
        if k.starts_with("AIPERTURE_") {
            c.env_remove(&k);
        }
    }
    c.args(["-qec", &cmd, "/dev/null"])
        .env("AIPERTURE_HOME", &inst.home)
        .env("AIPERTURE_DB_PATH", &inst.db)
        .env("HOME", inst.dir.path().join("user"))
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .output()
        .expect("`script` (util-linux) runs the command on a pseudo-terminal");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

#[test]
fn the_api_key_is_shown_on_a_terminal_only() {
    let inst = Install::new();
    // No key yet: said, on a terminal too.
    let (out, code) = api_key_on_a_tty(&inst, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no API key yet"), "{out}");
    drop(inst.serve(&[]));
    let key = inst.api_key();
    // Piped: refused, with the reason, and the key nowhere.
    let piped = inst
        .cmd()
        .args(["config", "show", "--api-key"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert!(piped.stdout.is_empty());
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(err.contains("not a terminal"), "{err}");
    assert!(!err.contains(key.trim()), "{err}");
    // On a terminal: the generated key, alone on its line.
    let (out, code) = api_key_on_a_tty(&inst, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.trim(), key.trim());
    // The setting wins over the file, as it does for the server.
    let (out, code) = api_key_on_a_tty(&inst, &[("AIPERTURE_API_KEY", "from-the-env")]);
    assert_eq!((out.trim(), code), ("from-the-env", Some(0)));
}
