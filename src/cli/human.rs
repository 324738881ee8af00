//! Admin acts need a human: the one check every command that changes what the gate allows
//! calls first (`grant`, `grant --revoke`, `bootstrap`, `bootstrap --remove`, `revoke`,
//! `config set`, `config unset`, `configure`).
//!
//! An act goes ahead in one of two ways:
//!
//! 1. **A human at a terminal**: not inside an agent's tool call (no runtime's environment
//!    marker, no agent runtime among the parent processes), stdin a terminal and a controlling
//!    terminal (`/dev/tty`) on which the human types `yes` to a prompt naming the act.
//! 2. **A challenge signed with the install key** in `AIPERTURE_ADMIN_CHALLENGE`, for scripts
//!    and CI: `a1.<unix seconds>.<32 hex nonce>.<64 hex HMAC-SHA256>`, the MAC over
//!    `aiperture-admin-v1`, the seconds, the nonce and every argument after the program name,
//!    joined by NUL bytes (arguments cannot hold NUL, so the encoding is unambiguous). Valid for `challenge_ttl_seconds` of wall-clock time, once (its nonce is
//!    consumed in the store), and only for exactly these arguments. The MAC, the check and
//!    the nonce store are the library's ([`aiperture::admin_proof`]), shared with the
//!    server's admin routes; this module keeps the terminal and the agent detection.
//!
//! What this stops and what it does not is in docs/security.md ("Admin acts need a human").

use aiperture::admin_proof;
use aiperture::paths::Paths;
use std::io::{BufRead, IsTerminal, Write};

/// The environment variable that carries an admin challenge.
pub const CHALLENGE_ENV: &str = "AIPERTURE_ADMIN_CHALLENGE";

/// Environment variables agent runtimes set in the processes their tools (or hooks) run, and
/// the runtime each names. Any one of them, non-empty, means "inside an agent".
/// Sources: docs of each runtime (PROTOCOLS.md lists the hook ones); `CLAUDECODE` and
/// `GEMINI_CLI` are set for every shell command the agent runs.
pub const ENV_MARKERS: &[(&str, &str)] = &[
    ("CLAUDECODE", "Claude Code"),
    ("CLAUDE_CODE_ENTRYPOINT", "Claude Code"),
    (
        "CLAUDE_PROJECT_DIR",
        "Claude Code (or a runtime running its hooks)",
    ),
    ("CLAUDE_CODE_REMOTE", "Claude Code"),
    ("CODEX_SANDBOX", "Codex"),
    ("CODEX_SANDBOX_NETWORK_DISABLED", "Codex"),
    ("CODEX_MANAGED_BY_NPM", "Codex"),
    ("CODEX_THREAD_ID", "Codex"),
    ("GEMINI_CLI", "Gemini CLI"),
    ("GEMINI_PROJECT_DIR", "Gemini CLI"),
    ("GEMINI_SESSION_ID", "Gemini CLI"),
    ("GEMINI_CWD", "Gemini CLI"),
    ("CURSOR_AGENT", "Cursor"),
    ("CURSOR_PROJECT_DIR", "Cursor"),
    ("CURSOR_TRANSCRIPT_PATH", "Cursor"),
    ("CURSOR_VERSION", "Cursor"),
    ("COPILOT_CLI", "Copilot CLI"),
    ("COPILOT_AGENT_SESSION_ID", "Copilot"),
    ("OPENCLAW_SESSION_KEY", "OpenClaw"),
    ("OPENCLAW_GATEWAY_TOKEN", "OpenClaw"),
];

/// Names of agent runtime programs: a process whose name, executable or script (first two
/// arguments) has one of these base names is an agent.
pub const AGENT_PROGRAMS: &[&str] = &[
    "claude",
    "claude-code",
    "codex",
    "gemini",
    "cursor-agent",
    "copilot",
    "openclaw",
];

/// Package directories of agent runtimes started through `node script.js`.
const AGENT_PACKAGES: &[&str] = &[
    "/@anthropic-ai/claude-code/",
    "/@openai/codex/",
    "/@google/gemini-cli/",
    "/@github/copilot/",
    "/openclaw/",
];

/// How an act was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A human confirmed at a terminal.
    Terminal,
    /// A valid, unused challenge signed with the install key.
    Challenge,
}

/// Requires a human (or a challenge) for the act described by `what` (shown in the prompt,
/// e.g. "grant allow shell/execute `npm test` for 1h"). Refuses with an error that says
/// why and what to do; nothing has been changed when it refuses.
pub fn require(paths: &Paths, what: &str) -> anyhow::Result<Proof> {
    let token = std::env::var(CHALLENGE_ENV).unwrap_or_default();
    if !token.trim().is_empty() {
        verify_challenge(paths, token.trim(), &own_args())?;
        return Ok(Proof::Challenge);
    }
    if let Some(why) = inside_agent() {
        anyhow::bail!(
            "refusing: {what} is an admin act and this runs inside an agent ({why}); \
             run it yourself in a terminal, or sign it (docs/security.md, \"Admin acts need a human\")"
        );
    }
    confirm_at_terminal(what)?;
    Ok(Proof::Terminal)
}

/// For an act that asks its own questions (`configure`): refuses inside an agent or without
/// a terminal, asks nothing itself (the caller's final `yes` is the confirmation) and takes
/// no challenge (there is no one to answer the questions).
pub fn require_terminal(what: &str) -> anyhow::Result<()> {
    if let Some(why) = inside_agent() {
        anyhow::bail!(
            "refusing: {what} is an admin act and this runs inside an agent ({why}); \
             run it yourself in a terminal"
        );
    }
    if !std::io::stdin().is_terminal() || std::fs::File::open("/dev/tty").is_err() {
        anyhow::bail!(
            "refusing: {what} is an admin act and needs a human at a terminal (stdin is not one)"
        );
    }
    Ok(())
}

/// Why this process looks like it runs inside an agent's tool call, or `None`.
pub fn inside_agent() -> Option<String> {
    if let Some((var, rt)) = env_marker(|k| std::env::var_os(k)) {
        return Some(format!("{var} is set: {rt}"));
    }
    agent_ancestor()
}

/// The first runtime marker present (non-empty) according to `get`.
pub fn env_marker(
    get: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<(&'static str, &'static str)> {
    ENV_MARKERS
        .iter()
        .copied()
        .find(|(k, _)| get(k).is_some_and(|v| !v.is_empty()))
}

/// Whether a process with this name (`comm`), executable path and arguments is an agent
/// runtime.
pub fn is_agent_process(comm: &str, exe: &str, argv: &[String]) -> bool {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let named = |s: &str| {
        let b = base(s);
        let b = b.strip_suffix(".js").unwrap_or(&b);
        AGENT_PROGRAMS.contains(&b)
    };
    if named(comm) || named(exe) {
        return true;
    }
    argv.iter()
        .take(2)
        .any(|a| named(a) || AGENT_PACKAGES.iter().any(|p| a.contains(p)))
}

/// The parent pid from the text of `/proc/<pid>/stat` (the field after the state, which
/// follows the last `)`: the name may hold spaces and parentheses).
pub fn ppid_of_stat(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The first agent runtime among this process's ancestors, described; `None` when there is
/// none. Fails closed (says so) when the process table cannot be read on Linux.
#[cfg(target_os = "linux")]
fn agent_ancestor() -> Option<String> {
    let read = |pid: u32, what: &str| std::fs::read(format!("/proc/{pid}/{what}")).ok();
    // SAFETY: getppid has no preconditions and cannot fail.
    let mut pid = unsafe { libc::getppid() } as u32;
    for _ in 0..64 {
        if pid <= 1 {
            return None;
        }
        let Some(stat) = read(pid, "stat") else {
            return Some(format!("the parent process {pid} cannot be inspected"));
        };
        let stat = String::from_utf8_lossy(&stat).into_owned();
        let comm = read(pid, "comm")
            .map(|c| String::from_utf8_lossy(&c).trim().to_string())
            .unwrap_or_default();
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let argv: Vec<String> = read(pid, "cmdline")
            .unwrap_or_default()
            .split(|b| *b == 0)
            .take(2)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if is_agent_process(&comm, &exe, &argv) {
            return Some(format!("parent process {pid} is `{comm}`"));
        }
        pid = ppid_of_stat(&stat)?;
    }
    Some("the parent process chain is deeper than 64".into())
}

/// Elsewhere only the environment markers are looked at.
#[cfg(not(target_os = "linux"))]
fn agent_ancestor() -> Option<String> {
    None
}

/// The arguments after the program name, as the kernel has them (`/proc/self/cmdline`),
/// falling back to std's.
fn own_args() -> Vec<String> {
    if let Ok(raw) = std::fs::read("/proc/self/cmdline") {
        let mut parts: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        return parts.into_iter().skip(1).collect();
    }
    std::env::args().skip(1).collect()
}

/// Asks on the controlling terminal; only `yes` (or `y`) goes ahead.
fn confirm_at_terminal(what: &str) -> anyhow::Result<()> {
    let no_terminal = || {
        anyhow::anyhow!(
            "refusing: {what} is an admin act and needs a human at a terminal (stdin is not one); \
             from a script, sign it with the install key in {CHALLENGE_ENV} \
             (docs/security.md, \"Admin acts need a human\")"
        )
    };
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    write!(tty, "aiperture: {what}\nType yes to confirm: ")?;
    tty.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(&tty).read_line(&mut line)?;
    match line.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" => Ok(()),
        _ => anyhow::bail!("not confirmed; nothing changed"),
    }
}

/// Verifies the challenge for these arguments with the install key and consumes its nonce
/// (the library's one verifier, [`admin_proof::verify`]).
fn verify_challenge(paths: &Paths, token: &str, args: &[String]) -> anyhow::Result<()> {
    admin_proof::verify(paths, token, args).map_err(|e| match e {
        admin_proof::VerifyError::Refused(r) => {
            let why = match r {
                admin_proof::Refused::Forged => {
                    "not signed with the install key for exactly these arguments"
                }
                other => other.why(),
            };
            anyhow::anyhow!("refusing: the admin challenge in {CHALLENGE_ENV} is {why}")
        }
        admin_proof::VerifyError::Unavailable(e) => {
            anyhow::anyhow!("refusing: {CHALLENGE_ENV} is set but cannot be checked: {e:#}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runtime_markers_are_found_only_when_set_and_non_empty() {
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                set.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(env_marker(env(&[("HOME", "/h")])), None);
        assert_eq!(env_marker(env(&[("CLAUDECODE", "")])), None);
        assert_eq!(
            env_marker(env(&[("CLAUDECODE", "1")])),
            Some(("CLAUDECODE", "Claude Code"))
        );
        assert_eq!(
            env_marker(env(&[("GEMINI_CLI", "1")])).map(|m| m.1),
            Some("Gemini CLI")
        );
    }

    #[test]
    fn agent_processes_are_known_by_name_executable_or_script() {
        let none: &[String] = &[];
        assert!(is_agent_process("claude", "", none));
        assert!(is_agent_process(
            "node",
            "/usr/bin/node",
            &args(&["node", "/usr/local/bin/gemini"])
        ));
        assert!(is_agent_process(
            "node",
            "/usr/bin/node",
            &args(&[
                "node",
                "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"
            ])
        ));
        assert!(is_agent_process("MainThread", "/opt/codex/bin/codex", none));
        assert!(is_agent_process("cursor-agent", "", none));
        assert!(!is_agent_process(
            "bash",
            "/usr/bin/bash",
            &args(&["bash", "-c", "claude"])
        ));
        assert!(!is_agent_process("tmux: server", "/usr/bin/tmux", none));
        assert!(!is_agent_process("code", "/usr/share/code/code", none));
    }

    #[test]
    fn the_parent_pid_is_read_past_a_name_with_spaces_and_parentheses() {
        assert_eq!(ppid_of_stat("42 (a) b) c) S 17 42 42 0"), Some(17));
        assert_eq!(ppid_of_stat("42 (bash) S 1 42"), Some(1));
        assert_eq!(ppid_of_stat("garbage"), None);
    }
}
