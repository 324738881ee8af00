//! Artifacts and costs over HTTP (issue 16): `POST /artifacts`, `GET /artifacts`,
//! `GET /artifacts/{id}`, `POST /artifacts/{id}/verify` and `GET /costs` answer with the JSON
//! that `aiperture artifact … --json` and `aiperture costs --json` print for the same store,
//! refuse what their schema refuses with a 400, and audit what they store and verify.

mod serve_support;

use serde_json::{Value, json};
use serve_support::Install;

#[test]
fn stored_over_http_is_what_the_cli_shows_lists_verifies_and_costs() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let body = json!({
        "content": "cargo test: 42 passed",
        "artifact_type": "tool_output",
        "summary": "test run",
        "task_id": "t-1",
        "session_id": "s-1",
        "tool_name": "Bash",
        "model_used": "m-1",
        "provider_used": "p-1",
        "tokens_input": 1200,
        "tokens_output": 300,
        "cost_usd": 0.25,
    });
    let r = srv.authed("POST", "/artifacts", body.to_string().as_bytes());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let stored = r.json();
    let id = stored["id"].as_str().unwrap().to_string();
    assert_eq!(stored["kind"], "tool_output");
    assert_eq!(stored["runtime"], "http");

    // The same artifact, through the CLI and the route.
    let shown = srv.authed("GET", &format!("/artifacts/{id}"), b"");
    assert_eq!(shown.status, 200);
    let cli: Value = serde_json::from_str(&inst.cli(&["artifact", "show", &id, "--json"])).unwrap();
    assert_eq!(shown.json(), cli);

    let listed = srv.authed("GET", "/artifacts?task=t-1", b"");
    assert_eq!(listed.status, 200);
    let cli: Value = serde_json::from_str(&inst.cli(&["artifact", "list", "--json"])).unwrap();
    assert_eq!(listed.json(), cli);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));

    let verified = srv.authed("POST", &format!("/artifacts/{id}/verify"), b"");
    assert_eq!(
        verified.status,
        200,
        "{}",
        String::from_utf8_lossy(&verified.body)
    );
    assert_eq!(verified.json()["status"], "verified", "{}", verified.json());
    assert_eq!(verified.json()["problem"], Value::Null);

    let costs = srv.authed("GET", "/costs", b"");
    assert_eq!(costs.status, 200);
    let cli: Value = serde_json::from_str(&inst.cli(&["costs", "--json"])).unwrap();
    assert_eq!(costs.json(), cli);
    assert!(
        costs.json().to_string().contains("0.25"),
        "{}",
        costs.json()
    );

    // Stored and verified are in the chain.
    let events = srv.authed("GET", "/audit/events?limit=1000", b"").json();
    let types: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert!(types.contains(&"artifact.stored"), "{types:?}");
    assert!(types.contains(&"artifact.verified"), "{types:?}");
}

#[test]
fn what_the_schema_refuses_is_a_400_and_unknown_ids_a_404() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let before = srv.authed("GET", "/audit/count", b"").json()["count"].clone();
    for bad in [
        json!({}),
        json!({"content": 5}),
        json!({"content": "x", "cost_usd": -1}),
        json!({"content": "x", "cost_usd": 2e9}),
        json!({"content": "x", "tokens_input": -3}),
        json!({"content": "x", "tokens_input": 1.5}),
        json!({"content": "x", "summary": "s".repeat(1025)}),
        json!({"content": "x".repeat(512 * 1024 + 1)}),
        json!(["content"]),
    ] {
        let r = srv.authed("POST", "/artifacts", bad.to_string().as_bytes());
        assert_eq!(
            r.status,
            400,
            "{}: {}",
            bad.to_string().chars().take(80).collect::<String>(),
            String::from_utf8_lossy(&r.body)
        );
        assert!(r.json()["error"].is_string());
    }
    for path in [
        "/artifacts/..%2F..%2Fkey",
        "/artifacts/XYZ",
        "/artifacts/0123456789abcdeg",
    ] {
        assert_eq!(srv.authed("GET", path, b"").status, 400, "{path}");
    }
    assert_eq!(
        srv.authed("GET", "/artifacts/0123456789abcdef", b"").status,
        404
    );
    assert_eq!(
        srv.authed("POST", "/artifacts/0123456789abcdef/verify", b"")
            .status,
        404
    );
    for q in ["limit=0", "limit=1001", "limit=x"] {
        assert_eq!(
            srv.authed("GET", &format!("/artifacts?{q}"), b"").status,
            400,
            "{q}"
        );
    }
    assert_eq!(
        srv.authed("GET", "/costs?since_days=40000", b"").status,
        400
    );
    // Nothing was written by any refused request.
    assert_eq!(
        srv.authed("GET", "/audit/count", b"").json()["count"],
        before
    );
    // And the key is required.
    assert_eq!(srv.http("GET", "/artifacts", None, b"").status, 401);
}
