//! Red-team regressions of issue 21, classes 5–7, run end to end against the binary with a
//! temporary store, a realistic home and a project with `.git`:
//!
//! - class 5: MCP arguments past 512 characters are judged and keyed whole (the pad attack);
//! - class 6: adapters judge every item of a call, and deletes are not writes;
//! - class 7: aiperture's own MCP tools and `aiperture` shell commands are gated.

mod admin_support;

use admin_support::AdminCmd;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::cell::Cell;
use std::path::PathBuf;
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    /// A clock advanced a few minutes per call, so approvals are never rubber stamps.
    now_ms: Cell<i64>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proj/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("proj/src")).unwrap();
        std::fs::write(dir.path().join("proj/README.md"), "# x\n").unwrap();
        std::fs::create_dir_all(dir.path().join("user/.ssh")).unwrap();
        std::fs::create_dir_all(dir.path().join("aphome")).unwrap();
        Env {
            dir,
            now_ms: Cell::new(1_795_680_000_000),
        }
    }

    fn proj(&self) -> String {
        self.dir.path().join("proj").display().to_string()
    }

    fn user(&self) -> String {
        self.dir.path().join("user").display().to_string()
    }

    fn aphome(&self) -> PathBuf {
        self.dir.path().join("aphome")
    }

    fn cmd(&self) -> Command {
        self.now_ms.set(self.now_ms.get() + 5 * 60 * 1000);
        let mut c = Command::cargo_bin("aiperture").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("AIPERTURE_") {
                c.env_remove(&k);
            }
        }
        c.env("AIPERTURE_HOME", self.aphome())
            .env("AIPERTURE_DB_PATH", self.aphome().join("aiperture.db"))
            .env("AIPERTURE_NOW_MS", self.now_ms.get().to_string())
            .env("HOME", self.user())
            .current_dir(self.proj());
        c
    }

    fn hook(&self, runtime: &str, payload: &Value) -> String {
        self.hook_raw(runtime, &payload.to_string())
    }

    fn hook_raw(&self, runtime: &str, payload: &str) -> String {
        let out = self
            .cmd()
            .args(["hook", runtime])
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{runtime}: {payload}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn bootstrap_developer(&self) {
        let out = self
            .cmd()
            .admin(&self.aphome(), &["bootstrap", "developer"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A Claude Code tool event.
    fn claude(&self, event: &str, session: &str, id: &str, tool: &str, input: &Value) -> Value {
        json!({
            "session_id": session, "cwd": self.proj(), "permission_mode": "default",
            "hook_event_name": event, "tool_name": tool, "tool_input": input,
            "tool_use_id": id,
            "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        })
    }

    /// Claude Code's PreToolUse decision.
    fn pre(&self, session: &str, id: &str, tool: &str, input: &Value) -> String {
        let stdout = self.hook(
            "claude-code",
            &self.claude("PreToolUse", session, id, tool, input),
        );
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{tool} {input}: {e}: {stdout:?}"));
        v["hookSpecificOutput"]["permissionDecision"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// An ask the human approved in Claude Code's dialog: PreToolUse asks, then the tool ran.
    fn approve_in_dialog(&self, session: &str, id: &str, tool: &str, input: &Value) {
        assert_eq!(self.pre(session, id, tool, input), "ask", "{tool} {input}");
        let note = self.hook(
            "claude-code",
            &self.claude("PostToolUse", session, id, tool, input),
        );
        assert!(note.contains("approv"), "{note}");
    }
}

fn pad_read(pad: &str, path: &str) -> Value {
    json!({"a_pad": pad, "path": path})
}

#[test]
fn class5_padded_mcp_arguments_are_keyed_and_judged_whole() {
    let env = Env::new();
    let pad = "A".repeat(600);
    let readme = format!("{}/README.md", env.proj());
    let tool = "mcp__filesystem__read_file";
    env.approve_in_dialog("s1", "t1", tool, &pad_read(&pad, &readme));
    // Session memory remembers exactly that call…
    assert_eq!(env.pre("s1", "t2", tool, &pad_read(&pad, &readme)), "allow");
    // …and nothing past the first 512 characters that differs from it.
    let other = format!("{}/src/other.md", env.proj());
    assert_eq!(env.pre("s1", "t3", tool, &pad_read(&pad, &other)), "ask");
    let key = env.aphome().join("key").display().to_string();
    assert_eq!(env.pre("s1", "t4", tool, &pad_read(&pad, &key)), "deny");
    let ssh = format!("{}/.ssh/id_rsa", env.user());
    assert_ne!(env.pre("s1", "t5", tool, &pad_read(&pad, &ssh)), "allow");
    // Deep in the arguments, behind a long pad, is still judged.
    let deep = json!({"a_pad": pad, "opts": {"files": [[{"p": key}]]}});
    assert_eq!(env.pre("s1", "t6", tool, &deep), "deny");
    // A key given twice (the tool may act on the first, serde keeps the last) fails closed.
    let dup = format!(
        r#"{{"session_id":"s1","cwd":"{}","hook_event_name":"PreToolUse","tool_use_id":"t8","tool_name":"{tool}","tool_input":{{"a_pad":"{pad}","path":"{key}","path":"{readme}"}}}}"#,
        env.proj()
    );
    let out = env.hook_raw("claude-code", &dup);
    assert!(out.contains(r#""permissionDecision":"ask""#), "{out}");
    // An unknown tool's arguments are judged the same way.
    assert_eq!(
        env.pre("s1", "t7", "SomeNewTool", &pad_read(&pad, &key)),
        "deny"
    );
}

fn gemini(env: &Env, tool: &str, input: Value) -> String {
    let out = env.hook(
        "gemini",
        &json!({"hook_event_name":"BeforeTool","cwd":env.proj(),"session_id":"g",
            "tool_name":tool,"tool_input":input}),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    v["decision"].as_str().unwrap_or("").to_string()
}

#[test]
fn class6_gemini_judges_every_item_under_the_developer_preset() {
    let env = Env::new();
    env.bootstrap_developer();
    // The first item alone is what the preset allows.
    assert_eq!(
        gemini(&env, "read_many_files", json!({"include":["src/**/*.py"]})),
        "allow"
    );
    for (tool, input) in [
        (
            "read_many_files",
            json!({"include":["src/**/*.py","~/.ssh/id_rsa"]}),
        ),
        (
            "read_many_files",
            json!({"paths":["src/**/*.py","~/.ssh/id_rsa"]}),
        ),
        (
            "web_fetch",
            json!({"prompt":"summarize https://example.com/a and http://169.254.169.254/latest/meta-data/"}),
        ),
        ("grep_search", json!({"pattern":"PRIVATE","path":"~/.ssh"})),
        ("list_directory", json!({"path":"~/.ssh"})),
        ("glob", json!({"pattern":"src/**/../../../../*"})),
    ] {
        assert_ne!(gemini(&env, tool, input.clone()), "allow", "{tool} {input}");
    }
}

#[test]
fn class6_a_learned_edit_pattern_never_covers_a_delete() {
    let env = Env::new();
    for i in 0..10 {
        let input = json!({"file_path": format!("src/f{i}.rs"), "old_string": "a",
            "new_string": format!("b{i}")});
        env.approve_in_dialog(&format!("s{i}"), &format!("t{i}"), "Edit", &input);
        env.hook(
            "claude-code",
            &json!({"session_id": format!("s{i}"), "cwd": env.proj(), "hook_event_name": "Stop"}),
        );
    }
    // The learned pattern covers a new edit…
    let edit = json!({"file_path": "src/g.rs", "old_string": "a", "new_string": "c"});
    assert_eq!(env.pre("s-new", "t-new", "Edit", &edit), "allow");
    // …but not deleting through Cursor or a Codex or OpenClaw patch, nor moving a file.
    let cursor = env.hook(
        "cursor",
        &json!({"hook_event_name":"preToolUse","cwd":env.proj(),"conversation_id":"c",
            "tool_name":"Delete","tool_input":{"path":"src/g.rs"}}),
    );
    assert!(!cursor.contains(r#""permission":"allow""#), "{cursor}");
    let codex = env.hook(
        "codex",
        &json!({"hook_event_name":"PermissionRequest","cwd":env.proj(),"session_id":"x",
            "tool_name":"apply_patch","tool_input":{"command":"*** Begin Patch\n*** Delete File: src/g.rs\n*** End Patch\n"}}),
    );
    assert!(!codex.contains("allow"), "{codex}");
    let openclaw = env.hook(
        "openclaw",
        &json!({"hook_event_name":"before_tool_call","cwd":env.proj(),
            "event":{"toolName":"apply_patch","params":{"input":"*** Begin Patch\n*** Update File: src/g.rs\n*** Move to: src/h.rs\n@@\n-a\n+c\n*** End Patch\n"}}}),
    );
    assert!(openclaw.contains("requireApproval"), "{openclaw}");
}

#[test]
fn class7_aiperture_mcp_tools_are_gated() {
    let env = Env::new();
    assert_eq!(
        env.pre("s", "t1", "mcp__aiperture__approve", &json!({"id": "p1"})),
        "deny"
    );
    assert_eq!(
        env.pre(
            "s",
            "t2",
            "mcp__aiperture__config_set",
            &json!({"key": "risk_floor", "value": "off"})
        ),
        "deny"
    );
    // A harmless-sounding tool of a server named `aiperture` gets an answer, not silence.
    assert_eq!(
        env.pre("s", "t3", "mcp__aiperture__check", &json!({})),
        "ask"
    );
}

#[test]
fn class7_aiperture_shell_commands_are_judged_and_never_learned() {
    let env = Env::new();
    env.bootstrap_developer();
    let bash = |id: &str, cmd: &str| env.pre("s", id, "Bash", &json!({"command": cmd}));
    assert_eq!(bash("t1", "aiperture exec -- rm -rf ~"), "deny");
    assert_ne!(bash("t2", "aiperture report --out ~/.bashrc"), "allow");
    assert_ne!(bash("t3", "aiperture frobnicate"), "allow");
    // Approvals of a read-only subcommand (LOW: three are enough) teach that exact command,
    // nothing wider.
    for i in 0..3 {
        env.approve_in_dialog(
            &format!("d{i}"),
            &format!("u{i}"),
            "Bash",
            &json!({"command": "aiperture doctor"}),
        );
        env.hook(
            "claude-code",
            &json!({"session_id": format!("d{i}"), "cwd": env.proj(), "hook_event_name": "Stop"}),
        );
    }
    let new = |id: &str, cmd: &str| env.pre("fresh", id, "Bash", &json!({"command": cmd}));
    assert_eq!(new("v0", "aiperture doctor"), "allow");
    assert_eq!(new("v1", "aiperture doctor --json"), "ask");
    assert_ne!(new("v2", "aiperture exec -- touch src/x"), "allow");
}
