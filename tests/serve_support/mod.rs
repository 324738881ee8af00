//! Shared set-up for the server suite (`tests/serve_*.rs`): a temporary install, a running
//! `aiperture serve` on a free loopback port (`--http 127.0.0.1:0`; the bound address is read
//! from its stdout) and a socket in the install's home, and a tiny HTTP/1.1 client over
//! `TcpStream` or `UnixStream` (one request per connection, `Connection: close`).
//!
//! A server still running when its [`Server`] is dropped is killed by its pid (SIGKILL).
#![allow(dead_code)]

#[path = "../admin_support/mod.rs"]
mod admin_support;
pub use admin_support::AdminCmd;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The project id every test install pins (`AIPERTURE_PROJECT_ID`).
pub const PROJECT: &str = "proj";

/// 2026-03-01T12:00:00Z, for `AIPERTURE_NOW_MS` (honoured by debug builds only).
pub const T0: i64 = 1_772_366_400_000;

/// The debug binary under test.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("aiperture")
}

/// The small hook client under test (`aiperture-warm`), built beside [`bin`].
pub fn warm_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("aiperture-warm")
}

/// Runs `c` with `payload` on its stdin: (stdout, stderr, exit code, -1 when killed). A
/// program may answer without reading its stdin (a usage error): the write may then fail.
pub fn run_with_stdin(mut c: Command, payload: &[u8]) -> (Vec<u8>, Vec<u8>, i32) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(payload);
    let out = child.wait_with_output().unwrap();
    (out.stdout, out.stderr, out.status.code().unwrap_or(-1))
}

/// A fixture payload from `../shared/fixtures`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A temporary installation: config home, store path, a fake user home.
pub struct Install {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub db: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Install {
    /// A fresh install with a pinned project and clock.
    pub fn new() -> Install {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(dir.path().join("user")).unwrap();
        let db = dir.path().join("data").join("aiperture.db");
        Install {
            dir,
            home,
            db,
            env: vec![
                ("AIPERTURE_PROJECT_ID".into(), PROJECT.into()),
                ("AIPERTURE_NOW_MS".into(), T0.to_string()),
            ],
        }
    }

    /// A command for the binary with this install's environment (and no other AIPERTURE_*).
    pub fn cmd(&self) -> Command {
        self.cmd_of(&bin())
    }

    /// A command for `program` with this install's environment (and no other AIPERTURE_*).
    pub fn cmd_of(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("AIPERTURE_") {
                c.env_remove(&k);
            }
        }
        c.env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", &self.db)
            .env("HOME", self.dir.path().join("user"));
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs a CLI command to completion (stdin closed); panics on a non-zero exit.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self
            .cmd()
            .args_signed_if_admin(&self.home, args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aiperture {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `aiperture hook <runtime>` on `payload`: (stdout bytes, exit code).
    pub fn hook(&self, runtime: &str, payload: &[u8]) -> (Vec<u8>, i32) {
        let mut child = self
            .cmd()
            .args(["hook", runtime])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(payload).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.stdout, out.status.code().unwrap_or(-1))
    }

    /// The generated API key.
    pub fn api_key(&self) -> String {
        std::fs::read_to_string(self.home.join("api_key")).unwrap()
    }

    /// Starts `aiperture serve --http 127.0.0.1:0` plus `extra` arguments and waits until it
    /// says it is ready; its key is the generated file's.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut s = self.serve_with_key(extra, "");
        s.key = self.api_key();
        s
    }

    /// As [`Install::serve`], with a key known to the test (`AIPERTURE_API_KEY`).
    pub fn serve_with_key(&self, extra: &[&str], key: &str) -> Server {
        let mut child = self
            .cmd()
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut addr, mut socket) = (None, None);
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("serve ended before it was ready: {err}");
            }
            if let Some(a) = line
                .trim()
                .strip_prefix("aiperture serve: listening on http://")
            {
                addr = Some(a.to_string());
            } else if let Some(p) = line
                .trim()
                .strip_prefix("aiperture serve: listening on unix:")
            {
                socket = Some(PathBuf::from(p));
            } else if line.contains("ready") {
                break;
            }
        }
        Server {
            child,
            addr: addr.expect("no http address printed"),
            socket: socket.expect("no socket printed"),
            key: key.to_string(),
        }
    }
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub socket: PathBuf,
    pub key: String,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value (name lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Writes one request and reads the whole answer.
pub fn exchange<S: Read + Write>(
    mut s: S,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(k) = key {
        head.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    // A server may answer (a 401 after the head) and close before reading the body: the
    // answer counts, a write error only when no answer came.
    let wrote = s.write_all(&request).and_then(|()| s.flush());
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    if raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Ok(parse(&raw));
    }
    wrote?;
    read?;
    Ok(parse(&raw))
}

/// Writes the rest of a request (its body) on a stream whose head was written, and reads
/// the answer.
pub fn exchange_rest<S: Read + Write>(mut s: S, body: &[u8]) -> Reply {
    s.write_all(body).unwrap();
    s.flush().unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

/// Parses a raw HTTP/1.1 answer with a Content-Length (or none: the rest is the body).
pub fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some(n) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(n);
    }
    Reply {
        status,
        headers,
        body,
    }
}

impl Server {
    /// A request over HTTP.
    pub fn http(&self, method: &str, path: &str, key: Option<&str>, body: &[u8]) -> Reply {
        let s = std::net::TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        exchange(s, method, path, key, body).unwrap()
    }

    /// A request over the Unix socket.
    pub fn unix(&self, method: &str, path: &str, key: Option<&str>, body: &[u8]) -> Reply {
        let s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        exchange(s, method, path, key, body).unwrap()
    }

    /// Writes `raw` (a whole request, as bytes) over HTTP and reads the answer; write
    /// errors are ignored (a server may answer and close before reading everything).
    pub fn raw(&self, raw: &[u8]) -> Reply {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = s.write_all(raw);
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        parse(&got)
    }

    /// A request with the server's key.
    pub fn authed(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        self.http(method, path, Some(&self.key.clone()), body)
    }

    /// `POST /permissions/check` with a JSON body.
    pub fn check(&self, body: serde_json::Value) -> Reply {
        self.authed("POST", "/permissions/check", body.to_string().as_bytes())
    }

    /// Sends `sig` to the server.
    pub fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: sending a signal to a child this test started and has not reaped.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    /// Waits for the server to exit (at most `limit`): its exit code, and its stderr.
    pub fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, String) {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (st.code(), err);
            }
            assert!(
                start.elapsed() < limit,
                "server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
