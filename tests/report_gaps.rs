//! The report names its gaps: a tool call the runtime ran with no prior check is listed with
//! its tool, its command (credentials redacted), session, runtime and time, in JSON, Markdown
//! and HTML; `aiperture audit list` shows what a `tool.executed` event ran. Seeded through the
//! Claude Code hook in a temporary `AIPERTURE_HOME` and store.

use assert_cmd::Command;
use serde_json::{Value, json};

const T0: i64 = 1_795_680_000_000;
const TOKEN: &str = "ghp_Zx9aQ2mLp0Rt7VbN3cKd8WeYfGhJkL1234";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn cmd(&self, now: i64) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", self.dir.path().join("home"))
            .env(
                "AIPERTURE_DB_PATH",
                self.dir.path().join("data/aiperture.db"),
            )
            .env("AIPERTURE_NOW_MS", now.to_string())
            .current_dir(self.dir.path());
        c
    }

    fn hook(&self, now: i64, event: &str, session: &str, id: &str, command: &str) {
        let payload = json!({
            "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": "/tmp/acme",
            "permission_mode": "default", "hook_event_name": event, "tool_name": "Bash",
            "tool_input": {"command": command}, "tool_use_id": id,
            "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        });
        let out = self
            .cmd(now)
            .args(["hook", "claude-code"])
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
    }

    fn out(&self, args: &[&str]) -> String {
        let out = self.cmd(T0 + 60_000).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn seeded() -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    // Checked: PreToolUse then PostToolUse of the same call.
    env.hook(T0, "PreToolUse", "s-ok", "t1", "git status");
    env.hook(T0 + 1, "PostToolUse", "s-ok", "t1", "git status");
    // Two gaps: the runtime ran them, aiperture was never asked.
    let secret = format!("curl -H 'Authorization: Bearer {TOKEN}' https://api.example.com/x");
    env.hook(T0 + 1000, "PostToolUse", "s-gap", "t2", &secret);
    env.hook(T0 + 2000, "PostToolUse", "s-gap", "t3", "rm -rf build");
    env
}

#[test]
fn the_json_report_lists_each_unchecked_execution() {
    let env = seeded();
    let r: Value = serde_json::from_str(&env.out(&["report", "--format", "json"])).unwrap();
    let c = &r["compliance"];
    assert_eq!(
        (c["executions"].as_u64(), c["gaps"].as_u64()),
        (Some(3), Some(2))
    );
    let u = &c["unchecked"];
    assert_eq!(u["count"], 2);
    let items = u["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Newest first.
    assert_eq!(items[0]["scope"], "rm -rf build");
    assert_eq!(items[0]["ts_ms"], T0 + 2000);
    assert_eq!(items[0]["tool_use_id"], "t3");
    assert_eq!(items[0]["outcome"], "succeeded");
    for i in items {
        assert_eq!(
            (i["tool"].as_str(), i["action"].as_str()),
            (Some("shell"), Some("execute"))
        );
        assert_eq!(i["runtime"], "claude-code");
        assert!(i["session"].as_str().unwrap().contains("s-gap"), "{i}");
    }
    assert_eq!(
        items[1]["scope"],
        "curl -H 'Authorization: Bearer [REDACTED]' https://api.example.com/x"
    );
    assert!(!r.to_string().contains(TOKEN));

    let one: Value =
        serde_json::from_str(&env.out(&["report", "--format", "json", "--limit", "1"])).unwrap();
    assert_eq!(one["compliance"]["unchecked"]["count"], 2);
    assert_eq!(
        one["compliance"]["unchecked"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn markdown_and_html_name_what_ran_unchecked() {
    let env = seeded();
    let md = env.out(&["report"]);
    assert!(md.contains("### What ran unchecked (2)"), "{md}");
    let row = md.lines().find(|l| l.contains("rm -rf build")).unwrap();
    assert!(
        row.contains("claude\\-code") || row.contains("claude-code"),
        "{row}"
    );
    assert!(row.contains("s\\-gap") || row.contains("s-gap"), "{row}");
    assert!(md.contains("[REDACTED]") && !md.contains(TOKEN));

    let html = env.out(&["report", "--format", "html"]);
    assert!(html.contains("What ran unchecked (2)"), "{html}");
    assert!(html.contains("rm -rf build") && html.contains("[REDACTED]"));
    assert!(!html.contains(TOKEN));
    // Escaped like every attacker-controlled string.
    assert!(html.contains("Authorization: Bearer [REDACTED]&#39;") || html.contains("&#x27;"));
}

#[test]
fn audit_list_shows_what_a_tool_execution_ran() {
    let env = seeded();
    let out = env.out(&["audit", "list", "--type", "tool.executed"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].ends_with("shell/execute ran (succeeded): rm -rf build"),
        "{out}"
    );
    assert!(
        lines[1].contains(": curl -H 'Authorization: Bearer [REDACTED]'"),
        "{out}"
    );
    assert!(lines[2].ends_with(": git status"), "{out}");
    assert!(!out.contains(TOKEN));
}
