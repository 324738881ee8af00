//! The user's own Codex execpolicy rules and Gemini CLI policies count as their decisions, for
//! requests from that runtime only: their allow below the risk floor is an allow, their
//! forbidden / deny a deny; per simple command; a repository's files allow LOW risk only
//! (except Gemini's `auto-saved.toml`); a file aiperture cannot read never widens anything; a
//! running gate sees edits.

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use aiperture::store::LocalGate;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "proj/.git"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Env { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn proj(&self) -> PathBuf {
        self.dir.path().join("proj")
    }

    fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env("HOME", self.home())
            .env("AIPERTURE_HOME", self.dir.path().join("ah"))
            .env("AIPERTURE_DB_PATH", self.dir.path().join("ah/db"))
            .current_dir(self.proj());
        c
    }

    fn hook(&self, runtime: &str, payload: Value) -> Value {
        let out = self
            .cmd()
            .args(["hook", runtime])
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Codex: `allow` / `deny` / `ask` (nothing printed: Codex's own policy decides). An allow
    /// shows in `PermissionRequest`, a deny in `PreToolUse`.
    fn codex(&self, command: &str) -> (String, String) {
        let call = |event: &str| {
            self.hook(
                "codex",
                json!({"session_id": "s", "cwd": self.proj(), "hook_event_name": event,
                    "permission_mode": "default", "tool_name": "Bash",
                    "tool_use_id": "t1", "tool_input": {"command": command}}),
            )
        };
        let pre = &call("PreToolUse")["hookSpecificOutput"];
        if pre["permissionDecision"] == "deny" {
            let why = pre["permissionDecisionReason"].as_str().unwrap_or("");
            return ("deny".into(), why.into());
        }
        let pr = call("PermissionRequest");
        match pr["hookSpecificOutput"]["decision"]["behavior"].as_str() {
            Some(b) => (b.into(), pr.to_string()),
            None => ("ask".into(), String::new()),
        }
    }

    fn gemini(&self, tool: &str, input: Value, mcp: Option<Value>) -> (String, String) {
        let mut payload = json!({"session_id": "g", "cwd": self.proj(),
            "hook_event_name": "BeforeTool", "tool_name": tool, "tool_input": input});
        if let Some(m) = mcp {
            payload["mcp_context"] = m;
        }
        let v = self.hook("gemini", payload);
        let why = [&v["reason"], &v["systemMessage"]]
            .iter()
            .filter_map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        (v["decision"].as_str().unwrap_or("").to_string(), why)
    }

    fn gemini_sh(&self, command: &str) -> String {
        self.gemini("run_shell_command", json!({ "command": command }), None)
            .0
    }

    fn doctor(&self) -> String {
        let out = self.cmd().args(["doctor"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

const CODEX_USER: &str = r#"# written by Codex's "always allow" and by hand
prefix_rule(pattern=["git", "push"])
prefix_rule(pattern=["cargo", ["build", "check"]], decision="allow")
prefix_rule(pattern=["rm"])
prefix_rule(
    pattern=["curl"],
    decision="forbidden",
    justification="downloads go through the proxy",
)
host_executable(name="git", paths=["/usr/bin/git"])
"#;

#[test]
fn codex_user_rules_allow_below_the_floor_and_forbid() {
    let env = Env::new();
    assert_eq!(env.codex("cargo build").0, "ask", "no rule: Codex decides");
    env.write(&env.home().join(".codex/rules/default.rules"), CODEX_USER);
    assert_eq!(env.codex("cargo build --release").0, "allow");
    assert_eq!(env.codex("cargo check").0, "allow");
    assert_eq!(env.codex("git push origin main").0, "allow");
    // Prefix on words, one simple command at a time.
    assert_eq!(env.codex("cargo buildx").0, "ask");
    assert_eq!(env.codex("cargo build && npm install").0, "ask");
    // The risk floor wins over the user's allow.
    assert_eq!(env.codex("rm -rf build").0, "allow");
    assert_ne!(env.codex("rm -rf ~/old").0, "allow");
    let (d, why) = env.codex("curl https://example.com/x");
    assert_eq!(d, "deny", "{why}");
    assert!(
        why.contains("codex-rules:") && why.contains("downloads go through the proxy"),
        "{why}"
    );
    // Other runtimes do not read Codex's rules.
    assert_eq!(env.gemini_sh("cargo build"), "ask");
    let text = env.doctor();
    assert!(
        text.contains("codex-rules  4 rules read from")
            && text.contains("default.rules (codex-user)")
            && text.contains("1 not understood"),
        "{text}"
    );
}

#[test]
fn codex_project_rules_allow_low_risk_only_and_broken_files_never_widen() {
    let env = Env::new();
    env.write(
        &env.proj().join(".codex/rules/team.rules"),
        "prefix_rule(pattern=[\"cargo\", \"build\"])\nprefix_rule(pattern=[\"ls\"])\nprefix_rule(pattern=[\"make\"], decision=\"forbidden\")\n",
    );
    assert_eq!(env.codex("cargo build").0, "ask", "MEDIUM: not from a repo");
    assert_eq!(env.codex("ls -la").0, "allow", "LOW: fine");
    assert_eq!(env.codex("make").0, "deny");
    // The user's file breaks: its allow rules go, the forbidden rule read before stays.
    env.write(
        &env.home().join(".codex/rules/default.rules"),
        "prefix_rule(pattern=[\"npm\", \"install\"])\nprefix_rule(pattern=[\"cargo\"], decision=\"forbidden\")\nprefix_rule(pattern=[\"unterminated)\n",
    );
    assert_eq!(env.codex("npm install").0, "ask");
    assert_eq!(env.codex("cargo build").0, "deny");
    let text = env.doctor();
    assert!(
        text.contains("(codex-project)") && text.contains("does not parse at line 3"),
        "{text}"
    );
}

const GEMINI_USER: &str = r#"
[[rule]]
toolName = "run_shell_command"
commandPrefix = ["cargo build", "git push"]
decision = "allow"
priority = 100

[[rule]]
toolName = "run_shell_command"
commandPrefix = "curl"
decision = "deny"
denyMessage = "downloads go through the proxy"

[[rule]]
mcpName = "github"
toolName = "get_issue"
decision = "allow"

[[rule]]
toolName = "run_shell_command"
commandRegex = "^rm .*"
decision = "deny"
"#;

#[test]
fn gemini_user_policies_allow_below_the_floor_and_deny() {
    let env = Env::new();
    assert_eq!(env.gemini_sh("cargo build"), "ask");
    env.write(&env.home().join(".gemini/policies/mine.toml"), GEMINI_USER);
    assert_eq!(env.gemini_sh("cargo build --release"), "allow");
    assert_eq!(env.gemini_sh("git push origin main"), "allow");
    assert_eq!(env.gemini_sh("cargo buildx"), "ask");
    assert_ne!(env.gemini_sh("cargo build; npm install"), "allow");
    let (d, why) = env.gemini(
        "run_shell_command",
        json!({"command": "curl https://x.io"}),
        None,
    );
    assert_eq!(d, "deny", "{why}");
    assert!(
        why.contains("gemini-policy:") && why.contains("downloads go through the proxy"),
        "{why}"
    );
    let mcp = |tool: &str| {
        env.gemini(
            &format!("mcp_github_{tool}"),
            json!({"n": 1}),
            Some(json!({"server_name": "github", "tool_name": tool})),
        )
        .0
    };
    assert_eq!(mcp("get_issue"), "allow");
    assert_ne!(mcp("merge_pr"), "allow");
    // Codex requests do not read Gemini's policies.
    assert_eq!(env.codex("cargo build").0, "ask");
    let text = env.doctor();
    assert!(
        text.contains("gemini-policy 3 rules read from")
            && text.contains("(gemini-user), 1 not understood")
            && text.contains("1 deny or ask_user rule(s) not applied")
            && text.contains("commandRegex"),
        "{text}"
    );
}

#[test]
fn gemini_workspace_policies_allow_low_risk_only_except_auto_saved() {
    let env = Env::new();
    let dir = env.proj().join(".gemini/policies");
    let allow = |prefix: &str| {
        format!(
            "[[rule]]\ntoolName = \"run_shell_command\"\ncommandPrefix = \"{prefix}\"\ndecision = \"allow\"\npriority = 100\n"
        )
    };
    env.write(
        &dir.join("team.toml"),
        &format!(
            "{}{}[[rule]]\ntoolName = \"run_shell_command\"\ncommandPrefix = \"make\"\ndecision = \"deny\"\n",
            allow("cargo build"),
            allow("ls")
        ),
    );
    assert_eq!(
        env.gemini_sh("cargo build"),
        "ask",
        "MEDIUM: not from a repo"
    );
    assert_eq!(env.gemini_sh("ls -la"), "allow");
    assert_eq!(env.gemini_sh("make"), "deny");
    // Gemini's "allow for all future sessions" answers.
    env.write(&dir.join("auto-saved.toml"), &allow("cargo build"));
    assert_eq!(env.gemini_sh("cargo build"), "allow");
    assert_ne!(env.gemini_sh("cargo build && rm -rf ~/x"), "allow");
    // A file that is not TOML gives nothing.
    env.write(&dir.join("auto-saved.toml"), "[[rule]\n");
    assert_eq!(env.gemini_sh("cargo build"), "ask");
    let text = env.doctor();
    assert!(
        text.contains("(gemini-workspace)")
            && text.contains("(gemini-auto-saved)")
            && text.contains("not valid TOML"),
        "{text}"
    );
}

#[test]
fn doctor_says_when_there_are_none() {
    let text = Env::new().doctor();
    assert!(
        text.contains("no Codex rule files") && text.contains("no Gemini CLI policy files"),
        "{text}"
    );
}

/// Writes `text` through a rename, as editors do.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_running_gate_sees_rule_file_edits() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    let proj = t.path().join("proj");
    let rules = proj.join(".codex/rules");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&rules).unwrap();
    let gate = LocalGate::open_with(
        Paths::at(&home, &t.path().join("a.db")),
        Settings::default(),
        Arc::new(ManualClock::new(1_800_000_000_000)),
    )
    .unwrap();
    let project = proj.display().to_string();
    let check = |session: &str| {
        let req = Request {
            runtime: "codex".into(),
            event: "PreToolUse".into(),
            session_id: session.into(),
            cwd: project.clone(),
            project: project.clone(),
            tool: "shell".into(),
            action: "execute".into(),
            scope: "make".into(),
            raw_tool_name: "Bash".into(),
            ..Request::default()
        };
        gate.check(&req).unwrap()
    };
    assert_ne!(check("a").decision, Decision::Deny);
    let file = rules.join("team.rules");
    replace(
        &file,
        "prefix_rule(pattern=[\"make\"], decision=\"forbidden\")\n",
    );
    let v = check("b");
    assert_eq!(v.decision, Decision::Deny, "{}", v.decided_by);
    assert!(v.decided_by.starts_with("codex-rules:"), "{}", v.decided_by);
    replace(&file, "# nothing\n");
    assert_ne!(check("c").decision, Decision::Deny);
    std::fs::remove_file(&file).unwrap();
    assert_ne!(check("d").decision, Decision::Deny);
}
