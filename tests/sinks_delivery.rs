//! Issue 16, audit sinks: the chain's events reach a JSON Lines file, a syslog socket and an
//! HTTP webhook (a loopback server in the test) through `aiperture sinks flush`; hooks never
//! touch a sink; a dead or silent webhook loses nothing and is reported.

mod engine_support;

use engine_support::{Env, T0};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback HTTP server that records every POST body and answers 200 (or, when `silent`,
/// reads the request and never answers).
struct Collector {
    port: u16,
    connections: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<Value>>>,
}

fn collector(silent: bool) -> Collector {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (c, b) = (connections.clone(), bodies.clone());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    auth = line.trim().to_string();
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            if silent {
                held.push(s);
                continue;
            }
            let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            v = serde_json::json!({"auth": auth, "events": v});
            b.lock().unwrap().push(v);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    Collector {
        port,
        connections,
        bodies,
    }
}

fn write_config(env: &Env, lines: &str) {
    std::fs::write(env.home.join("config.toml"), lines).unwrap();
}

fn claude_bash(env: &Env, session: &str, id: &str, command: &str) -> Vec<u8> {
    serde_json::json!({
        "session_id": session, "transcript_path": "/tmp/t", "cwd": env.project_str(),
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": id, "permission_mode": "default"
    })
    .to_string()
    .into_bytes()
}

/// Runs `n` hook calls and returns the slowest one's wall time.
fn hooks(env: &Env, n: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for i in 0..n {
        let start = Instant::now();
        let out = env
            .cmd(T0 + i as i64)
            .args(["hook", "claude-code"])
            .write_stdin(claude_bash(env, "s1", &format!("t{i}"), "npm test"))
            .output()
            .unwrap();
        slowest = slowest.max(start.elapsed());
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert!(!out.stdout.is_empty(), "the hook answered nothing: {out:?}");
    }
    slowest
}

fn chain_len(env: &Env) -> u64 {
    let c = rusqlite::Connection::open(&env.db).unwrap();
    c.query_row("SELECT count(*) FROM audit_events", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd(T0).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_event_reaches_every_sink_once_and_hooks_never_touch_them() {
    let env = Env::new();
    let server = collector(false);
    let syslog_path = env.dir.path().join("log.sock");
    let syslog = std::os::unix::net::UnixDatagram::bind(&syslog_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let jsonl = env.dir.path().join("audit.jsonl");
    write_config(
        &env,
        &format!(
            "sink_jsonl_path = \"{}\"\nsink_syslog = \"unix:{}\"\n\
             sink_webhook_url = \"http://127.0.0.1:{}/ingest\"\nsink_webhook_token = \"tok\"\n\
             sink_batch_size = 2\n",
            jsonl.display(),
            syslog_path.display(),
            server.port
        ),
    );
    hooks(&env, 3);
    // The hooks recorded their events and sent nothing anywhere.
    let n = chain_len(&env);
    assert!(n >= 3, "{n}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
    assert!(!jsonl.exists());

    let (code, out, err) = run(&env, &["sinks", "flush"]);
    assert_eq!(code, 0, "{out}{err}");
    // Webhook: batches of 2, every seq once, in order, with the token.
    let bodies = server.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len() as u64, n.div_ceil(2), "{bodies:?}");
    let mut seqs = Vec::new();
    for b in &bodies {
        assert_eq!(b["auth"], "Authorization: Bearer tok");
        for e in b["events"].as_array().unwrap() {
            assert_eq!(e["hash"].as_str().unwrap().len(), 64);
            seqs.push(e["seq"].as_u64().unwrap());
        }
    }
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    // JSON Lines: the same events.
    let lines: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, n);
    assert_eq!(lines[0]["event_type"], "permission.check");
    // Syslog: one RFC 5424 datagram per event.
    let mut buf = vec![0u8; 65_536];
    for seq in 1..=n {
        let len = syslog.recv(&mut buf).unwrap();
        let msg = String::from_utf8_lossy(&buf[..len]).into_owned();
        assert!(msg.starts_with("<110>1 "), "{msg}");
        let body: Value = serde_json::from_str(msg.split_once(" - ").unwrap().1).unwrap();
        assert_eq!(body["seq"], seq);
    }
    // A second flush sends nothing again; new events go next time.
    run(&env, &["sinks", "flush"]);
    assert_eq!(server.bodies.lock().unwrap().len(), bodies.len());
    hooks(&env, 1);
    run(&env, &["sinks", "flush"]);
    let after = server.bodies.lock().unwrap().clone();
    let last = after.last().unwrap()["events"].as_array().unwrap().clone();
    assert_eq!(last.last().unwrap()["seq"], chain_len(&env));
    let (code, out, _) = run(&env, &["sinks", "status"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("webhook: ok") && out.contains("0 queued"),
        "{out}"
    );
}

#[test]
fn a_dead_or_silent_webhook_loses_nothing_and_is_reported() {
    let env = Env::new();
    // Nothing listens on this port.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write_config(
        &env,
        &format!("sink_webhook_url = \"http://127.0.0.1:{dead}/\"\nsink_timeout_ms = 300\n"),
    );
    hooks(&env, 3);
    let n = chain_len(&env);
    let (code, _, err) = run(&env, &["sinks", "flush"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sink webhook failed"), "{err}");
    let (code, out, _) = run(&env, &["sinks", "status"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAILING") && out.contains(&format!("{n} queued")),
        "{out}"
    );
    let (code, out, _) = run(&env, &["doctor"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL sink"), "{out}");

    // A collector that takes the request and never answers: the flush gives up in bounded
    // time (three attempts of at most 0.3 s per step, plus 1.2 s of back-off).
    let silent = collector(true);
    write_config(
        &env,
        &format!(
            "sink_webhook_url = \"http://127.0.0.1:{}/\"\nsink_timeout_ms = 300\n",
            silent.port
        ),
    );
    let start = Instant::now();
    let (code, _, _) = run(&env, &["sinks", "flush"]);
    assert_eq!(code, 1);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(silent.connections.load(Ordering::SeqCst), 3);
    // Hooks meanwhile: answered, recorded, and not one connection more.
    hooks(&env, 2);
    assert_eq!(silent.connections.load(Ordering::SeqCst), 3);
    let n = chain_len(&env);

    // The collector comes back: everything since seq 1 arrives, nothing lost.
    let live = collector(false);
    write_config(
        &env,
        &format!("sink_webhook_url = \"http://127.0.0.1:{}/\"\n", live.port),
    );
    let (code, out, err) = run(&env, &["sinks", "flush"]);
    assert_eq!(code, 0, "{out}{err}");
    let seqs: Vec<u64> = live
        .bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b["events"].as_array().unwrap().clone())
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    let (code, out, _) = run(&env, &["sinks", "status", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sinks"]["webhook"]["cursor"], n);
    assert_eq!(v["sinks"]["webhook"]["last_error"], "");
}

#[test]
fn sink_settings_are_validated() {
    let env = Env::new();
    for (k, v, needle) in [
        ("sink_jsonl_path", "relative.jsonl", "absolute"),
        ("sink_syslog", "tcp:x:1", "udp:HOST:PORT"),
        ("sink_webhook_url", "https://siem.example/x", "forwarder"),
        ("sink_webhook_url", "ftp://x", "http://"),
    ] {
        write_config(&env, &format!("{k} = \"{v}\"\n"));
        let (code, _, err) = run(&env, &["config", "show"]);
        assert_eq!(code, 1, "{k}={v}");
        assert!(err.contains(needle), "{k}={v}: {err}");
    }
}
