//! The hook's warm path: the client half. When `aiperture serve` runs for the same home,
//! `aiperture hook` hands its payload to the server over the Unix socket (`serve.sock`) and
//! prints the server's answer instead of opening the store itself (docs/http.md, "Warm path").
//!
//! Everything here is blocking std I/O: no runtime, no HTTP library, one HTTP/1.1 exchange
//! over a [`UnixStream`] with one deadline for the whole call (connect, write, read). Any
//! failure is a [`Miss`] and the caller decides in-process as it would without a server, so
//! the warm path can make a hook faster but never changes what it may answer:
//!
//! * the hook sends a fresh random nonce; the server answers with
//!   `HMAC-SHA256(install key, tag ‖ nonce ‖ runtime ‖ event ‖ payload ‖ exit code ‖ stderr ‖
//!   stdout)` ([`proof`]). A process that is not the gate (an agent's listener on the socket's path)
//!   does not hold the install key and cannot answer for it; the MAC is checked in constant
//!   time;
//! * the hook names the store it would decide on ([`store_id`] in [`STORE_HEADER`]); a
//!   server on another store (the SQLite file against the team store, or another database)
//!   refuses the call before deciding, and the proof covers the server's own store, so an
//!   answer from another store never verifies;
//! * anything but a complete, well-formed `200` with a valid proof within the deadline is a
//!   miss: a refused or missing socket, a timeout, a half answer, garbage, a wrong proof.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// The socket's file name in `AIPERTURE_HOME` (the server's default).
pub const SOCKET_FILE: &str = "serve.sock";

/// The server's generated API key's file name in `AIPERTURE_HOME` (used when the
/// `api_key` setting is empty).
pub const API_KEY_FILE: &str = "api_key";

/// Request header: the hook's nonce, 32 random bytes as 64 hex characters.
pub const NONCE_HEADER: &str = "x-aiperture-nonce";
/// Request header: the caller's environment (`client_env::ClientEnv::encode`: its home, user,
/// project id and how the runtime launched the hook), absent when nothing is known. The proof
/// covers it.
pub const CLIENT_ENV_HEADER: &str = "x-aiperture-client-env";
/// Request header: the store the hook would decide on ([`store_id`]). The proof covers the
/// server's.
pub const STORE_HEADER: &str = "x-aiperture-store";
/// Answer header: the proof, HMAC-SHA256 as 64 hex characters.
pub const PROOF_HEADER: &str = "x-aiperture-proof";
/// Answer header: the hook command's exit code.
pub const EXIT_HEADER: &str = "x-aiperture-exit-code";
/// Answer header: the hook command's line on stderr, hex-encoded UTF-8 (absent when none).
pub const STDERR_HEADER: &str = "x-aiperture-stderr";

/// The largest payload sent to the server (its body limit); a larger one is decided
/// in-process.
pub const MAX_PAYLOAD: usize = 1024 * 1024;

/// The largest answer read (head and body).
pub const MAX_ANSWER: usize = MAX_PAYLOAD + 64 * 1024;

/// The default bound on a warm call (the `hook_warm_timeout_ms` setting).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);

/// Domain separation for the proof, so the MAC cannot be confused with any other use of the
/// install key (the chain head, approval challenges).
const PROOF_TAG: &[u8] = b"aiperture-warm-v1";

/// The server's answer, proven: exactly what `aiperture hook` would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Bytes for stdout (the answer and a newline, or nothing).
    pub stdout: Vec<u8>,
    /// The line for stderr, or empty.
    pub stderr: String,
    /// The exit code.
    pub exit_code: u8,
}

/// Why the warm path was not taken; the hook then decides in-process.
#[derive(Debug)]
pub enum Miss {
    /// No server: no socket, a stale one, or the server's accept queue is full.
    NoServer(std::io::Error),
    /// No complete answer within the bound.
    Timeout,
    /// An answer that is not a well-formed, proven `200`.
    Refused(String),
}

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Miss::NoServer(e) => write!(f, "no server on the socket ({e})"),
            Miss::Timeout => f.write_str("no answer within the bound"),
            Miss::Refused(why) => write!(f, "answer refused: {why}"),
        }
    }
}

/// One warm call: what to send, with which keys, within which bound.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// `aiperture hook`'s runtime argument (sent as the path segment).
    pub runtime: &'a str,
    /// `--event`, when given.
    pub event: Option<&'a str>,
    /// The payload read on stdin.
    pub payload: &'a [u8],
    /// The hook process's environment, as one header line (empty when nothing is known).
    pub client_env: &'a str,
    /// The server's bearer API key.
    pub api_key: &'a str,
    /// The install key the server must prove it holds.
    pub install_key: &'a [u8],
    /// The store the hook would decide on ([`store_id`]).
    pub store: &'a str,
}

/// The name of a store as the warm path compares it: SHA-256 (hex) over a tag and the
/// store's name (`sqlite` for the home's file, or the PostgreSQL URL without its password), so
/// a hook and a server on different stores never agree and no URL travels in a header.
pub fn store_id(location: &str) -> String {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update(b"aiperture-store-v1\0");
    h.update(location.as_bytes());
    hex::encode(h.finalize())
}

/// What a proof covers: the request as the hook sent it and the answer as the server gave it.
#[derive(Debug, Clone, Copy)]
pub struct Proven<'a> {
    /// The hook's nonce.
    pub nonce: &'a [u8],
    /// The runtime, as in the request's path.
    pub runtime: &'a str,
    /// The event, as in the request's query (empty when none).
    pub event: &'a str,
    /// The client environment line the server judged the payload in (empty when none).
    pub client_env: &'a str,
    /// The store the server decided on ([`store_id`]).
    pub store: &'a str,
    /// The payload the server decided (so a relay cannot swap it for another).
    pub payload: &'a [u8],
    /// The answer's exit code.
    pub exit_code: u8,
    /// The answer's stderr line.
    pub stderr: &'a str,
    /// The answer's stdout bytes.
    pub stdout: &'a [u8],
}

/// The proof the server attaches to a hook answer: HMAC-SHA256 with the install key over a
/// fixed tag and every field of `p` (each length-prefixed, so no two inputs collide).
pub fn proof(install_key: &[u8], p: &Proven) -> [u8; 32] {
    mac(install_key, p)
        .map(|m| m.finalize().into_bytes().into())
        .unwrap_or([0; 32])
}

/// The MAC state over one request and answer; `None` only for a key HMAC refuses (none is).
fn mac(install_key: &[u8], p: &Proven) -> Option<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(install_key).ok()?;
    for part in [
        PROOF_TAG,
        p.nonce,
        p.runtime.as_bytes(),
        p.event.as_bytes(),
        p.client_env.as_bytes(),
        p.store.as_bytes(),
        p.payload,
        &[p.exit_code],
        p.stderr.as_bytes(),
        p.stdout,
    ] {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    Some(m)
}

/// Whether a name can go into the request line unescaped (runtime names and events are
/// letters, digits, `-` and `_`).
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Connects to the socket at `path` without waiting: a missing or stale socket, or a server
/// whose accept queue is full, is a [`Miss::NoServer`] at once (one failed `connect`).
pub fn connect(path: &Path) -> Result<UnixStream, Miss> {
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: an all-zero sockaddr_un is a valid value of the type.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.is_empty() || bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(Miss::NoServer(std::io::Error::new(
            ErrorKind::InvalidInput,
            "socket path too long",
        )));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let fd = unix_socket()?;
    let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + bytes.len() + 1;
    // SAFETY: `addr` is a valid sockaddr_un and `len` is within it.
    let rc = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&raw const addr).cast::<libc::sockaddr>(),
            len as libc::socklen_t,
        )
    };
    if rc != 0 {
        // Unix sockets connect at once or not at all (EAGAIN: the queue is full); waiting
        // for a busy server is what the in-process path avoids.
        return Err(Miss::NoServer(std::io::Error::last_os_error()));
    }
    let stream = UnixStream::from(fd);
    stream.set_nonblocking(false).map_err(Miss::NoServer)?;
    Ok(stream)
}

/// A new Unix stream socket, close-on-exec and non-blocking (so that `connect` never waits on
/// a full accept queue): one `socket` call on Linux, plus two `fcntl`s elsewhere.
fn unix_socket() -> Result<OwnedFd, Miss> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: plain socket creation; the descriptor is owned below.
    let fd = unsafe { libc::socket(libc::AF_UNIX, kind, 0) };
    if fd < 0 {
        return Err(Miss::NoServer(std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` is a fresh descriptor this function owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    // SAFETY: setting flags on a descriptor we own.
    unsafe {
        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    Ok(owned)
}

/// Sends `call` over `stream` and reads the proven answer, all within `timeout` from now.
pub fn exchange(mut stream: UnixStream, call: &Call, timeout: Duration) -> Result<Answer, Miss> {
    let deadline = Instant::now() + timeout;
    if !plain(call.runtime) || call.event.is_some_and(|e| !plain(e)) {
        return Err(Miss::Refused("runtime or event not sendable".into()));
    }
    if call.payload.len() > MAX_PAYLOAD {
        return Err(Miss::Refused("payload above the server's limit".into()));
    }
    if call.api_key.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Err(Miss::Refused("API key not sendable in a header".into()));
    }
    if call.client_env.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Err(Miss::Refused(
            "client environment not sendable in a header".into(),
        ));
    }
    if call.store.is_empty() || !call.store.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Miss::Refused("no store to name".into()));
    }
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).map_err(|e| Miss::Refused(format!("no random nonce: {e}")))?;
    let query = call
        .event
        .map(|e| format!("?event={e}"))
        .unwrap_or_default();
    let client_env = if call.client_env.is_empty() {
        String::new()
    } else {
        format!("{CLIENT_ENV_HEADER}: {}\r\n", call.client_env)
    };
    let mut req = format!(
        "POST /hooks/{}{query} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Authorization: Bearer {}\r\n{NONCE_HEADER}: {}\r\n{STORE_HEADER}: {}\r\n\
         {client_env}\r\n",
        call.runtime,
        call.payload.len(),
        call.api_key,
        hex::encode(nonce),
        call.store,
    )
    .into_bytes();
    req.extend_from_slice(call.payload);
    write_all(&mut stream, &req, deadline)?;
    let raw = read_answer(&mut stream, deadline)?;
    let parsed = parse(&raw)?;
    let proven = Proven {
        nonce: &nonce,
        runtime: call.runtime,
        event: call.event.unwrap_or(""),
        client_env: call.client_env,
        store: call.store,
        payload: call.payload,
        exit_code: parsed.answer.exit_code,
        stderr: &parsed.answer.stderr,
        stdout: &parsed.answer.stdout,
    };
    let want = mac(call.install_key, &proven)
        .ok_or_else(|| Miss::Refused("unusable install key".into()))?;
    // `verify_slice` compares in constant time.
    want.verify_slice(&parsed.proof)
        .map_err(|_| Miss::Refused("the proof does not verify".into()))?;
    Ok(parsed.answer)
}

/// What is left until `deadline`, or a timeout.
fn left(deadline: Instant) -> Result<Duration, Miss> {
    let d = deadline.saturating_duration_since(Instant::now());
    if d.is_zero() {
        Err(Miss::Timeout)
    } else {
        Ok(d)
    }
}

/// An I/O error as a miss: a timeout, or a refusal naming the error.
fn io_miss(e: std::io::Error) -> Miss {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Miss::Timeout,
        _ => Miss::Refused(format!("socket: {e}")),
    }
}

fn write_all(s: &mut UnixStream, mut buf: &[u8], deadline: Instant) -> Result<(), Miss> {
    while !buf.is_empty() {
        s.set_write_timeout(Some(left(deadline)?))
            .map_err(io_miss)?;
        match s.write(buf) {
            Ok(0) => return Err(Miss::Refused("the server closed the connection".into())),
            Ok(n) => buf = buf.get(n..).unwrap_or(&[]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_miss(e)),
        }
    }
    Ok(())
}

/// Reads until the head and the announced body are complete (or the server closes), at most
/// [`MAX_ANSWER`] bytes, before `deadline`; a trickle counts against the same deadline.
fn read_answer(s: &mut UnixStream, deadline: Instant) -> Result<Vec<u8>, Miss> {
    let mut raw = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(need) = complete_len(&raw)
            && raw.len() >= need
        {
            raw.truncate(need);
            return Ok(raw);
        }
        s.set_read_timeout(Some(left(deadline)?)).map_err(io_miss)?;
        match s.read(&mut chunk) {
            Ok(0) => return Ok(raw),
            Ok(n) => raw.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_miss(e)),
        }
        if raw.len() > MAX_ANSWER {
            return Err(Miss::Refused("answer too large".into()));
        }
    }
}

/// The end of the head (after its blank line), when it has arrived.
fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The whole answer's length once its head is in and announces a length.
fn complete_len(raw: &[u8]) -> Option<usize> {
    let end = head_end(raw)?;
    let head = std::str::from_utf8(raw.get(..end)?).ok()?;
    let n = header(head, "content-length")?.parse::<usize>().ok()?;
    end.checked_add(n)
}

/// A header's value in `head` (names compared case-insensitively).
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// A parsed answer and the proof it carries.
struct Parsed {
    answer: Answer,
    proof: Vec<u8>,
}

/// Parses a complete answer: `HTTP/1.1 200`, a Content-Length the body matches, an exit code,
/// a proof, an optional stderr line; stdout empty or one line of UTF-8 ending in a newline.
fn parse(raw: &[u8]) -> Result<Parsed, Miss> {
    let bad = |why: &str| Miss::Refused(why.to_string());
    let end = head_end(raw).ok_or_else(|| bad("no complete head"))?;
    let head =
        std::str::from_utf8(raw.get(..end).unwrap_or(&[])).map_err(|_| bad("head is not UTF-8"))?;
    let status = head.split("\r\n").next().unwrap_or("");
    if !(status.starts_with("HTTP/1.1 200 ") || status == "HTTP/1.1 200") {
        return Err(bad("status is not 200"));
    }
    let body = raw.get(end..).unwrap_or(&[]);
    let len = header(head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .ok_or_else(|| bad("no content-length"))?;
    if body.len() != len {
        return Err(bad("body shorter than announced"));
    }
    let exit_code = header(head, EXIT_HEADER)
        .and_then(|v| v.parse::<u8>().ok())
        .ok_or_else(|| bad("no exit code"))?;
    let proof = header(head, PROOF_HEADER)
        .and_then(|v| hex::decode(v).ok())
        .filter(|p| p.len() == 32)
        .ok_or_else(|| bad("no proof"))?;
    let stderr = match header(head, STDERR_HEADER) {
        None | Some("") => String::new(),
        Some(h) => hex::decode(h)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| bad("stderr is not hex UTF-8"))?,
    };
    if !body.is_empty() && (!body.ends_with(b"\n") || std::str::from_utf8(body).is_err()) {
        return Err(bad("stdout is not one line of UTF-8"));
    }
    Ok(Parsed {
        answer: Answer {
            stdout: body.to_vec(),
            stderr,
            exit_code,
        },
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    /// The store the test hooks name.
    const STORE: &str = "5ca1ab1e";

    fn answer_bytes(nonce_hex: &str, stdout: &[u8], key: &[u8], exit: u8) -> Vec<u8> {
        answer_on(STORE, nonce_hex, stdout, key, exit)
    }

    fn answer_on(store: &str, nonce_hex: &str, stdout: &[u8], key: &[u8], exit: u8) -> Vec<u8> {
        let nonce = hex::decode(nonce_hex).unwrap_or_default();
        let p = proof(
            key,
            &Proven {
                nonce: &nonce,
                runtime: "claude-code",
                event: "",
                client_env: "",
                store,
                payload: b"{}",
                exit_code: exit,
                stderr: "why",
                stdout,
            },
        );
        let mut a = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n{EXIT_HEADER}: {exit}\r\n\
             {STDERR_HEADER}: {}\r\n{PROOF_HEADER}: {}\r\n\r\n",
            stdout.len(),
            hex::encode("why"),
            hex::encode(p)
        )
        .into_bytes();
        a.extend_from_slice(stdout);
        a
    }

    /// A one-shot server on a socket pair: reads the request, answers with `answer(nonce)`.
    fn run(answer: impl FnOnce(&str) -> Vec<u8> + Send + 'static) -> Result<Answer, Miss> {
        let (client, mut server) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
        let t = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while complete_len(&got).is_none_or(|n| got.len() < n) {
                let Ok(n) = server.read(&mut buf) else { return };
                if n == 0 {
                    return;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&got).into_owned();
            let nonce = header(&head, NONCE_HEADER).unwrap_or("").to_string();
            let _ = server.write_all(&answer(&nonce));
        });
        let call = Call {
            runtime: "claude-code",
            event: None,
            payload: b"{}",
            client_env: "",
            api_key: "k",
            install_key: &KEY,
            store: STORE,
        };
        let got = exchange(client, &call, Duration::from_secs(5));
        let _ = t.join();
        got
    }

    #[test]
    fn a_proven_answer_is_taken_as_it_is() {
        let got = run(|n| answer_bytes(n, b"{\"a\":1}\n", &KEY, 2));
        let a = got.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.stdout, b"{\"a\":1}\n");
        assert_eq!((a.stderr.as_str(), a.exit_code), ("why", 2));
    }

    #[test]
    fn an_answer_proven_with_another_key_or_nonce_is_refused() {
        let other = [8u8; 32];
        let got = run(move |n| answer_bytes(n, b"{}\n", &other, 0));
        assert!(matches!(got, Err(Miss::Refused(_))), "{got:?}");
        let zero = "00".repeat(32);
        let got = run(move |_| answer_bytes(&zero, b"{}\n", &KEY, 0));
        assert!(matches!(got, Err(Miss::Refused(_))), "{got:?}");
    }

    /// A server on another store (the SQLite file for a hook on the team store, or another
    /// database) cannot answer: its proof names its own store.
    #[test]
    fn an_answer_from_another_store_is_refused() {
        let got = run(|n| answer_on("0ddba11", n, b"{}\n", &KEY, 0));
        assert!(matches!(got, Err(Miss::Refused(_))), "{got:?}");
        assert_ne!(store_id("sqlite:/h/a.db"), store_id("postgres://u@h/db"));
        assert_eq!(store_id("sqlite:/h/a.db"), store_id("sqlite:/h/a.db"));
    }

    #[test]
    fn a_changed_answer_breaks_the_proof() {
        let got = run(|n| {
            let mut a = answer_bytes(n, b"{\"d\":\"ask\"}\n", &KEY, 0);
            let i = a.len() - 5;
            a[i] = b'x';
            a
        });
        assert!(matches!(got, Err(Miss::Refused(_))), "{got:?}");
    }

    #[test]
    fn garbage_and_half_answers_are_refused() {
        for raw in [
            b"garbage".to_vec(),
            b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}".to_vec(),
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n".to_vec(),
            Vec::new(),
        ] {
            let got = run(move |_| raw);
            assert!(matches!(got, Err(Miss::Refused(_))), "{got:?}");
        }
    }

    #[test]
    fn a_silent_server_times_out_within_the_bound() {
        let (client, _server) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
        let call = Call {
            runtime: "codex",
            event: Some("preToolUse"),
            payload: b"{}",
            client_env: "",
            api_key: "k",
            install_key: &KEY,
            store: STORE,
        };
        let t = Instant::now();
        let got = exchange(client, &call, Duration::from_millis(50));
        assert!(matches!(got, Err(Miss::Timeout)), "{got:?}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    #[test]
    fn no_socket_is_no_server() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let got = connect(&dir.path().join(SOCKET_FILE));
        assert!(matches!(got, Err(Miss::NoServer(_))));
        // A stale socket: bound, then its listener gone.
        let p = dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&p));
        assert!(matches!(connect(&p), Err(Miss::NoServer(_))));
    }

    #[test]
    fn proofs_separate_every_field() {
        let base = Proven {
            nonce: b"n",
            runtime: "codex",
            event: "",
            client_env: "",
            store: "",
            payload: b"{}",
            exit_code: 0,
            stderr: "",
            stdout: b"x",
        };
        let p = |v: Proven| proof(&KEY, &v);
        let b = p(base);
        assert_ne!(
            b,
            p(Proven {
                exit_code: 2,
                ..base
            })
        );
        assert_ne!(
            b,
            p(Proven {
                runtime: "codexx",
                stdout: b"",
                ..base
            })
        );
        assert_ne!(b, p(Proven { event: "e", ..base }));
        assert_ne!(
            b,
            p(Proven {
                client_env: "CLAUDE_CODE_ENTRYPOINT=7364",
                ..base
            })
        );
        assert_ne!(
            b,
            p(Proven {
                stderr: "x",
                stdout: b"",
                ..base
            })
        );
        assert_ne!(
            b,
            p(Proven {
                payload: b"{ }",
                ..base
            })
        );
        assert_ne!(
            b,
            p(Proven {
                nonce: b"m",
                ..base
            })
        );
        assert_ne!(
            b,
            p(Proven {
                store: "ab",
                ..base
            })
        );
        assert_ne!(proof(&[1; 32], &base), b);
    }
}
