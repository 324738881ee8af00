//! The MCP server (issue 12, docs/mcp.md): `aiperture serve --mcp` on stdio and `/mcp` on the
//! HTTP server. The exact tool list (nothing that approves, denies, grants, revokes,
//! configures, bootstraps or reports an execution), the protocol revisions, every call checked
//! and audited as `mcp__aiperture__<tool>` with the hook's verdict for the same call, requests
//! that only a human approves, and hostile arguments.

#[path = "mcp/support.rs"]
mod mcp_support;
mod serve_support;

use mcp_support::{Stdio_, TOOLS, audit, exit_code};
use serde_json::{Value, json};
use serve_support::Install;
use std::process::Stdio;

#[test]
fn the_tool_list_is_exact_and_nothing_on_it_decides_for_a_human() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let list = s.request("tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);
    // Belt and braces: whatever is added later, no tool may act for a human.
    let forbidden = [
        "approve",
        "deny",
        "grant",
        "revoke",
        "set",
        "update",
        "configure",
        "bootstrap",
        "record",
        "report_tool",
        "execution",
        "executed",
        "reset",
        "delete",
        "reseal",
        "allow",
    ];
    for n in &names {
        let words: Vec<&str> = n.split('_').collect();
        for f in forbidden {
            assert!(
                !words.contains(&f) && !n.contains("execution"),
                "tool {n} acts for a human ({f})"
            );
        }
    }
    for t in tools {
        let d = t["description"].as_str().unwrap();
        assert!(!d.is_empty() && !d.contains('\n'), "{t}");
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert_eq!(t["outputSchema"]["type"], "object", "{t}");
    }
}

#[test]
fn the_current_and_previous_revisions_are_negotiated_and_an_unknown_one_gets_the_protocols_answer()
{
    let inst = Install::new();
    // The previous revision (the last with the `initialize` handshake) is echoed.
    let (_, init) = Stdio_::initialized(&inst, "2025-11-25");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "aiperture");
    // An unknown handshake version: the server answers with the newest it has (the client
    // then decides whether to go on), as the lifecycle says.
    let (mut s, init) = Stdio_::initialized(&inst, "2099-01-01");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
    assert!(s.request("tools/list", json!({}))["result"]["tools"].is_array());
    // The current revision (2026-07-28) has no handshake: `server/discover`, and the version in
    // every request's `_meta`.
    let meta = |v: &str| {
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": v,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"}}})
    };
    let mut m = Stdio_::start(&inst);
    let d = m.request("server/discover", meta("2026-07-28"));
    let supported = d["result"]["supportedVersions"].as_array().unwrap();
    assert!(supported.contains(&json!("2026-07-28")), "{d}");
    assert!(supported.contains(&json!("2025-11-25")), "{d}");
    let l = m.request("tools/list", meta("2026-07-28"));
    assert_eq!(
        l["result"]["tools"].as_array().map(Vec::len),
        Some(TOOLS.len()),
        "{l}"
    );
    let mut args = meta("2026-07-28");
    args["name"] = json!("verify_audit_chain");
    args["arguments"] = json!({});
    let c = m.request("tools/call", args);
    assert_eq!(c["result"]["structuredContent"]["intact"], true, "{c}");
    // An unknown version in `_meta`: -32022 with the versions supported and the one asked.
    let e = m.request("tools/list", meta("1900-01-01"));
    assert_eq!(e["error"]["code"], -32022, "{e}");
    assert_eq!(e["error"]["data"]["requested"], "1900-01-01");
    assert!(
        e["error"]["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28"))
    );
}

#[test]
fn every_call_is_checked_as_mcp_aiperture_and_gets_the_hooks_verdict() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let cwd = inst.dir.path().display().to_string();
    // The same calls through Claude Code's hook and through MCP.
    let cases = [
        ("verify_audit_chain", json!({})),
        ("get_compliance_report", json!({"since_days": 7})),
        ("get_config", json!({})),
        // Arguments naming aiperture's own key: CRITICAL, denied by the risk floor either way.
        (
            "check_permission",
            json!({"scope": format!("cat {}/key", inst.home.display())}),
        ),
    ];
    let mut denied = 0;
    for (tool, args) in cases {
        let payload = json!({"session_id": "s1", "cwd": cwd, "hook_event_name": "PreToolUse",
            "tool_name": format!("mcp__aiperture__{tool}"), "tool_input": args,
            "tool_use_id": format!("t-{tool}")});
        let (out, _) = inst.hook("claude-code", payload.to_string().as_bytes());
        let hook: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
        let hook_decision = hook["hookSpecificOutput"]["permissionDecision"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        let r = s.call(tool, args.clone());
        let refused = r["isError"] == true;
        // The hook says nothing (no opinion) or asks for an ask; MCP runs an ask (it asks no
        // one); a deny is a deny on both paths.
        if hook_decision == "deny" {
            denied += 1;
            assert!(refused, "{tool}: the hook denies but MCP ran it: {r}");
            assert_eq!(r["structuredContent"]["error"], "denied", "{r}");
            assert_eq!(r["structuredContent"]["verdict"]["decision"], "deny");
        } else {
            assert!(
                !refused,
                "{tool}: the hook says {hook_decision} but MCP refused: {r}"
            );
        }
        // Both checks are in the chain, under the same entity.
        let entity_prefix = format!("aiperture/{tool}/");
        let events = audit(&inst);
        let checks: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["event_type"] == "permission.check"
                    && e["entity"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with(&entity_prefix)
            })
            .collect();
        let runtimes: Vec<&str> = checks
            .iter()
            .filter_map(|e| e["runtime"].as_str())
            .collect();
        assert!(
            runtimes.contains(&"claude-code") && runtimes.contains(&"mcp"),
            "{tool}: {runtimes:?}"
        );
        let decisions: Vec<String> = checks
            .iter()
            .map(|e| {
                e["summary"]
                    .as_str()
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert!(
            decisions.windows(2).all(|w| w[0] == w[1]),
            "{tool}: {decisions:?}"
        );
    }
    assert_eq!(denied, 1, "the key-reading check is denied on both paths");
    let v = s.call("verify_audit_chain", json!({}));
    assert_eq!(v["structuredContent"]["intact"], true, "{v}");
}

#[test]
fn check_permission_gives_the_hooks_verdict_for_the_same_command() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let cwd = inst.dir.path().display().to_string();
    for (command, want) in [
        ("rm -rf ~", "deny"),
        ("git push --force origin main", "ask"),
    ] {
        let payload = json!({"session_id": "s2", "cwd": cwd, "hook_event_name": "PreToolUse",
            "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": "t1"});
        let (out, _) = inst.hook("claude-code", payload.to_string().as_bytes());
        let hook: Value = serde_json::from_slice(&out).unwrap();
        let r = s.call("check_permission", json!({"scope": command, "cwd": cwd}));
        let v = &r["structuredContent"];
        assert_eq!(v["decision"], want, "{r}");
        assert_eq!(
            hook["hookSpecificOutput"]["permissionDecision"], want,
            "{hook}"
        );
    }
    let events = audit(&inst);
    for runtime in ["claude-code", "mcp"] {
        assert!(
            events.iter().any(|e| e["runtime"] == runtime
                && e["entity"] == "shell/execute/rm -rf ~"
                && e["event_type"] == "permission.check"),
            "no {runtime} check of rm -rf ~ in the chain"
        );
    }
    let verified = inst.cli(&["audit", "verify", "--json"]);
    assert!(verified.contains("\"intact\":true"), "{verified}");
}

#[test]
fn request_permission_records_a_pending_ask_that_only_a_human_approves() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let r = s.call(
        "request_permission",
        json!({"scope": "git push origin main", "justification": "ship the release the user asked for"}),
    );
    let v = &r["structuredContent"];
    assert_eq!(v["status"], "pending", "{r}");
    let id = v["pending_id"].as_str().unwrap().to_string();
    assert_eq!(v["approve_with"], format!("aiperture approve {id}"));
    // It is listed as pending for a human, and stays pending.
    let pending: Value = serde_json::from_str(&inst.cli(&["approve", "--json"])).unwrap();
    let mine: Vec<&Value> = pending
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == id)
        .collect();
    assert_eq!(mine.len(), 1, "{pending}");
    assert_eq!(mine[0]["scope"], "git push origin main");
    // The justification is in the chain, with the id.
    let events = audit(&inst);
    let asked = events
        .iter()
        .find(|e| e["event_type"] == "permission.requested")
        .unwrap_or_else(|| panic!("no permission.requested event: {events:?}"));
    let details = asked["details"].to_string();
    assert!(
        details.contains(&id) && details.contains("ship the release"),
        "{asked}"
    );
    // No decision was recorded by the agent: approving without a terminal is refused.
    let out = inst
        .cmd()
        .args(["approve", &id])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        !events.iter().any(|e| e["event_type"] == "decision.human"),
        "{events:?}"
    );
    // A justification is required; a denied action is denied, not pending.
    let e = s.call("request_permission", json!({"scope": "ls"}));
    assert_eq!(e["isError"], true, "{e}");
    let d = s.call(
        "request_permission",
        json!({"scope": "rm -rf ~", "justification": "x"}),
    );
    assert_eq!(d["structuredContent"]["status"], "denied", "{d}");
    assert!(d["structuredContent"]["pending_id"].is_null());
}

#[test]
fn hostile_arguments_get_errors_and_the_server_keeps_answering() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let huge = "A".repeat(10 * 1024 * 1024);
    for (tool, args) in [
        ("check_permission", json!({"scope": 5})),
        ("check_permission", json!({"scope": huge})),
        ("check_permission", json!({})),
        ("get_audit_trail", json!({"limit": "ten"})),
        ("get_audit_trail", json!({"limit": -1})),
        ("explain_action", json!({"scope": ["a"]})),
        (
            "request_permission",
            json!({"scope": "ls", "justification": {"a": 1}}),
        ),
        ("get_compliance_report", json!({"since_days": 1e40})),
    ] {
        let r = s.call(tool, args);
        assert_eq!(r["isError"], true, "{tool}: {r}");
        assert!(r["content"][0]["text"].is_string(), "{r}");
    }
    // An unknown tool and a call with no name: protocol errors.
    let u = s.request(
        "tools/call",
        json!({"name": "approve_action", "arguments": {}}),
    );
    assert_eq!(u["error"]["code"], -32602, "{u}");
    let u = s.request("tools/call", json!({"arguments": {}}));
    assert!(u["error"]["code"].is_i64(), "{u}");
    // Still alive.
    let v = s.call("verify_audit_chain", json!({}));
    assert_eq!(v["structuredContent"]["intact"], true, "{v}");
}

/// `POST /mcp` with the MCP headers and a body.
fn post_mcp(srv: &serve_support::Server, key: Option<&str>, body: &Value) -> serve_support::Reply {
    let body = body.to_string();
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(k) = key {
        head.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    srv.raw(head.as_bytes())
}

#[test]
fn streamable_http_at_mcp_needs_the_key_and_serves_the_same_tools() {
    let inst = Install::new();
    let srv = inst.serve(&[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let r = post_mcp(&srv, None, &init);
    assert_eq!(r.status, 401);
    let r = post_mcp(&srv, Some("wrong"), &init);
    assert_eq!(r.status, 401);
    let r = post_mcp(&srv, Some(&srv.key), &init);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-11-25");
    let list = post_mcp(
        &srv,
        Some(&srv.key),
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    );
    let names: Vec<String> = list.json()["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, TOOLS);
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "check_permission", "arguments": {"scope": "rm -rf ~"}}});
    let c = post_mcp(&srv, Some(&srv.key), &call);
    assert_eq!(c.json()["result"]["structuredContent"]["decision"], "deny");
    // A 10 MB argument reaches the tool and is its error (arguments hold at most 1 MiB); past
    // the transport's 16 MiB, the body is refused whole.
    let huge = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "check_permission", "arguments": {"scope": "A".repeat(10 << 20)}}});
    let h = post_mcp(&srv, Some(&srv.key), &huge);
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["result"]["isError"], true);
    let bigger = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "check_permission", "arguments": {"scope": "A".repeat(17 << 20)}}});
    assert_eq!(post_mcp(&srv, Some(&srv.key), &bigger).status, 413);
    // A browser page (an Origin) is refused even with the key.
    let body = init.to_string();
    let raw = format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nOrigin: http://evil.example\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{body}",
        srv.key,
        body.len()
    );
    assert_eq!(srv.raw(raw.as_bytes()).status, 403);
    // The server's own check of the HTTP call is in the chain.
    let events = audit(&inst);
    assert!(
        events.iter().any(|e| e["runtime"] == "mcp"
            && e["entity"]
                .as_str()
                .unwrap_or("")
                .starts_with("aiperture/check_permission/")),
        "{events:?}"
    );
}

/// The one-shot hook binary links none of the MCP server (rmcp), as none of the HTTP server.
#[test]
fn the_hook_binary_holds_no_mcp_code() {
    let nm = |bin: &str| {
        let out = std::process::Command::new("nm")
            .arg(assert_cmd::cargo::cargo_bin(bin))
            .output()
            .expect("nm (binutils) is needed to read the binaries' symbols");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        nm("aiperture-serve").contains("_ZN4rmcp"),
        "the server lacks rmcp?"
    );
    assert!(
        !nm("aiperture").contains("_ZN4rmcp"),
        "aiperture links rmcp"
    );
}

#[test]
fn the_stdio_server_ends_on_eof_and_on_sigterm() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    // Closing its stdin ends the session and the process.
    drop(s.input.take());
    assert_eq!(exit_code(&mut s.child), Some(0), "on EOF");
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let pid = libc::pid_t::try_from(s.child.id()).unwrap();
    // SAFETY: signalling a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(exit_code(&mut s.child), Some(0), "on SIGTERM");
}

/// An ask kept by `check_permission` is never taken for the ask of the runtime's own call: in
/// a mode where the runtime asks no one (bypassPermissions), the call's run would otherwise be
/// recorded as a human's approval, and ten of them would teach an auto-approval.
#[test]
fn an_agents_check_never_turns_its_runtimes_unasked_run_into_an_approval() {
    let inst = Install::new();
    let (mut s, _) = Stdio_::initialized(&inst, "2025-11-25");
    let cwd = inst.dir.path().display().to_string();
    for i in 0..3 {
        let session = format!("claude-{i}");
        let r = s.call(
            "check_permission",
            json!({"scope": "npm run build", "cwd": cwd, "session_id": session}),
        );
        assert_eq!(r["structuredContent"]["decision"], "ask", "{r}");
        for event in ["PreToolUse", "PostToolUse"] {
            let payload = json!({"session_id": session, "cwd": cwd, "hook_event_name": event,
                "permission_mode": "bypassPermissions", "tool_name": "Bash",
                "tool_input": {"command": "npm run build"}, "tool_response": {"stdout": ""},
                "tool_use_id": format!("toolu-{i}")});
            inst.hook("claude-code", payload.to_string().as_bytes());
        }
    }
    let patterns = inst.cli(&["patterns", "--json", "--all"]);
    assert!(!patterns.contains("npm run build"), "{patterns}");
    let events = audit(&inst);
    assert!(
        !events.iter().any(|e| e["event_type"]
            .as_str()
            .unwrap_or("")
            .starts_with("decision")),
        "{events:?}"
    );
    // The runtime did report the runs.
    assert!(events.iter().any(|e| e["event_type"] == "tool.executed"));
}
