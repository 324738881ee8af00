//! Shared set-up for the reliability suite (`tests/reliability_*.rs`): a temporary install
//! (home, store, project id), runtime payloads built from the repo's fixtures, and a hook runner
//! with a watchdog that fails a test only when the process hangs, never on timing.
//!
//! Every process is started with `std::process::Command` on the debug binary, with its own
//! `AIPERTURE_HOME`, `AIPERTURE_DB_PATH` and `HOME`, and with every other `AIPERTURE_*`
//! variable of the caller's environment removed.
#![allow(dead_code)]

#[path = "../admin_support/mod.rs"]
mod admin_support;
pub use admin_support::AdminCmd;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The project id every test install pins (`AIPERTURE_PROJECT_ID`).
pub const PROJECT: &str = "proj";

/// 2026-03-01T12:00:00Z, for `AIPERTURE_NOW_MS` (honoured by debug builds only).
pub const T0: i64 = 1_772_366_400_000;

/// The watchdog: a hook process still running after this long is a hang.
pub const WATCHDOG: Duration = Duration::from_secs(20);

/// The debug binary under test.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("aiperture")
}

/// The repo's fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A temporary installation: config home, store path, a fake user home.
pub struct Install {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub db: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Install {
    /// A fresh install under a new temporary directory (nothing created yet but the dirs).
    pub fn new() -> Install {
        Self::new_in(None)
    }

    /// A fresh install under `parent` (a mount point, for instance).
    pub fn new_in(parent: Option<&Path>) -> Install {
        let dir = match parent {
            Some(p) => tempfile::tempdir_in(p).unwrap(),
            None => tempfile::tempdir().unwrap(),
        };
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(dir.path().join("user")).unwrap();
        let db = dir.path().join("data").join("aiperture.db");
        let mut env = vec![("AIPERTURE_PROJECT_ID".to_string(), PROJECT.to_string())];
        // The store matrix (`AIPERTURE_TEST_STORE=postgres`, .ci/run): every process of this
        // install uses a fresh PostgreSQL database instead of the SQLite file.
        if let Some(url) = aiperture::store::postgres::testing::matrix_url("reliability") {
            env.push(("AIPERTURE_DB_URL".into(), url));
        }
        Install { dir, home, db, env }
    }

    /// Adds an environment variable for every process of this install.
    pub fn with_env(mut self, k: &str, v: &str) -> Install {
        self.env.push((k.into(), v.into()));
        self
    }

    /// A command for the binary with this install's environment.
    pub fn cmd(&self) -> Command {
        self.cmd_for(&bin())
    }

    /// A command for any program with this install's environment.
    pub fn cmd_for(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("AIPERTURE_") {
                c.env_remove(&k);
            }
        }
        c.env("AIPERTURE_HOME", &self.home)
            .env("AIPERTURE_DB_PATH", &self.db)
            .env("HOME", self.dir.path().join("user"));
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs a CLI command to completion (stdin closed); panics on a non-zero exit.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self
            .cmd()
            .args_signed_if_admin(&self.home, args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aiperture {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A task grant allowing `command` in the pinned project for a day.
    pub fn grant(&self, command: &str) {
        self.cli(&[
            "grant",
            "--scope",
            command,
            "--project",
            PROJECT,
            "--ttl",
            "1d",
        ]);
    }

    /// `aiperture audit verify --json`.
    pub fn verify(&self) -> Value {
        let out = self
            .cmd()
            .args(["audit", "verify", "--json"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "audit verify --json: {e}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Runs one hook call with the watchdog.
    pub fn hook(&self, runtime: &str, payload: &[u8]) -> HookOut {
        let mut c = self.cmd();
        c.args(["hook", runtime]);
        run_with_watchdog(c, payload, WATCHDOG)
    }

    /// The team store's URL when the matrix runs on PostgreSQL.
    pub fn db_url(&self) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == "AIPERTURE_DB_URL")
            .map(|(_, v)| v.as_str())
    }

    /// A connection to the store (whichever the matrix selected), for counting rows.
    pub fn sql(&self) -> Sql {
        match self.db_url() {
            Some(url) => Sql::Postgres(std::cell::RefCell::new(
                postgres::Client::connect(url, postgres::NoTls).unwrap(),
            )),
            None => Sql::Sqlite(
                rusqlite::Connection::open_with_flags(
                    &self.db,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap(),
            ),
        }
    }
}

/// A connection to the store under test: the SQLite file, or the team store's database.
pub enum Sql {
    /// The SQLite file, read-only.
    Sqlite(rusqlite::Connection),
    /// The PostgreSQL database.
    Postgres(std::cell::RefCell<postgres::Client>),
}

impl Sql {
    /// The first row of `sql` as JSON values (integers, floats, text, null), in column order.
    pub fn first(&self, sql: &str) -> Vec<Value> {
        match self {
            Sql::Sqlite(c) => c
                .query_row(sql, [], |r| {
                    let n = r.as_ref().column_count();
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => Value::Null,
                                rusqlite::types::ValueRef::Integer(v) => v.into(),
                                rusqlite::types::ValueRef::Real(v) => v.into(),
                                rusqlite::types::ValueRef::Text(t) => {
                                    String::from_utf8_lossy(t).into_owned().into()
                                }
                                rusqlite::types::ValueRef::Blob(_) => Value::Null,
                            })
                        })
                        .collect()
                })
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Sql::Postgres(c) => {
                // The server renders the row as a JSON array, whatever its column types.
                let wrapped = format!(
                    "SELECT (SELECT json_agg(v) FROM json_each(row_to_json(t)) AS v)::text FROM ({sql}) AS t LIMIT 1"
                );
                let row = c
                    .borrow_mut()
                    .query_one(&wrapped, &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
                let text: Option<String> = row.get(0);
                let v: Value = serde_json::from_str(text.as_deref().unwrap_or("[]")).unwrap();
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .map(|kv| kv.get("value").cloned().unwrap_or(Value::Null))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        }
    }
}

impl Sql {
    /// The first column of the first row of `sql`, as text.
    pub fn text(&self, sql: &str) -> String {
        match self.first(sql).first() {
            Some(Value::String(s)) => s.clone(),
            other => panic!("{sql}: not text: {other:?}"),
        }
    }
}

/// `SELECT count(*)`-style single integer (a NULL reads as 0).
pub fn count(c: &Sql, sql: &str) -> i64 {
    match c.first(sql).first() {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or_else(|| panic!("{sql}: {n}")),
        Some(Value::Null) | None => 0,
        Some(other) => panic!("{sql}: not a number: {other}"),
    }
}

/// What a hook process did.
#[derive(Debug, Clone)]
pub struct HookOut {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub peak_rss_kb: Option<u64>,
}

/// Spawns `c`, feeds `stdin` from a thread, and kills it if it outlives `limit` (a hang fails
/// the test; the time itself is only reported).
pub fn run_with_watchdog(mut c: Command, stdin: &[u8], limit: Duration) -> HookOut {
    let start = Instant::now();
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // The hook may stop reading early (size cap): a broken pipe is fine.
    let feeder = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let so = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut b);
        b
    });
    let se = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut b);
        b
    });
    let mut peak = None;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        peak = peak.max(rss_kb(pid));
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    let _ = feeder.join();
    HookOut {
        code: status.code(),
        stdout: String::from_utf8_lossy(&so.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&se.join().unwrap()).into_owned(),
        elapsed,
        peak_rss_kb: peak,
    }
}

/// The peak resident set (VmHWM) of a live process, in KiB (Linux only).
fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A runtime's answer, normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// The call proceeds without a human.
    Allow,
    /// A human is asked.
    Ask,
    /// The call is blocked.
    Deny,
    /// Nothing printed, exit 0: the runtime's normal flow (for Codex this is also its allow).
    Nothing,
    /// An exit code or output the runtime reads as a failed hook, i.e. fail-open.
    Broken,
}

/// The runtimes `aiperture hook` serves.
pub const RUNTIMES: &[&str] = &[
    "claude-code",
    "cursor",
    "gemini",
    "codex",
    "copilot",
    "openclaw",
];

/// How a runtime reads a hook's exit code and stdout (PROTOCOLS.md §0).
pub fn said(runtime: &str, out: &HookOut) -> Said {
    match out.code {
        Some(0) => {}
        Some(2) if runtime != "openclaw" => return Said::Deny,
        _ => return Said::Broken,
    }
    let text = out.stdout.trim();
    if text.is_empty() {
        return Said::Nothing;
    }
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Said::Broken;
    };
    let word = |s: Option<&str>| match s {
        Some("allow") | Some("approve") => Said::Allow,
        Some("ask") => Said::Ask,
        Some("deny") | Some("block") => Said::Deny,
        _ => Said::Broken,
    };
    match runtime {
        "claude-code" | "codex" => {
            let h = &v["hookSpecificOutput"];
            if let Some(d) = h["permissionDecision"].as_str() {
                word(Some(d))
            } else if let Some(b) = h["decision"]["behavior"].as_str() {
                word(Some(b))
            } else if v["decision"].is_string() {
                word(v["decision"].as_str())
            } else {
                Said::Nothing
            }
        }
        "gemini" => match v["decision"].as_str() {
            None => Said::Nothing,
            d => word(d),
        },
        "cursor" => word(v["permission"].as_str()),
        "copilot" => match (v["permissionDecision"].as_str(), v["behavior"].as_str()) {
            (Some(d), _) | (None, Some(d)) => word(Some(d)),
            (None, None) => Said::Nothing,
        },
        "openclaw" => {
            if v["block"] == Value::Bool(true) {
                Said::Deny
            } else if v["requireApproval"].is_object() {
                Said::Ask
            } else if v.as_object().is_some_and(|o| o.is_empty()) {
                // `{}` is OpenClaw's "no decision": the same answer is its allow.
                Said::Nothing
            } else {
                Said::Allow
            }
        }
        _ => Said::Broken,
    }
}

/// The reason text an answer carries (empty when none).
pub fn reason(out: &HookOut) -> String {
    let Ok(v) = serde_json::from_str::<Value>(out.stdout.trim()) else {
        return out.stderr.clone();
    };
    let mut texts = Vec::new();
    collect_strings(&v, &mut texts);
    texts.push(out.stderr.clone());
    texts.join(" | ")
}

fn collect_strings(v: &Value, into: &mut Vec<String>) {
    match v {
        Value::String(s) => into.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, into)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, into)),
        _ => {}
    }
}

/// Asserts the runtime's fail-closed answer: ask or deny, on an exit code the runtime honours,
/// with a reason mentioning one of `why` (case-insensitive).
pub fn assert_refused(runtime: &str, case: &str, out: &HookOut, why: &[&str]) {
    let s = said(runtime, out);
    assert!(
        matches!(s, Said::Ask | Said::Deny),
        "{runtime} / {case}: expected ask or deny, got {s:?} (exit {:?}) stdout={} stderr={}",
        out.code,
        out.stdout,
        out.stderr
    );
    // Codex has no ask: only deny stops it.
    if runtime == "codex" {
        assert_eq!(s, Said::Deny, "{runtime} / {case}: {}", out.stdout);
    }
    let r = reason(out).to_lowercase();
    eprintln!(
        "{runtime} / {case}: {s:?}, exit {:?}, {:?}: {}",
        out.code,
        out.elapsed,
        r.lines().next().unwrap_or_default()
    );
    assert!(
        why.is_empty() || why.iter().any(|w| r.contains(&w.to_lowercase())),
        "{runtime} / {case}: the reason should mention one of {why:?}: {r}"
    );
    assert!(
        !r.trim_matches(|c: char| c == '|' || c.is_whitespace())
            .is_empty(),
        "{runtime} / {case}: no reason"
    );
}

/// A PreToolUse-style payload for `runtime` running shell `command`, built from the repo's
/// fixture for that runtime with the command, session and tool-use id replaced.
pub fn shell_payload(runtime: &str, command: &str, session: &str, tool_use_id: &str) -> Vec<u8> {
    let (file, _) = fixture_of(runtime);
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join(file)).unwrap()).unwrap();
    match runtime {
        "claude-code" | "codex" => {
            v["tool_input"] = serde_json::json!({"command": command});
            v["session_id"] = session.into();
            v["tool_use_id"] = tool_use_id.into();
        }
        "gemini" => {
            v["tool_input"]["command"] = command.into();
            v["session_id"] = session.into();
        }
        "cursor" => {
            v["command"] = command.into();
            v["conversation_id"] = session.into();
            v["generation_id"] = tool_use_id.into();
        }
        "copilot" => {
            v["toolArgs"] = serde_json::json!({"command": command, "description": "x"})
                .to_string()
                .into();
            v["sessionId"] = session.into();
        }
        "openclaw" => {
            // The fixture's workdir is OpenClaw's default workspace, `~/.openclaw/workspace`.
            v["event"]["params"]["command"] = command.into();
            v["event"]["toolCallId"] = tool_use_id.into();
            v["ctx"]["sessionId"] = session.into();
        }
        other => panic!("unknown runtime {other}"),
    }
    v.to_string().into_bytes()
}

/// The fixture a runtime's shell payload starts from, and its directory name.
pub fn fixture_of(runtime: &str) -> (&'static str, &'static str) {
    match runtime {
        "claude-code" => ("claude-code/input/pretooluse-bash.json", "claude-code"),
        "codex" => ("codex/input/pretooluse-bash.json", "codex"),
        "gemini" => ("gemini-cli/input/beforetool-shell.json", "gemini-cli"),
        "cursor" => ("cursor/input/beforeshellexecution.json", "cursor"),
        "copilot" => (
            "copilot-cli/input/pretooluse-bash-camel.json",
            "copilot-cli",
        ),
        "openclaw" => ("openclaw/input/before-tool-call-exec.json", "openclaw"),
        other => panic!("unknown runtime {other}"),
    }
}

/// A Claude Code PreToolUse payload for a shell command.
pub fn claude_bash(command: &str, session: &str, tool_use_id: &str) -> Vec<u8> {
    serde_json::json!({
        "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": "/home/dev/proj",
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": tool_use_id
    })
    .to_string()
    .into_bytes()
}

/// A Claude Code PostToolUse payload for a shell command that ran.
pub fn claude_post(command: &str, session: &str, tool_use_id: &str) -> Vec<u8> {
    serde_json::json!({
        "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": "/home/dev/proj",
        "permission_mode": "default", "hook_event_name": "PostToolUse", "tool_name": "Bash",
        "tool_input": {"command": command}, "tool_use_id": tool_use_id,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false, "isImage": false}
    })
    .to_string()
    .into_bytes()
}

/// Whether this process runs as root (root ignores file permissions).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs a system command quietly; true when it exited 0.
pub fn sys(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A mount made by a test, unmounted on drop (also when the test panics).
pub struct Mounted(pub PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let p = self.0.display().to_string();
        if !sys("umount", &[&p]) {
            let _ = sys("umount", &["-l", &p]);
        }
    }
}

/// Makes `dir` read-only for everyone, root included: a read-only bind mount of itself (needs
/// CAP_SYS_ADMIN). `None` when mounting is not permitted here.
pub fn read_only_bind(dir: &Path) -> Option<Mounted> {
    let p = dir.display().to_string();
    if !sys("mount", &["--bind", &p, &p]) {
        return None;
    }
    let m = Mounted(dir.to_path_buf());
    if !sys("mount", &["-o", "remount,ro,bind", &p]) {
        return None;
    }
    Some(m)
}

/// A size-limited tmpfs at `dir` (needs CAP_SYS_ADMIN). `None` when not permitted.
pub fn small_tmpfs(dir: &Path, size: &str) -> Option<Mounted> {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.display().to_string();
    if !sys(
        "mount",
        &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", &p],
    ) {
        return None;
    }
    Some(Mounted(dir.to_path_buf()))
}
