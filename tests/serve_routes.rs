//! The HTTP routes beyond check and hooks (issue 11): recording a human decision with its
//! challenge, the learned-state views, the audit event routes, config, report and metrics.
//! Each test starts the debug binary on a free loopback port in a temporary home, and the
//! JSON the routes answer is compared with what the CLI's `--json` prints for the same store
//! (one function in `aiperture::views` builds both).

mod serve_support;

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::paths::Paths;
use aiperture::request::Request;
use aiperture::store::LocalGate;
use serde_json::{Value, json};
use serve_support::{Install, PROJECT, T0};
use std::sync::Arc;

/// The gate of the install, opened in this process (to issue the challenge a human would see
/// on a terminal).
fn gate(inst: &Install) -> LocalGate {
    LocalGate::open_with(
        Paths::at(&inst.home, &inst.db),
        Settings::default(),
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap()
}

fn req(scope: &str, session: &str) -> Request {
    Request {
        runtime: "http".into(),
        session_id: session.into(),
        project: PROJECT.into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: scope.into(),
        ..Request::default()
    }
}

/// The keys of the top-level object in `text`, in the order they are printed.
fn printed_keys(text: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut keys: Vec<(usize, String)> = v
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn record_needs_a_valid_unused_challenge_for_exactly_this_request() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let body = json!({"scope": "npm test", "session_id": "s1", "project": PROJECT});
    let ask = srv.check(body.clone()).json();
    assert_eq!(ask["decision"], "ask", "{ask}");
    let count = |srv: &serve_support::Server| {
        srv.authed("GET", "/audit/count", b"").json()["count"]
            .as_u64()
            .unwrap()
    };
    let before = count(&srv);

    // No challenge, an empty one, one that is not a token: 400 and nothing recorded.
    for ch in [None, Some(""), Some("v1.ask.1.00.00")] {
        let mut b = json!({"scope": "npm test", "session_id": "s1", "project": PROJECT,
                           "decision": "allow"});
        if let Some(c) = ch {
            b["challenge"] = c.into();
        }
        let r = srv.authed("POST", "/permissions/record", b.to_string().as_bytes());
        assert_eq!(
            r.status,
            400,
            "{ch:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["error"], "malformed");
    }
    assert_eq!(count(&srv), before);

    let g = gate(&inst);
    let out = g.check_full(&req("npm test", "s1"), true).unwrap();
    let token = g
        .challenge_for(&out.request, &out.verdict)
        .unwrap()
        .unwrap();
    // The token for `npm test` does not record `npm publish`.
    let moved = json!({"scope": "npm publish", "session_id": "s1", "project": PROJECT,
                       "decision": "allow", "challenge": token});
    let r = srv.authed("POST", "/permissions/record", moved.to_string().as_bytes());
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "forbidden");
    let good = json!({"scope": "npm test", "session_id": "s1", "project": PROJECT,
                      "decision": "allow", "challenge": token, "decided_by": "alice"});
    let r = srv.authed("POST", "/permissions/record", good.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["recorded"], true);
    assert!(v["log_id"].as_i64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(count(&srv), before + 1);
    // Replayed: refused.
    let r = srv.authed("POST", "/permissions/record", good.to_string().as_bytes());
    assert_eq!(r.status, 403);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    // A bad decision is a 400 too.
    let bad = json!({"scope": "npm test", "decision": "maybe", "challenge": "x"});
    assert_eq!(
        srv.authed("POST", "/permissions/record", bad.to_string().as_bytes())
            .status,
        400
    );

    // The event is in the chain, readable one by one and by entity.
    let evs = srv
        .authed("GET", "/audit/events?event_type=decision.human", b"")
        .json();
    assert_eq!(evs["count"], 1, "{evs}");
    let ev = &evs["events"][0];
    assert_eq!(ev["actor"], "alice");
    let seq = ev["seq"].as_u64().unwrap();
    let one = srv
        .authed("GET", &format!("/audit/events/{seq}"), b"")
        .json();
    assert_eq!(&one, ev);
    let entity = ev["entity"]
        .as_str()
        .unwrap()
        .replace('/', "%2F")
        .replace(' ', "%20");
    let hist = srv
        .authed("GET", &format!("/audit/entity/decision/{entity}"), b"")
        .json();
    assert_eq!(hist["count"], 1, "{hist}");
    assert_eq!(hist["events"][0]["seq"], seq);
    assert_eq!(
        srv.authed("GET", &format!("/audit/entity/grant/{entity}"), b"")
            .json()["count"],
        0
    );
}

#[test]
fn audit_ids_are_validated_and_never_read_as_files() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    for (path, status) in [
        ("/audit/events/0", 400),
        ("/audit/events/abc", 400),
        ("/audit/events/..%2F..%2Fetc%2Fpasswd", 400),
        ("/audit/events/999999", 404),
        ("/audit/events/18446744073709551616", 400),
        ("/audit/entity/..%2Fetc/passwd", 400),
        ("/audit/entity/Grant/x", 400),
        ("/audit/events/../../etc/passwd", 404),
    ] {
        let r = srv.authed("GET", path, b"");
        assert_eq!(
            r.status,
            status,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(r.json()["error"].is_string(), "{path}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("root:"),
            "{path}"
        );
    }
    // A path-like entity id is refused, not looked up (the issue: traversal probes get a 4xx).
    let r = srv.authed("GET", "/audit/entity/grant/..%2F..%2Fetc%2Fpasswd", b"");
    assert_eq!(r.status, 400);
    assert!(!String::from_utf8_lossy(&r.body).contains("root:"));
    let r = srv.authed("GET", "/audit/entity/grant/npm%20test", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["count"], 0);
    // Limits are bounded: 1 to 1000.
    assert_eq!(
        srv.authed("GET", "/audit/events?limit=1000", b"").status,
        200
    );
    for bad in ["0", "1001", "99999999", "-1", "x"] {
        let r = srv.authed("GET", &format!("/audit/events?limit={bad}"), b"");
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[test]
fn patterns_and_explain_answer_what_the_cli_prints() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let g = gate(&inst);
    for (scope, who) in [
        ("git log --oneline", "a"),
        ("git log -5", "b"),
        ("cargo build", "a"),
    ] {
        g.record_human(&req(scope, "s1"), aiperture::request::Decision::Allow, who)
            .unwrap();
    }
    let cli = inst.cli(&["patterns", "--json", "--project", PROJECT]);
    let http = srv.authed(
        "GET",
        &format!("/permissions/patterns?project={PROJECT}"),
        b"",
    );
    assert_eq!(http.status, 200);
    let v = http.json();
    assert!(v["count"].as_u64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(cli.trim(), serde_json::to_string(&v["patterns"]).unwrap());

    let cli = inst.cli(&[
        "explain",
        "--json",
        "--cwd",
        "/tmp",
        "--project",
        "/tmp",
        "git",
        "status",
    ]);
    let http = srv.authed(
        "GET",
        "/permissions/explain?scope=git%20status&cwd=%2Ftmp&project=%2Ftmp",
        b"",
    );
    assert_eq!(http.status, 200, "{}", String::from_utf8_lossy(&http.body));
    let v = http.json();
    let c: Value = serde_json::from_str(&cli).unwrap();
    assert_eq!(v["risk"], c["risk"]);
    assert_eq!(v["segments"], c["segments"]);
    assert_eq!(v["scope"], "git status");
    // The CLI prints its JSON objects with sorted keys, as before the views moved.
    let keys = printed_keys(&cli);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(srv.authed("GET", "/permissions/explain", b"").status, 400);

    let s = srv
        .authed("GET", "/permissions/stats?project=global", b"")
        .json();
    assert_eq!(s["patterns"], v_count(&srv), "{s}");
    let sim = srv
        .authed(
            "GET",
            &format!("/permissions/similar?scope=git%20log%20--stat&project={PROJECT}"),
            b"",
        )
        .json();
    assert!(sim["count"].as_u64().is_some_and(|n| n >= 1), "{sim}");
    assert_eq!(sim["patterns"][0]["similarity"], 1.0, "{sim}");
}

fn v_count(srv: &serve_support::Server) -> Value {
    srv.authed("GET", "/permissions/patterns?project=global", b"")
        .json()["count"]
        .clone()
}

#[test]
fn config_report_and_metrics() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let cfg = srv.authed("GET", "/config", b"");
    assert_eq!(cfg.status, 200);
    let cli: Value = serde_json::from_str(&inst.cli(&["config", "show", "--json"])).unwrap();
    assert_eq!(cfg.json(), cli);
    assert_eq!(
        cfg.json()["settings"]["api_key"]["value"],
        Value::Bool(false)
    );

    srv.check(json!({"scope": "ls", "runtime": "x\"}evil"}));
    srv.check(json!({"scope": "rm -rf ~"}));
    // A hook call (as Claude Code's http hooks and the warm path make) counts its decision
    // under its runtime; its latency is the hook's.
    let hook = srv.authed(
        "POST",
        "/hooks/claude-code",
        json!({"session_id": "m1", "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": "rm -rf ~"}, "cwd": "/tmp", "tool_use_id": "m1-1"})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(hook.status, 200);
    for (fmt, ct) in [
        ("json", "application/json"),
        ("md", "text/markdown"),
        ("html", "text/html"),
    ] {
        let r = srv.authed("GET", &format!("/report?format={fmt}"), b"");
        assert_eq!(r.status, 200, "{fmt}");
        assert!(r.header("content-type").unwrap().starts_with(ct), "{fmt}");
        assert!(!r.body.is_empty());
    }
    assert_eq!(srv.authed("GET", "/report?format=pdf", b"").status, 400);

    let m = srv.authed("GET", "/metrics", b"");
    assert_eq!(m.status, 200);
    assert!(
        m.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains(r#"aiperture_checks_total{decision="deny",stage="risk_floor",tier="critical",runtime="http"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"aiperture_checks_total{decision="deny",stage="risk_floor",tier="critical",runtime="claude-code"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"runtime="other"} 1"#), "{text}");
    assert!(!text.contains("evil"));
    assert!(
        text.contains(r#"aiperture_check_duration_seconds_count{route="check"} 2"#),
        "{text}"
    );
    let chain = srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap();
    assert!(
        text.contains(&format!("aiperture_audit_chain_length {chain}\n")),
        "{text}"
    );
    assert!(text.contains("aiperture_learned_patterns 0\n"), "{text}");
    assert_eq!(srv.http("GET", "/metrics", None, b"").status, 401);
}

#[test]
fn the_openapi_document_lists_every_route_the_server_answers() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    assert_eq!(srv.http("GET", "/openapi.json", None, b"").status, 401);
    let d = srv.authed("GET", "/openapi.json", b"").json();
    assert!(
        d["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        d["openapi"]
    );
    let paths = d["paths"].as_object().unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/permissions/check", "post"),
        ("/permissions/record", "post"),
        ("/permissions/patterns", "get"),
        ("/permissions/stats", "get"),
        ("/permissions/similar", "get"),
        ("/permissions/explain", "get"),
        ("/hooks/{runtime}", "post"),
        ("/audit/count", "get"),
        ("/audit/verify-chain", "get"),
        ("/audit/events", "get"),
        ("/audit/events/{id}", "get"),
        ("/audit/entity/{type}/{id}", "get"),
        ("/config", "get"),
        ("/report", "get"),
        ("/metrics", "get"),
        ("/artifacts", "get"),
        ("/artifacts", "post"),
        ("/artifacts/{id}", "get"),
        ("/artifacts/{id}/verify", "post"),
        ("/costs", "get"),
        ("/openapi.json", "get"),
        ("/permissions/grant", "post"),
        ("/permissions/revoke", "post"),
        ("/config", "patch"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} undocumented"
        );
        // Every documented route exists: with the key it never answers 404 for a real path.
        let concrete = path
            .replace("{runtime}", "claude-code")
            .replace("{id}", "1")
            .replace("{type}", "grant");
        let m = method.to_uppercase();
        let r = srv.authed(&m, &concrete, b"{}");
        assert!(r.status != 405, "{m} {concrete}: {}", r.status);
        assert!(
            r.status != 404 || concrete.starts_with("/audit/events/"),
            "{m} {concrete}"
        );
    }
    assert_eq!(paths.len(), 23, "{:?}", paths.keys().collect::<Vec<_>>());
}
