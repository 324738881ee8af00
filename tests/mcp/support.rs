//! Shared set-up for the MCP suites (`tests/mcp.rs`, `tests/mcp_tools.rs`): an `aiperture
//! serve --mcp` child driven over its pipes with newline-delimited JSON-RPC, the exact tool
//! list, and the audit events as `aiperture audit list --json` prints them.
#![allow(dead_code)]

use crate::serve_support::Install;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

/// The tools, exactly.
pub const TOOLS: &[&str] = &[
    "check_permission",
    "request_permission",
    "explain_action",
    "get_permission_patterns",
    "list_auto_approved_patterns",
    "get_audit_trail",
    "verify_audit_chain",
    "get_compliance_report",
    "get_config",
    "store_artifact",
    "verify_artifact",
    "get_cost_summary",
];

/// An `aiperture serve --mcp` process and its pipes.
pub struct Stdio_ {
    pub child: Child,
    /// `None` once closed.
    pub input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Stdio_ {
    pub fn start(inst: &Install) -> Stdio_ {
        let mut child = inst
            .cmd()
            .args(["serve", "--mcp"])
            .current_dir(inst.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().unwrap());
        Stdio_ {
            child,
            input,
            output,
        }
    }

    /// Starts a server and runs the `initialize` handshake at `version`.
    pub fn initialized(inst: &Install, version: &str) -> (Stdio_, Value) {
        let mut s = Stdio_::start(inst);
        let init = s.request(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}),
        );
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        (s, init)
    }

    pub fn send(&mut self, msg: &Value) {
        let input = self.input.as_mut().expect("stdin is closed");
        writeln!(input, "{msg}").unwrap();
        input.flush().unwrap();
    }

    /// Sends a request and reads lines until its answer (the whole JSON-RPC message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = format!("{method}-{}", rand_id());
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self.output.read_line(&mut line).unwrap();
            assert!(n > 0, "the server closed stdout before answering {method}");
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line}"));
            if v["id"] == json!(id) {
                return v;
            }
        }
    }

    /// `tools/call` of `name`: the result object (panics on a protocol error).
    pub fn call(&mut self, name: &str, args: Value) -> Value {
        let r = self.request("tools/call", json!({"name": name, "arguments": args}));
        assert!(r.get("error").is_none(), "{name}: {r}");
        r["result"].clone()
    }
}

impl Drop for Stdio_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The audit events, newest first, as `aiperture audit list --json` prints them.
pub fn audit(inst: &Install) -> Vec<Value> {
    inst.cli(&["audit", "list", "--json", "--limit", "1000"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits (at most 10 s) for a child to exit: its exit code.
pub fn exit_code(child: &mut Child) -> Option<i32> {
    let start = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code();
        }
        assert!(start.elapsed().as_secs() < 10, "the server did not exit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
