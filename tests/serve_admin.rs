//! The admin routes over HTTP (issue 11): `POST /permissions/grant`, `POST
//! /permissions/revoke`, `PATCH /config`. The API key alone never changes what the gate
//! allows: each act needs an `Aiperture-Admin-Challenge` signed with the install key over
//! `http`, the method, the path and the SHA-256 of the exact body, once. The challenge is made
//! here by its own HMAC code, from the format docs/http.md gives, not by the library's.

mod serve_support;

use serde_json::{Value, json};
use serve_support::{Install, Server};
use std::io::Write;
use std::process::Stdio;

/// A challenge for `args` signed with the install's key, issued `age_s` ago: the HMAC-SHA256
/// over `aiperture-admin-v1`, the seconds, the nonce and the arguments, joined by NUL bytes.
fn sign_args(inst: &Install, args: &[&str], age_s: u64) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let key = aiperture::key::load_or_create(&inst.home.join("key")).unwrap();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - age_s;
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).unwrap();
    let nonce = hex::encode(raw);
    let mut msg = format!("aiperture-admin-v1\0{secs}\0{nonce}");
    for a in args {
        msg.push('\0');
        msg.push_str(a);
    }
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    m.update(msg.as_bytes());
    format!(
        "a1.{secs}.{nonce}.{}",
        hex::encode(m.finalize().into_bytes())
    )
}

/// A challenge for the HTTP act `method path body`: signed over `http`, the method, the path
/// and the SHA-256 (hex) of the exact body.
fn challenge_aged(inst: &Install, method: &str, path: &str, body: &[u8], age_s: u64) -> String {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(body));
    sign_args(inst, &["http", method, path, &digest], age_s)
}

fn challenge(inst: &Install, method: &str, path: &str, body: &[u8]) -> String {
    challenge_aged(inst, method, path, body, 0)
}

/// One request with the server's key and, when given, a challenge header.
fn admin(
    srv: &Server,
    method: &str,
    path: &str,
    body: &[u8],
    ch: Option<&str>,
) -> serve_support::Reply {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Bearer {}\r\n",
        body.len(),
        srv.key
    );
    if let Some(c) = ch {
        head.push_str(&format!("Aiperture-Admin-Challenge: {c}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    srv.raw(&raw)
}

/// A correctly signed admin request.
fn signed(
    inst: &Install,
    srv: &Server,
    method: &str,
    path: &str,
    body: &[u8],
) -> serve_support::Reply {
    let ch = challenge(inst, method, path, body);
    admin(srv, method, path, body, Some(&ch))
}

fn count(srv: &Server) -> u64 {
    srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap()
}

fn text(r: &serve_support::Reply) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The events of `event_type`, newest first, as `GET /audit/events` lists them.
fn events(srv: &Server, event_type: &str) -> Vec<Value> {
    let r = srv.authed(
        "GET",
        &format!("/audit/events?event_type={event_type}"),
        b"",
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    r.json()["events"].as_array().cloned().unwrap_or_default()
}

/// A Claude Code PreToolUse payload for a Bash command.
fn bash(command: &str) -> Vec<u8> {
    json!({
        "session_id": "s-admin",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/acme",
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": "toolu_1",
    })
    .to_string()
    .into_bytes()
}

/// `aiperture hook claude-code`'s decision for `command`; `warm: false` decides in-process.
fn hook_decision(inst: &Install, command: &str, warm: bool) -> String {
    let mut c = inst.cmd();
    c.args(["hook", "claude-code"]);
    if !warm {
        c.env("AIPERTURE_HOOK_WARM_TIMEOUT_MS", "0");
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&bash(command))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    let v: Value = serde_json::from_str(&s).unwrap_or_else(|e| panic!("{e}: {s:?}"));
    v["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn check_decision(srv: &Server, command: &str) -> String {
    let r = srv.check(json!({"scope": command, "cwd": "/tmp/acme", "session_id": "s-check"}));
    assert_eq!(r.status, 200, "{}", text(&r));
    r.json()["decision"].as_str().unwrap().to_string()
}

const GRANT: &str = "/permissions/grant";
const REVOKE: &str = "/permissions/revoke";

#[test]
fn a_grant_needs_a_challenge_for_exactly_this_act_once() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let body = json!({"scope": "npm test", "decision": "allow", "ttl_seconds": 600}).to_string();
    let body = body.as_bytes();
    let before = count(&srv);

    // No challenge, or one that is not a token: 400.
    for ch in [None, Some(""), Some("a1.1.00.00")] {
        let r = admin(&srv, "POST", GRANT, body, ch);
        assert_eq!(r.status, 400, "{ch:?}: {}", text(&r));
    }
    // A challenge for another act (another body, another route, another method), one
    // signed with another key, an expired one: 403.
    let other_body =
        json!({"scope": "npm test *", "decision": "allow", "ttl_seconds": 600}).to_string();
    let wrong = [
        challenge(&inst, "POST", GRANT, other_body.as_bytes()),
        challenge(&inst, "POST", REVOKE, body),
        challenge(&inst, "PATCH", GRANT, body),
        challenge_aged(&inst, "POST", GRANT, body, 3600),
        {
            let good = challenge(&inst, "POST", GRANT, body);
            let (head, mac) = good.rsplit_once('.').unwrap();
            let flipped = if mac.starts_with('0') { "1" } else { "0" };
            format!("{head}.{flipped}{}", &mac[1..])
        },
    ];
    for ch in &wrong {
        let r = admin(&srv, "POST", GRANT, body, Some(ch));
        assert_eq!(r.status, 403, "{ch}: {}", text(&r));
        assert_eq!(r.json()["error"], "forbidden");
    }
    // The same body with a key of the API but no proof: an agent holding the API key
    // cannot grant, whatever it sends.
    assert_eq!(srv.authed("POST", GRANT, body).status, 400);
    assert_eq!(count(&srv), before, "a refused act writes nothing");
    assert_eq!(check_decision(&srv, "npm test"), "ask");
    let before = count(&srv);

    // The right challenge: 201, audited like `aiperture grant`, once.
    let ch = challenge(&inst, "POST", GRANT, body);
    let r = admin(&srv, "POST", GRANT, body, Some(&ch));
    assert_eq!(r.status, 201, "{}", text(&r));
    let g = r.json();
    assert_eq!(g["granted"], true);
    assert_eq!(g["grant"]["decision"], "allow", "{g}");
    assert_eq!(count(&srv), before + 1);
    let ev = &events(&srv, "grant.created")[0];
    assert_eq!(ev["actor"], "http:admin", "{ev}");
    assert_eq!(ev["actor_type"], "human", "{ev}");
    // Replay: 403, nothing more written.
    let again = admin(&srv, "POST", GRANT, body, Some(&ch));
    assert_eq!(again.status, 403, "{}", text(&again));
    assert!(text(&again).contains("already used"), "{}", text(&again));
    assert_eq!(count(&srv), before + 1);
}

#[test]
fn a_granted_pattern_decides_checks_and_hooks_until_it_is_revoked() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    assert_eq!(check_decision(&srv, "npm test"), "ask");
    assert_eq!(hook_decision(&inst, "npm test", false), "ask");

    let body = json!({"scope": "npm test", "decision": "allow", "granted_by": "alice",
                      "task_id": "T-1"})
    .to_string();
    let r = signed(&inst, &srv, "POST", GRANT, body.as_bytes());
    assert_eq!(r.status, 201, "{}", text(&r));
    let id = r.json()["permission_id"].as_str().unwrap().to_string();
    assert_eq!(events(&srv, "grant.created")[0]["actor"], "http:alice");

    assert_eq!(check_decision(&srv, "npm test"), "allow");
    assert_eq!(hook_decision(&inst, "npm test", false), "allow");
    assert_eq!(hook_decision(&inst, "npm test", true), "allow");
    // The grant shows on the CLI as any other.
    assert!(inst.cli(&["grant", "--list"]).contains(&id));

    // Revoking needs its own challenge; then the grant no longer decides.
    let rb = json!({"grant_id": id}).to_string();
    assert_eq!(admin(&srv, "POST", REVOKE, rb.as_bytes(), None).status, 400);
    let r = signed(&inst, &srv, "POST", REVOKE, rb.as_bytes());
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["grant_id"], id.as_str());
    let ev = &events(&srv, "grant.revoked")[0];
    assert_eq!(ev["actor"], "http:admin", "{ev}");
    assert_eq!(check_decision(&srv, "npm test"), "ask");
    assert_eq!(hook_decision(&inst, "npm test", false), "ask");

    // Nothing left to revoke: 404, nothing written.
    let before = count(&srv);
    let r = signed(&inst, &srv, "POST", REVOKE, rb.as_bytes());
    assert_eq!(r.status, 404, "{}", text(&r));
    assert_eq!(count(&srv), before);
}

#[test]
fn a_grant_the_engine_refuses_is_a_422_and_writes_nothing() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    for body in [
        json!({"scope": "rm -rf /", "decision": "allow"}),
        json!({"scope": "npm test", "decision": "allow", "ttl_seconds": 0}),
        json!({"scope": "npm test", "decision": "allow", "ttl_seconds": 1.5}),
        json!({"scope": "npm test", "decision": "allow", "ttl_seconds": 40 * 86_400}),
    ] {
        let b = body.to_string();
        let r = signed(&inst, &srv, "POST", GRANT, b.as_bytes());
        assert_eq!(r.status, 422, "{body}: {}", text(&r));
    }
    for body in [
        json!({"scope": "npm test", "decision": "maybe"}),
        json!({"decision": "allow"}),
        json!({"scope": "npm test", "decision": "allow", "ttl_seconds": "1h"}),
    ] {
        let b = body.to_string();
        let r = signed(&inst, &srv, "POST", GRANT, b.as_bytes());
        assert_eq!(r.status, 400, "{body}: {}", text(&r));
    }
    assert_eq!(count(&srv), before);
}

#[test]
fn patch_config_validates_like_config_set_and_is_audited() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = count(&srv);
    // What `config set` refuses, PATCH refuses with 422; an unknown name too.
    let refused = inst
        .cmd()
        .args(["config", "set", "rate_limit_per_minute", "lots"])
        .env(
            "AIPERTURE_ADMIN_CHALLENGE",
            sign_args(
                &inst,
                &["config", "set", "rate_limit_per_minute", "lots"],
                0,
            ),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("rate_limit_per_minute") && !why.contains("challenge"),
        "{why}"
    );
    for body in [
        json!({"settings": {"rate_limit_per_minute": "lots"}}),
        json!({"settings": {"no_such_setting": 1}}),
        json!({"settings": {}}),
    ] {
        let b = body.to_string();
        let r = signed(&inst, &srv, "PATCH", "/config", b.as_bytes());
        assert_eq!(r.status, 422, "{body}: {}", text(&r));
    }
    // Malformed bodies: 400.
    for b in [
        &b"not json"[..],
        b"[1]",
        br#"{"settings": 3}"#,
        br#"{"settings": {"rate_limit_per_minute": {"a": 1}}}"#,
    ] {
        let r = signed(&inst, &srv, "PATCH", "/config", b);
        assert_eq!(
            r.status,
            400,
            "{}: {}",
            String::from_utf8_lossy(b),
            text(&r)
        );
    }
    // Without a challenge, or with the API key only: 400; with one for another body: 403.
    let body = json!({"settings": {"rate_limit_per_minute": 42}}).to_string();
    assert_eq!(srv.authed("PATCH", "/config", body.as_bytes()).status, 400);
    let other = challenge(
        &inst,
        "PATCH",
        "/config",
        br#"{"settings":{"rate_limit_per_minute":0}}"#,
    );
    assert_eq!(
        admin(&srv, "PATCH", "/config", body.as_bytes(), Some(&other)).status,
        403
    );
    assert_eq!(count(&srv), before, "a refused act writes nothing");
    assert_ne!(
        inst.cli(&["config", "get", "rate_limit_per_minute"]).trim(),
        "42"
    );

    // Accepted: written to the file as `config set` writes it, audited as `config.changed`.
    let r = signed(&inst, &srv, "PATCH", "/config", body.as_bytes());
    assert_eq!(r.status, 200, "{}", text(&r));
    let v = r.json();
    assert_eq!(v["settings"][0]["key"], "rate_limit_per_minute", "{v}");
    assert_eq!(v["settings"][0]["new"], "42", "{v}");
    assert_eq!(
        inst.cli(&["config", "get", "rate_limit_per_minute"]).trim(),
        "42"
    );
    assert_eq!(count(&srv), before + 1);
    let ev = &events(&srv, "config.changed")[0];
    assert_eq!(ev["actor"], "http:admin", "{ev}");
    assert_eq!(ev["runtime"], "http", "{ev}");
    assert_eq!(ev["details"]["key"], "rate_limit_per_minute", "{ev}");
    assert_eq!(ev["details"]["new"], "42", "{ev}");

    // null unsets, as `config unset`.
    let body = json!({"settings": {"rate_limit_per_minute": null}}).to_string();
    let r = signed(&inst, &srv, "PATCH", "/config", body.as_bytes());
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["settings"][0]["unset"], true);
    assert_ne!(
        inst.cli(&["config", "get", "rate_limit_per_minute"]).trim(),
        "42"
    );
    let ev = &events(&srv, "config.changed")[0];
    assert_eq!(ev["details"]["unset"], true, "{ev}");
}

#[test]
fn a_cli_challenge_does_not_work_over_http_nor_an_http_one_on_the_cli() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let body = json!({"settings": {"rate_limit_per_minute": 7}}).to_string();
    // The CLI's challenge for the same change.
    let cli = sign_args(&inst, &["config", "set", "rate_limit_per_minute", "7"], 0);
    assert_eq!(
        admin(&srv, "PATCH", "/config", body.as_bytes(), Some(&cli)).status,
        403
    );
    // The HTTP challenge given to the CLI.
    let http = challenge(&inst, "PATCH", "/config", body.as_bytes());
    let out = inst
        .cmd()
        .args(["config", "set", "rate_limit_per_minute", "7"])
        .env("AIPERTURE_ADMIN_CHALLENGE", &http)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly these arguments"));
}

/// The recipe docs/http.md gives ("Admin acts"), taken from the document and run as written
/// with bash, openssl and curl.
#[test]
fn the_documented_openssl_recipe_signs_an_http_admin_act() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/http.md")).unwrap();
    let start = doc
        .find("admin_http() {")
        .expect("the recipe is in docs/http.md");
    let end = start + doc[start..].find("\n}\n").unwrap() + 3;
    let recipe = &doc[start..end];
    let inst = Install::new();
    let srv = inst.serve(&[]);
    assert_eq!(check_decision(&srv, "npm run lint"), "ask");
    let script = format!(
        "{recipe}\nadmin_http POST /permissions/grant '{{\"scope\":\"npm run lint\",\"decision\":\"allow\"}}'\n\
         echo\nadmin_http PATCH /config '{{\"settings\":{{\"rate_limit_per_minute\":99}}}}'\n"
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("AIPERTURE_HOME", &inst.home)
        .env("KEY", &srv.key)
        .env("API", format!("http://{}", srv.addr))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"granted\":true"), "{stdout}");
    assert!(stdout.contains("\"updated\":true"), "{stdout}");
    assert_eq!(check_decision(&srv, "npm run lint"), "allow");
}
