//! Audit sinks: copies of the chain's events for a SIEM — a JSON Lines file, syslog (RFC 5424
//! over a Unix datagram socket or UDP) or an HTTP webhook (a JSON array per batch).
//!
//! This module only formats and sends a batch; it knows no store and no settings. Delivery
//! never runs inside a hook: the store's chain is the queue (every event is already there,
//! committed with the check it records), and a deliverer (`aiperture sinks flush|run`, see
//! `src/cli/sinks.rs` and docs/sinks.md) reads the events after each sink's cursor, sends
//! them and moves the cursor only once the sink has taken them. A failed sink keeps its
//! cursor, so nothing is lost; the chain stays the source of truth.

use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

use super::AuditEvent;
use crate::clock::format_rfc3339;

/// Where one sink sends events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Append JSON Lines to this absolute path.
    JsonLines(std::path::PathBuf),
    /// Syslog datagrams to a Unix socket (`/dev/log`).
    SyslogUnix(std::path::PathBuf),
    /// Syslog datagrams over UDP to `host:port`.
    SyslogUdp(String),
    /// HTTP POST of a JSON array to `http://host:port/path`, with an optional bearer token.
    Webhook {
        /// `host:port`.
        authority: String,
        /// Path and query, starting with `/`.
        path: String,
        /// Sent as `Authorization: Bearer …` when not empty.
        token: String,
    },
}

impl Target {
    /// The sink's name, used for its state file (`jsonl`, `syslog`, `webhook`).
    pub fn name(&self) -> &'static str {
        match self {
            Target::JsonLines(_) => "jsonl",
            Target::SyslogUnix(_) | Target::SyslogUdp(_) => "syslog",
            Target::Webhook { .. } => "webhook",
        }
    }

    /// A syslog target from a setting: `unix:/dev/log`, `udp:HOST:PORT`, or `default`
    /// (`unix:/dev/log`).
    pub fn syslog(spec: &str) -> Result<Target, String> {
        let spec = spec.trim();
        if spec == "default" {
            return Ok(Target::SyslogUnix("/dev/log".into()));
        }
        if let Some(p) = spec.strip_prefix("unix:") {
            if !p.starts_with('/') {
                return Err(format!("syslog socket must be an absolute path, got `{p}`"));
            }
            return Ok(Target::SyslogUnix(p.into()));
        }
        if let Some(a) = spec.strip_prefix("udp:") {
            if a.rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_err())
            {
                return Err(format!("syslog UDP address must be HOST:PORT, got `{a}`"));
            }
            return Ok(Target::SyslogUdp(a.into()));
        }
        Err(format!(
            "expected `default`, `unix:/path` or `udp:HOST:PORT`, got `{spec}`"
        ))
    }

    /// A webhook target from a URL (`http://` only; put a local forwarder in front of an
    /// HTTPS collector).
    pub fn webhook(url: &str, token: &str) -> Result<Target, String> {
        let url = url.trim();
        if url.starts_with("https://") {
            return Err(
                "https:// is not built in; point the webhook at a local forwarder (http://127.0.0.1:…)"
                    .into(),
            );
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("expected an http:// URL, got `{url}`"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            return Err(format!("bad host in `{url}`"));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(Target::Webhook {
            authority,
            path: path.to_string(),
            token: token.to_string(),
        })
    }
}

/// One event as a sink receives it: the fields of the chain (so a collector can re-check
/// hashes and links), with `ts` added in RFC 3339.
pub fn event_json(e: &AuditEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("ts".into(), Value::String(format_rfc3339(e.ts_ms)));
        m.insert("source".into(), Value::String("aiperture".into()));
    }
    v
}

/// The largest syslog datagram sent; a bigger event goes without its `details`.
const SYSLOG_MAX: usize = 8 * 1024;

/// One RFC 5424 line: facility 13 (log audit), severity 6 (info), MSGID the event type.
pub fn syslog_line(e: &AuditEvent, host: &str, pid: u32) -> String {
    let mut body = event_json(e);
    let mut text = body.to_string();
    if text.len() > SYSLOG_MAX {
        if let Value::Object(m) = &mut body {
            m.insert("details".into(), Value::Null);
            m.insert("details_truncated".into(), Value::Bool(true));
        }
        text = body.to_string();
    }
    let msgid: String = e
        .event_type
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let msgid = if msgid.is_empty() { "-".into() } else { msgid };
    format!(
        "<110>1 {} {} aiperture {pid} {msgid} - {text}",
        format_rfc3339(e.ts_ms),
        if host.is_empty() { "-" } else { host }
    )
}

/// Sends one batch to `target`; `Ok` only when the sink took all of it. `timeout` bounds
/// each network step (connect, write, read).
pub fn send(target: &Target, events: &[AuditEvent], timeout: Duration) -> Result<(), String> {
    match target {
        Target::JsonLines(path) => send_jsonl(path, events),
        Target::SyslogUnix(path) => {
            let sock = std::os::unix::net::UnixDatagram::unbound().map_err(|e| e.to_string())?;
            sock.set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            let (host, pid) = (hostname(), std::process::id());
            for e in events {
                sock.send_to(syslog_line(e, &host, pid).as_bytes(), path)
                    .map_err(|err| format!("{}: {err}", path.display()))?;
            }
            Ok(())
        }
        Target::SyslogUdp(addr) => {
            let sock = std::net::UdpSocket::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
            sock.set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            let (host, pid) = (hostname(), std::process::id());
            for e in events {
                sock.send_to(syslog_line(e, &host, pid).as_bytes(), addr.as_str())
                    .map_err(|err| format!("{addr}: {err}"))?;
            }
            Ok(())
        }
        Target::Webhook {
            authority,
            path,
            token,
        } => {
            let body = Value::Array(events.iter().map(event_json).collect()).to_string();
            post(authority, path, token, &body, timeout)
        }
    }
}

fn send_jsonl(path: &std::path::Path, events: &[AuditEvent]) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::new();
    for e in events {
        text.push_str(&event_json(e).to_string());
        text.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {}", path.display(), crate::paths::io_problem(&e)))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("{}: {}", path.display(), crate::paths::io_problem(&e)))
}

/// This machine's name for syslog's HOSTNAME field (`-` when unknown).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or_else(|| "-".into())
}

/// One HTTP/1.1 POST with `Connection: close`; a 2xx status is success.
fn post(
    authority: &str,
    path: &str,
    token: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .collect();
    let mut last = format!("{authority}: no address");
    let mut stream = None;
    for a in addrs {
        match std::net::TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("{authority}: {e}"),
        }
    }
    let mut s = stream.ok_or(last)?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: aiperture/{}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body.as_bytes()))
        .map_err(|e| format!("{authority}: {e}"))?;
    let mut status = [0u8; 12];
    s.read_exact(&mut status)
        .map_err(|e| format!("{authority}: no answer ({e})"))?;
    let line = String::from_utf8_lossy(&status);
    let code = line.get(9..12).unwrap_or("");
    if line.starts_with("HTTP/1.") && code.starts_with('2') {
        Ok(())
    } else {
        Err(format!("{authority}: answered `{}`", line.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, details: Value) -> AuditEvent {
        AuditEvent {
            seq,
            ts_ms: 1_772_366_400_000,
            event_type: "permission.check".into(),
            actor_type: "agent".into(),
            actor: "claude-code".into(),
            runtime: "claude-code".into(),
            session_id: "s".into(),
            project: "/p".into(),
            principal: "alice".into(),
            host: "box1".into(),
            entity: "shell/execute".into(),
            summary: "npm test".into(),
            details,
            prev_hash: "0".repeat(64),
            hash: "a".repeat(64),
        }
    }

    #[test]
    fn targets_parse_or_say_what_was_expected() {
        assert_eq!(
            Target::syslog("default"),
            Ok(Target::SyslogUnix("/dev/log".into()))
        );
        assert_eq!(
            Target::syslog("udp:127.0.0.1:514"),
            Ok(Target::SyslogUdp("127.0.0.1:514".into()))
        );
        assert!(Target::syslog("unix:dev/log").is_err());
        assert!(Target::syslog("tcp:x:1").is_err());
        assert_eq!(
            Target::webhook("http://127.0.0.1:9000/ingest?x=1", "t"),
            Ok(Target::Webhook {
                authority: "127.0.0.1:9000".into(),
                path: "/ingest?x=1".into(),
                token: "t".into()
            })
        );
        assert_eq!(
            Target::webhook("http://siem.local", ""),
            Ok(Target::Webhook {
                authority: "siem.local:80".into(),
                path: "/".into(),
                token: String::new()
            })
        );
        assert!(
            Target::webhook("https://siem", "")
                .unwrap_err()
                .contains("forwarder")
        );
        assert!(Target::webhook("http://u:p@h/", "").is_err());
    }

    #[test]
    fn a_syslog_line_is_rfc5424_and_bounded() {
        let line = syslog_line(&ev(7, serde_json::json!({"k": "v"})), "box", 42);
        assert!(
            line.starts_with("<110>1 2026-03-01T12:00:00")
                && line.contains(" box aiperture 42 permission.check - {"),
            "{line}"
        );
        let body: Value = serde_json::from_str(line.split_once(" - ").unwrap().1).unwrap();
        assert_eq!(body["seq"], 7);
        assert_eq!(body["details"]["k"], "v");
        let big = syslog_line(
            &ev(8, serde_json::json!({"k": "x".repeat(20_000)})),
            "box",
            1,
        );
        assert!(big.len() < SYSLOG_MAX + 1024, "{}", big.len());
        assert!(big.contains("\"details_truncated\":true"));
    }

    #[test]
    fn a_jsonl_file_gets_one_line_per_event_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let t = Target::JsonLines(path.clone());
        send(
            &t,
            &[ev(1, Value::Null), ev(2, Value::Null)],
            Duration::from_secs(1),
        )
        .unwrap();
        send(&t, &[ev(3, Value::Null)], Duration::from_secs(1)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn a_dead_webhook_is_an_error_not_a_hang() {
        // Bind then drop: nothing listens on this port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Target::webhook(&format!("http://127.0.0.1:{port}/"), "").unwrap();
        let err = send(&t, &[ev(1, Value::Null)], Duration::from_millis(500)).unwrap_err();
        assert!(err.contains("127.0.0.1"), "{err}");
    }
}
