//! `aiperture serve` over HTTP: health without a key, 401s, the verdicts of
//! `/permissions/check`, `/hooks/{runtime}` answering byte for byte what `aiperture hook`
//! prints, the limits (1 MiB bodies, invalid JSON) with the server staying up, and the audit
//! routes. Each test starts the debug binary on a free loopback port in a temporary home.

mod serve_support;

use serde_json::json;
use serve_support::{Install, fixture};

#[test]
fn health_needs_no_key_and_everything_else_does() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let h = srv.http("GET", "/health", None, b"");
    assert_eq!(h.status, 200);
    let v = h.json();
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["schema_version"].as_u64().is_some_and(|n| n >= 1), "{v}");
    let body = json!({"scope": "ls"}).to_string();
    for key in [None, Some("wrong"), Some(""), Some(&srv.key[..63])] {
        let r = srv.http("POST", "/permissions/check", key, body.as_bytes());
        assert_eq!(r.status, 401, "{key:?}");
        assert_eq!(r.json()["error"], "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = srv.http("GET", "/audit/count", key, b"");
        assert_eq!(r.status, 401);
    }
    // Nothing was recorded by the refused requests.
    assert_eq!(srv.authed("GET", "/audit/count", b"").json()["count"], 0);
    // The key file is the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(inst.home.join("api_key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn checks_answer_allow_ask_and_deny_with_the_verdict() {
    let inst = Install::new();
    inst.cli(&["bootstrap", "readonly"]);
    let srv = inst.serve(&[]);
    // `bootstrap` recorded its own event.
    let before = srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap();
    let allow =
        srv.check(json!({"tool": "shell", "action": "execute", "scope": "ls", "cwd": "/tmp"}));
    assert_eq!(allow.status, 200);
    let v = allow.json();
    assert_eq!(v["decision"], "allow", "{v}");
    assert_eq!(v["decided_by"], "preset:readonly");
    assert_eq!(v["risk"]["tier"], "low");
    assert!(v["pending_id"].is_null());
    assert_eq!(v["segments"][0]["program"], "ls");

    let ask = srv
        .check(json!({"scope": "git push", "session_id": "s1"}))
        .json();
    assert_eq!(ask["decision"], "ask", "{ask}");
    assert!(
        ask["pending_id"].as_str().is_some_and(|p| !p.is_empty()),
        "{ask}"
    );
    assert!(ask["reason"].as_str().is_some_and(|r| !r.is_empty()));

    let deny = srv.check(json!({"command": "rm -rf ~"})).json();
    assert_eq!(deny["decision"], "deny", "{deny}");
    assert_eq!(deny["risk"]["tier"], "critical");
    assert!(
        deny["risk"]["factors"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );

    // Each check is one audit event, and the chain verifies.
    assert_eq!(
        srv.authed("GET", "/audit/count", b"").json()["count"],
        before + 3
    );
    let verified = srv.authed("GET", "/audit/verify-chain", b"").json();
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["events"], before + 3);
    assert_eq!(verified["alarm"], false);
    // The same report as `aiperture audit verify --json`.
    let cli: serde_json::Value =
        serde_json::from_str(&inst.cli(&["audit", "verify", "--json"])).unwrap();
    let mut served = verified.clone();
    served.as_object_mut().unwrap().remove("alarm");
    assert_eq!(cli, served);
}

#[test]
fn bad_bodies_get_json_errors_and_the_server_stays_up() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    for (body, what) in [
        (&b"{not json"[..], "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{\"tool\": \"shell\"}", "scope"),
        (b"{\"scope\": 5}", "bad field"),
        (b"\xff\xfe", "not JSON"),
    ] {
        let r = srv.authed("POST", "/permissions/check", body);
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(body));
        let v = r.json();
        assert_eq!(v["error"], "malformed");
        assert!(v["detail"].as_str().unwrap().contains(what), "{v}");
    }
    // A body past 1 MiB is refused with 413: announced (the client waits for 100-continue,
    // as curl does for large bodies, and never sends it) or found while reading (chunked).
    let big = format!("{{\"scope\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    for path in ["/permissions/check", "/hooks/claude-code"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\n",
            srv.key
        );
        let announced = format!(
            "{head}Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            big.len()
        );
        let r = srv.raw(announced.as_bytes());
        assert_eq!(r.status, 413, "{path}");
        assert_eq!(r.json()["error"], "too_large");
        let chunked = format!(
            "{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
            big.len()
        );
        let r = srv.raw(chunked.as_bytes());
        assert_eq!(r.status, 413, "{path}");
        assert_eq!(r.json()["error"], "too_large");
    }
    // Unknown routes and methods are JSON too.
    let r = srv.authed("GET", "/nope", b"");
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (404, json!("not_found"))
    );
    let r = srv.authed("GET", "/permissions/check", b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"], "method_not_allowed");
    // Still up, and nothing was recorded.
    assert_eq!(srv.http("GET", "/health", None, b"").status, 200);
    assert_eq!(srv.authed("GET", "/audit/count", b"").json()["count"], 0);
}

#[test]
fn a_hook_over_http_answers_exactly_what_the_hook_command_prints() {
    for name in [
        "pretooluse-bash.json",
        "pretooluse-read-env.json",
        "pretooluse-webfetch.json",
        "userpromptsubmit.json",
    ] {
        let payload = fixture(&format!("claude-code/input/{name}"));
        // Two fresh installs on the same pinned clock: one answers in-process, one over HTTP.
        let one_shot = Install::new();
        let (want, code) = one_shot.hook("claude-code", &payload);
        let served = Install::new();
        let srv = served.serve(&[]);
        let r = srv.authed("POST", "/hooks/claude-code", &payload);
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            String::from_utf8_lossy(&want),
            "{name}"
        );
        assert_eq!(r.body, want, "{name}");
        assert_eq!(
            r.header("x-aiperture-exit-code"),
            Some(code.to_string().as_str())
        );
    }
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let r = srv.authed("POST", "/hooks/windsurf", b"{}");
    assert_eq!(r.status, 404);
    assert!(r.json()["detail"].as_str().unwrap().contains("windsurf"));
    // A malformed payload gets the runtime's fail-closed answer, as from the command.
    let (want, _) = inst.hook("claude-code", b"{oops");
    let r = srv.authed("POST", "/hooks/claude-code", b"{oops");
    assert_eq!((r.status, &r.body), (200, &want));
    assert!(String::from_utf8_lossy(&r.body).contains("\"ask\""));
}

#[test]
fn a_chain_that_does_not_verify_is_a_500_with_the_alarm_and_the_hook_fails_closed() {
    let inst = Install::new();
    // One check (an ask: exit 3) signs the chain head with the install's key file.
    let out = inst
        .cmd()
        .args(["check", "--scope", "ls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // The server signs with another install key than the one the chain head was signed with.
    let mut other = inst;
    other.env.push((
        "AIPERTURE_HMAC_SECRET".into(),
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".into(),
    ));
    let srv = other.serve(&[]);
    let r = srv.check(json!({"scope": "ls"}));
    assert_eq!(r.status, 500);
    let v = r.json();
    assert_eq!(
        (v["error"].as_str(), v["alarm"].as_bool()),
        (Some("integrity"), Some(true))
    );
    let verified = srv.authed("GET", "/audit/verify-chain", b"").json();
    assert_eq!(
        (verified["intact"].as_bool(), verified["alarm"].as_bool()),
        (Some(false), Some(true))
    );
    // Nothing was appended to a chain that does not verify.
    assert_eq!(srv.authed("GET", "/audit/count", b"").json()["count"], 1);
    let payload = fixture("claude-code/input/pretooluse-bash.json");
    let r = srv.authed("POST", "/hooks/claude-code", &payload);
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body);
    assert!(
        text.contains("\"permissionDecision\":\"ask\"") && text.contains("does not verify"),
        "{text}"
    );
}
