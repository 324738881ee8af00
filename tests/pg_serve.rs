//! `aiperture serve` on the team store (issue 13): servers of two homes on one PostgreSQL
//! database decide on it (health says `postgresql`), learn from each other's approvals, obey
//! a revoke made on the other home, and keep one audit chain that verifies over HTTP; 8
//! clients at once on the pooled store make one event per check; and a hook on the team store
//! is never answered by a server on the SQLite file.
//!
//! Skips (with a line) without `AIPERTURE_TEST_PG_URL`, as tests/pg_*.rs do.

mod serve_support;

use aiperture::store::postgres::testing::{fresh_database, server_url};
use serde_json::{Value, json};
use serve_support::{Install, Server};

/// The team's key, shared by every home (docs/team.md).
const TEAM_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A home on the team store at `url`, with the team's key (also where the admin signer of
/// the test support reads it).
fn home_on(url: &str) -> Install {
    let mut i = Install::new();
    i.env.push(("AIPERTURE_DB_URL".into(), url.into()));
    i.env
        .push(("AIPERTURE_HMAC_SECRET".into(), TEAM_KEY.into()));
    let key = i.home.join("key");
    std::fs::write(&key, TEAM_KEY).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    i
}

fn pre(command: &str, session: &str, id: &str) -> Vec<u8> {
    json!({
        "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": "/home/dev/proj",
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": id
    })
    .to_string()
    .into_bytes()
}

fn post(command: &str, session: &str, id: &str) -> Vec<u8> {
    json!({
        "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": "/home/dev/proj",
        "permission_mode": "default", "hook_event_name": "PostToolUse", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": id,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false, "isImage": false}
    })
    .to_string()
    .into_bytes()
}

/// A PreToolUse through the server's `/hooks/claude-code`: its decision.
fn hook_decision(srv: &Server, command: &str, session: &str, id: &str) -> String {
    let r = srv.authed("POST", "/hooks/claude-code", &pre(command, session, id));
    assert_eq!(r.status, 200);
    r.json()["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn count(srv: &Server) -> u64 {
    let r = srv.authed("GET", "/audit/count", b"");
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["count"].as_u64().unwrap()
}

fn verify(srv: &Server) -> Value {
    let r = srv.authed("GET", "/audit/verify-chain", b"");
    assert_eq!(r.status, 200);
    r.json()
}

#[test]
fn two_servers_on_one_team_store_share_learning_revokes_and_one_chain() {
    let Some(admin) = server_url("pg_serve two servers") else {
        return;
    };
    let url = fresh_database(&admin, "serve2").unwrap();
    let (a, b) = (home_on(&url), home_on(&url));
    let (sa, sb) = (a.serve(&[]), b.serve(&[]));
    for s in [&sa, &sb] {
        let h = s.http("GET", "/health", None, b"").json();
        assert_eq!(h["status"], "ok", "{h}");
        assert_eq!(h["store"], "postgresql", "{h}");
    }
    // Approvals through both servers teach both.
    let cmd = "cargo build --release";
    for n in 0..10 {
        let s = if n % 2 == 0 { &sa } else { &sb };
        let (session, id) = (format!("learn-{n}"), format!("l{n}"));
        assert_eq!(hook_decision(s, cmd, &session, &id), "ask", "approval {n}");
        let r = s.authed("POST", "/hooks/claude-code", &post(cmd, &session, &id));
        assert_eq!(r.status, 200);
    }
    for (n, s) in [&sa, &sb].into_iter().enumerate() {
        assert_eq!(hook_decision(s, cmd, "after", &format!("a{n}")), "allow");
    }
    // Both servers count the one chain; the event one server wrote reads on the other.
    let n = count(&sa);
    assert_eq!(count(&sb), n);
    assert!(n >= 22, "{n}");
    let ev = sb.authed("GET", &format!("/audit/events/{n}"), b"").json();
    assert_eq!(ev["seq"], n, "{ev}");
    let listed = sa.authed("GET", "/audit/events?limit=5", b"").json();
    assert_eq!(listed["count"], 5, "{listed}");
    // A revoke made on home A holds on home B's server at its next call.
    a.cli(&["revoke", cmd]);
    assert_eq!(hook_decision(&sb, cmd, "revoked", "r1"), "ask");
    for s in [&sa, &sb] {
        let v = verify(s);
        assert_eq!(v["intact"], true, "{v}");
        assert_eq!(v["alarm"], false, "{v}");
    }
    // The report and the gauges read the team store too.
    let report = sa.authed("GET", "/report?format=json", b"");
    assert_eq!(report.status, 200);
    let metrics = sb.authed("GET", "/metrics", b"");
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    let chain = count(&sb);
    assert!(
        text.lines()
            .any(|l| l.starts_with("aiperture_audit_chain_length")
                && l.ends_with(&format!(" {chain}"))),
        "{text}"
    );
    // Nothing was written to either home's SQLite file.
    assert!(!a.db.exists() && !b.db.exists());
}

#[test]
fn eight_clients_on_the_pooled_store_make_one_event_per_check() {
    let Some(admin) = server_url("pg_serve concurrency") else {
        return;
    };
    let url = fresh_database(&admin, "serve8").unwrap();
    let home = home_on(&url);
    let srv = home.serve(&[]);
    let before = count(&srv);
    const CLIENTS: usize = 8;
    const CHECKS: usize = 100;
    std::thread::scope(|s| {
        for c in 0..CLIENTS {
            let srv = &srv;
            s.spawn(move || {
                for n in 0..CHECKS {
                    let scope = if n % 2 == 0 { "ls" } else { "git status" };
                    let r = srv.check(json!({"scope": scope, "session_id": format!("c{c}")}));
                    assert_eq!(r.status, 200, "client {c} check {n}: {:?}", r.json());
                }
            });
        }
    });
    assert_eq!(count(&srv) - before, (CLIENTS * CHECKS) as u64);
    let checks = srv
        .authed(
            "GET",
            "/audit/events?event_type=permission.check&limit=1000",
            b"",
        )
        .json();
    assert_eq!(
        checks["count"],
        CLIENTS * CHECKS,
        "every check is one event"
    );
    let v = verify(&srv);
    assert_eq!(v["intact"], true, "{v}");
}

#[test]
fn a_hook_on_the_team_store_is_not_answered_by_a_server_on_the_sqlite_file() {
    let Some(admin) = server_url("pg_serve warm store") else {
        return;
    };
    let url = fresh_database(&admin, "servewarm").unwrap();
    let mut home = Install::new();
    // The server runs on the home's SQLite file...
    let srv = home.serve(&[]);
    let h = srv.http("GET", "/health", None, b"").json();
    assert_eq!(h["store"], "sqlite", "{h}");
    let on_file = count(&srv);
    // ...and a hook of the same home selects the team store: it must decide itself, there.
    home.env.push(("AIPERTURE_DB_URL".into(), url.clone()));
    let (out, code) = home.hook("claude-code", &pre("ls", "warm", "w1"));
    assert_eq!(code, 0);
    assert!(!out.is_empty());
    assert_eq!(
        count(&srv),
        on_file,
        "the server on the file recorded nothing"
    );
    let team = home.cli(&["audit", "list", "--json", "--type", "permission.check"]);
    assert_eq!(team.lines().count(), 1, "{team}");

    // A server on the team store answers the same home's hooks on it (the warm path).
    drop(srv);
    let srv = home.serve(&[]);
    assert_eq!(
        srv.http("GET", "/health", None, b"").json()["store"],
        "postgresql"
    );
    let before = count(&srv);
    let (_, code) = home.hook("claude-code", &pre("ls", "warm", "w2"));
    assert_eq!(code, 0);
    assert_eq!(count(&srv), before + 1);
    // A hook naming another store is refused by the server before anything is decided.
    let body = pre("ls", "warm", "w3");
    let mut raw = format!(
        "POST /hooks/claude-code HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Bearer {}\r\n\
         x-aiperture-nonce: {}\r\nx-aiperture-store: {}\r\n\r\n",
        body.len(),
        srv.key,
        "ab".repeat(32),
        aiperture::warm::store_id("sqlite"),
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    let r = srv.raw(&raw);
    assert_eq!(r.status, 409, "{:?}", r.json());
    assert_eq!(count(&srv), before + 1, "the refused call wrote nothing");
}
