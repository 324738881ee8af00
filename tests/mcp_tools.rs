//! The MCP tools that return aiperture's views (patterns, explain, audit trail, config) and
//! its artifacts, against what the CLI prints for the same store (docs/mcp.md).

#[path = "mcp/support.rs"]
mod mcp_support;
mod serve_support;

use mcp_support::{Stdio_, audit};
use serde_json::{Value, json};
use serve_support::Install;

/// `n` human approvals of `command` in the `global` project, in separate sessions two minutes
/// apart, ending an hour before the servers' clock (`serve_support::T0`).
fn approve_n(inst: &Install, command: &str, n: i64) {
    use aiperture::request::{Decision, Request};
    let start = serve_support::T0 - 3_600_000 - n * 120_000;
    let clock = std::sync::Arc::new(aiperture::clock::ManualClock::new(start));
    let gate = aiperture::engine::Gate::open_with(
        aiperture::paths::Paths::at(&inst.home, &inst.db),
        aiperture::config::Settings::default(),
        clock.clone(),
    )
    .unwrap();
    for i in 0..n {
        clock.set(start + i * 120_000);
        let req = Request {
            runtime: "claude-code".into(),
            event: "PreToolUse".into(),
            session_id: format!("{command}-{i}"),
            project: "global".into(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: command.into(),
            ..Request::default()
        };
        gate.record_human(&req, Decision::Allow, "alice").unwrap();
    }
}

#[test]
fn pattern_tools_show_the_engines_state_and_the_views_of_the_cli() {
    let inst = Install::new();
    approve_n(&inst, "git status", 12);
    approve_n(&inst, "npm test", 3);
    approve_n(&inst, "git push --force origin main", 12);
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let all = s.call("get_permission_patterns", json!({"project": "global"}));
    let all = &all["structuredContent"];
    // The CLI's view, field for field.
    let cli: Value =
        serde_json::from_str(&inst.cli(&["patterns", "--json", "--project", "global"])).unwrap();
    assert_eq!(all["patterns"], cli, "{all}");
    let status = |pattern: &str| -> Vec<String> {
        cli.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["pattern"].as_str().unwrap_or("").starts_with(pattern))
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        status("git status").contains(&"auto-approve".to_string()),
        "{cli}"
    );
    assert!(
        !status("npm test").contains(&"auto-approve".to_string()),
        "{cli}"
    );
    // Enough approvals, but HIGH risk: the engine never auto-approves it, and says so.
    assert_eq!(
        status("git push"),
        vec!["never (risk)".to_string()],
        "{cli}"
    );
    let auto = s.call("list_auto_approved_patterns", json!({"project": "global"}));
    let auto = &auto["structuredContent"];
    let rows = auto["patterns"].as_array().unwrap();
    assert_eq!(auto["count"], rows.len());
    assert!(!rows.is_empty(), "{auto}");
    for r in rows {
        assert_eq!(r["status"], "auto-approve", "{r}");
        assert_ne!(r["tier"], "high");
        assert_ne!(r["tier"], "critical");
        assert!(
            !r["pattern"].as_str().unwrap().starts_with("npm test"),
            "{r}"
        );
        assert!(
            !r["pattern"].as_str().unwrap().starts_with("git push"),
            "{r}"
        );
    }
    // What the list says is auto-approved, the engine auto-approves.
    let v = s.call(
        "check_permission",
        json!({"scope": "git status", "session_id": "fresh"}),
    );
    assert_eq!(v["structuredContent"]["decision"], "allow", "{v}");
    let v = s.call(
        "check_permission",
        json!({"scope": "git push --force origin main"}),
    );
    assert_ne!(v["structuredContent"]["decision"], "allow", "{v}");
}

#[test]
fn explain_audit_and_config_tools_return_the_clis_views() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let cwd = inst.dir.path().display().to_string();
    let e = s.call("explain_action", json!({"scope": "rm -rf ~", "cwd": cwd}));
    let e = &e["structuredContent"];
    assert_eq!(e["risk"]["tier"], "critical", "{e}");
    let cli: Value =
        serde_json::from_str(&inst.cli(&["explain", "--json", "--cwd", &cwd, "rm -rf ~"])).unwrap();
    assert_eq!(e["risk"], cli["risk"]);
    // Explaining records nothing: the only events are the server's checks of its own calls.
    let before = audit(&inst).len();
    s.call("explain_action", json!({"scope": "ls"}));
    assert_eq!(audit(&inst).len(), before + 1);
    // The audit trail: newest first, filtered, as `audit list --json`.
    let t = s.call("get_audit_trail", json!({"limit": 2}));
    let t = &t["structuredContent"];
    let cli = audit(&inst);
    assert_eq!(t["count"], 2);
    assert_eq!(t["events"][0]["seq"], cli[0]["seq"]);
    let only = s.call(
        "get_audit_trail",
        json!({"event_type": "permission.check", "limit": 500}),
    );
    for ev in only["structuredContent"]["events"].as_array().unwrap() {
        assert_eq!(ev["event_type"], "permission.check");
    }
    // The configuration: `config show --json`, the API key masked.
    let c = s.call("get_config", json!({}));
    let c = &c["structuredContent"];
    let cli: Value = serde_json::from_str(&inst.cli(&["config", "show", "--json"])).unwrap();
    assert_eq!(c, &cli);
    assert!(c["settings"]["api_key"]["value"].is_boolean(), "{c}");
}

#[test]
fn artifacts_are_stored_verified_and_costed() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let content = "fn main() {}\n";
    let a = s.call(
        "store_artifact",
        json!({"content": content, "artifact_type": "code", "task_id": "t1",
               "model_used": "m1", "provider_used": "p1", "tokens_input": 100,
               "tokens_output": 20, "cost_usd": 0.25}),
    );
    let a = &a["structuredContent"];
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(content.as_bytes()))
    };
    assert_eq!(a["sha256"], sha, "{a}");
    assert_eq!(a["status"], "verified");
    let id = a["id"].as_str().unwrap().to_string();
    let v = s.call("verify_artifact", json!({"artifact_id": id}));
    assert_eq!(v["structuredContent"]["status"], "verified", "{v}");
    s.call(
        "store_artifact",
        json!({"content": "b", "task_id": "t2", "model_used": "m1", "cost_usd": 0.5}),
    );
    let c = s.call("get_cost_summary", json!({}));
    let c = &c["structuredContent"];
    assert_eq!(c["artifacts"], 2, "{c}");
    assert_eq!(c["cost_usd"], 0.75);
    let only = s.call("get_cost_summary", json!({"task_id": "t1"}));
    assert_eq!(only["structuredContent"]["cost_usd"], 0.25, "{only}");
    // Both stores and the verification are in the chain.
    let events = audit(&inst);
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "artifact.stored").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"artifact.verified"));
    // Unknown ids and impossible costs are the agent's errors.
    for (tool, args) in [
        (
            "verify_artifact",
            json!({"artifact_id": "0000000000000000"}),
        ),
        (
            "verify_artifact",
            json!({"artifact_id": "../../etc/passwd"}),
        ),
        ("store_artifact", json!({"content": "x", "cost_usd": -1.0})),
        (
            "store_artifact",
            json!({"content": "x", "tokens_input": -5}),
        ),
    ] {
        let r = s.call(tool, args);
        assert_eq!(r["isError"], true, "{tool}: {r}");
    }
}
