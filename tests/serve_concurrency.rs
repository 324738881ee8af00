//! One store, two doors at once: 8 HTTP clients × 50 checks against a running server while
//! 4 `aiperture hook` processes decide on the same store. Every check is one audit event,
//! none is lost or doubled, and the chain verifies, through the server and the CLI.

mod serve_support;

use serde_json::json;
use serve_support::{Install, fixture};
use std::sync::Arc;

const CLIENTS: usize = 8;
const CHECKS_PER_CLIENT: usize = 50;
const HOOKS: usize = 4;
const CALLS_PER_HOOK: usize = 10;

#[test]
fn http_clients_and_hook_processes_share_one_chain() {
    let inst = Arc::new(Install::new());
    let srv = Arc::new(inst.serve(&[]));
    let before = srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap();
    let payload = Arc::new(fixture("claude-code/input/pretooluse-bash.json"));
    let mut threads = Vec::new();
    for c in 0..CLIENTS {
        let srv = srv.clone();
        threads.push(std::thread::spawn(move || {
            let mut decided = 0;
            for i in 0..CHECKS_PER_CLIENT {
                let scope = ["ls", "git status", "npm test", "rm -rf ~"][i % 4];
                let r = srv.check(json!({
                    "scope": scope,
                    "session_id": format!("client-{c}"),
                    "cwd": "/tmp",
                }));
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                assert!(r.json()["decision"].is_string());
                decided += 1;
            }
            decided
        }));
    }
    for _ in 0..HOOKS {
        let inst = inst.clone();
        let payload = payload.clone();
        threads.push(std::thread::spawn(move || {
            let mut decided = 0;
            for _ in 0..CALLS_PER_HOOK {
                let (out, code) = inst.hook("claude-code", &payload);
                assert_eq!(code, 0);
                let text = String::from_utf8_lossy(&out);
                assert!(text.contains("permissionDecision"), "{text}");
                // A fail-closed answer (a store error) would not be a decision of the gate.
                assert!(
                    !text.contains("could not") && !text.contains("database is locked"),
                    "{text}"
                );
                decided += 1;
            }
            decided
        }));
    }
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, CLIENTS * CHECKS_PER_CLIENT + HOOKS * CALLS_PER_HOOK);
    let count = srv.authed("GET", "/audit/count", b"").json()["count"]
        .as_u64()
        .unwrap();
    assert_eq!(count - before, total as u64);
    let verified = srv.authed("GET", "/audit/verify-chain", b"").json();
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["events"], count);
    let cli: serde_json::Value =
        serde_json::from_str(&inst.cli(&["audit", "verify", "--json"])).unwrap();
    assert_eq!(cli["intact"], true, "{cli}");
    assert_eq!(cli["events"], count);
}
