//! `aiperture setup <runtime> --mcp`: registers aiperture's MCP server (`aiperture serve
//! --mcp`, docs/mcp.md) in a runtime's MCP configuration, or removes it.
//!
//! Like the hooks: merged, never clobbered (other servers and keys stay as they are), our
//! entry is the server named `aiperture` whose command is an `aiperture…` binary run with
//! `serve --mcp`, replaced in place when the executable moved, removed alone on uninstall, and
//! installing twice changes nothing. A server named `aiperture` that is not ours is left alone
//! and the setup refuses. Writing goes through [`super::apply`] (lock, backup, atomic
//! replace). JSON files keep the user's key order and indentation; Codex's TOML is edited as
//! text (our table is appended, or cut out), so the user's comments and layout stay.

use super::{Plan, Scope};
use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The server's name in every runtime's configuration (tools appear as
/// `mcp__aiperture__<tool>`).
pub const SERVER: &str = "aiperture";

/// The arguments our entry runs the binary with.
pub const ARGS: &[&str] = &["serve", "--mcp"];

/// The runtimes whose MCP configuration `setup --mcp` edits.
pub const MCP_RUNTIMES: &[&str] = &["claude-code", "cursor", "gemini", "codex"];

/// The MCP configuration file of `runtime` in `scope`.
pub fn settings_path(runtime: &str, scope: Scope, home: &Path, project: &Path) -> Option<PathBuf> {
    let (base, rel) = match (runtime, scope) {
        // Claude Code keeps user-scope servers in ~/.claude.json, project ones in .mcp.json.
        ("claude-code", Scope::User) => (home, ".claude.json"),
        ("claude-code", Scope::Project) => (project, ".mcp.json"),
        ("cursor", Scope::User) => (home, ".cursor/mcp.json"),
        ("cursor", Scope::Project) => (project, ".cursor/mcp.json"),
        ("gemini", Scope::User) => (home, ".gemini/settings.json"),
        ("gemini", Scope::Project) => (project, ".gemini/settings.json"),
        ("codex", Scope::User) => (home, ".codex/config.toml"),
        ("codex", Scope::Project) => (project, ".codex/config.toml"),
        _ => return None,
    };
    Some(base.join(rel))
}

/// Our entry for `runtime` (JSON runtimes).
fn entry(runtime: &str, exe: &str) -> Value {
    match runtime {
        "claude-code" => json!({"type": "stdio", "command": exe, "args": ARGS, "env": {}}),
        "cursor" => json!({"type": "stdio", "command": exe, "args": ARGS}),
        _ => json!({"command": exe, "args": ARGS}),
    }
}

/// Whether a server entry is ours: an `aiperture…` binary run with `serve --mcp`.
pub fn is_ours(command: Option<&str>, args: &[String]) -> bool {
    let Some(cmd) = command else {
        return false;
    };
    let base = cmd.rsplit('/').next().unwrap_or(cmd);
    base.starts_with("aiperture") && args == ARGS
}

fn json_is_ours(v: &Value) -> bool {
    let args: Vec<String> = v
        .get("args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    is_ours(v.get("command").and_then(Value::as_str), &args)
}

fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn unchanged(path: &Path, before: Option<String>) -> Plan {
    Plan {
        path: path.to_path_buf(),
        after: before.clone(),
        before,
        changed: false,
    }
}

/// Computes the new configuration text for registering (or removing) aiperture's MCP server
/// for `runtime` with the executable `exe`.
pub fn plan(runtime: &str, path: &Path, exe: &str, uninstall: bool) -> anyhow::Result<Plan> {
    if !MCP_RUNTIMES.contains(&runtime) {
        bail!("aiperture setup --mcp does not know {runtime}'s MCP configuration");
    }
    let before = read(path)?;
    if runtime == "codex" {
        return plan_toml(path, before, exe, uninstall);
    }
    let mut root = match before.as_deref().map(str::trim) {
        None | Some("") => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => bail!(
                "refusing to edit {}: it is not a JSON object",
                path.display()
            ),
            Err(e) => bail!(
                "refusing to edit {}: it is not valid JSON ({e})",
                path.display()
            ),
        },
    };
    let wanted = entry(runtime, exe);
    let servers = root
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        bail!(
            "refusing to edit {}: its `mcpServers` is not an object",
            path.display()
        );
    };
    match servers.get(SERVER) {
        Some(v) if !json_is_ours(v) => bail!(
            "{} already names an MCP server `{SERVER}` that does not run `aiperture serve --mcp`; \
             not touching it",
            path.display()
        ),
        Some(v) if !uninstall && *v == wanted => return Ok(unchanged(path, before)),
        None if uninstall => return Ok(unchanged(path, before)),
        _ => {}
    }
    if uninstall {
        servers.remove(SERVER);
        if servers.is_empty() {
            root.remove("mcpServers");
        }
    } else {
        servers.insert(SERVER.into(), wanted);
    }
    let after = if uninstall && root.is_empty() {
        None
    } else {
        let text = before.as_deref().unwrap_or("");
        let old = serde_json::from_str::<crate::runtimes::ordered::Ordered>(text).ok();
        let laid_out = crate::runtimes::ordered::like(&Value::Object(root), old.as_ref());
        Some(crate::runtimes::ordered::to_text(
            &laid_out,
            &crate::runtimes::ordered::indent_of(text),
        )?)
    };
    Ok(Plan {
        path: path.to_path_buf(),
        changed: after != before,
        before,
        after,
    })
}

/// Whether a TOML line opens a table (`[x]`, `[[x]]`), and which.
fn table_header(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    let end = t.find(']')?;
    let name: String = t[1..end]
        .trim_start_matches('[')
        .split('.')
        .map(|p| p.trim().trim_matches('"').trim_matches('\''))
        .collect::<Vec<_>>()
        .join(".");
    Some(name)
}

/// The text with our `[mcp_servers.aiperture]` table (and its sub-tables) cut out.
fn cut_table(text: &str) -> String {
    let ours = format!("mcp_servers.{SERVER}");
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if let Some(name) = table_header(line) {
            inside = name == ours || name.starts_with(&format!("{ours}."));
        }
        if !inside {
            out.push_str(line);
        }
    }
    // One blank line where the table was, not a growing run of them.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Codex's `config.toml`: `[mcp_servers.aiperture]` with `command` and `args`.
fn plan_toml(
    path: &Path,
    before: Option<String>,
    exe: &str,
    uninstall: bool,
) -> anyhow::Result<Plan> {
    let text = before.clone().unwrap_or_default();
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "refusing to edit {}: it is not valid TOML ({e})",
            path.display()
        )
    })?;
    let existing = table
        .get("mcp_servers")
        .and_then(|s| s.get(SERVER))
        .cloned();
    let args_of = |v: &toml::Value| -> Vec<String> {
        v.get("args")
            .and_then(toml::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(v) = &existing {
        if !is_ours(v.get("command").and_then(toml::Value::as_str), &args_of(v)) {
            bail!(
                "{} already names an MCP server `{SERVER}` that does not run `aiperture serve \
                 --mcp`; not touching it",
                path.display()
            );
        }
        let header = format!("mcp_servers.{SERVER}");
        if !text
            .lines()
            .any(|l| table_header(l).as_deref() == Some(header.as_str()))
        {
            bail!(
                "{}: aiperture's MCP server is written in a form setup does not edit (not a \
                 [{header}] table); edit it by hand",
                path.display()
            );
        }
    }
    let same = existing
        .as_ref()
        .is_some_and(|v| v.get("command").and_then(toml::Value::as_str) == Some(exe));
    if (uninstall && existing.is_none()) || (!uninstall && same) {
        return Ok(unchanged(path, before));
    }
    let mut out = cut_table(&text);
    if !uninstall {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.trim().is_empty() {
            out.push('\n');
        }
        let args: Vec<String> = ARGS
            .iter()
            .map(|a| toml::Value::String((*a).to_string()).to_string())
            .collect();
        out.push_str(&format!(
            "[mcp_servers.{SERVER}]\ncommand = {}\nargs = [{}]\n",
            toml::Value::String(exe.to_string()),
            args.join(", ")
        ));
    }
    // What we wrote must read back as what we meant, or nothing is written.
    let check: toml::Table = toml::from_str(&out).map_err(|e| {
        anyhow::anyhow!("{}: the edit would not be valid TOML ({e})", path.display())
    })?;
    let now = check.get("mcp_servers").and_then(|s| s.get(SERVER));
    let ok = match now {
        None => uninstall,
        Some(v) => !uninstall && v.get("command").and_then(toml::Value::as_str) == Some(exe),
    };
    if !ok {
        bail!(
            "{}: could not edit aiperture's MCP server safely",
            path.display()
        );
    }
    let after = if uninstall && out.trim().is_empty() {
        None
    } else {
        Some(out)
    };
    Ok(Plan {
        path: path.to_path_buf(),
        changed: after != before,
        before,
        after,
    })
}

/// Whether our MCP server is registered for each runtime `setup --mcp` knows, looking in the
/// user's home and in `project` (as the hooks' status does).
pub fn status_in(home: &Path, project: &Path) -> Vec<super::RuntimeStatus> {
    super::status_with(MCP_RUNTIMES, home, project, settings_path, file_has_ours)
}

/// Whether a configuration file registers our server for `runtime`.
pub fn file_has_ours(path: &Path, runtime: &str) -> bool {
    let Ok(Some(text)) = read(path) else {
        return false;
    };
    if runtime == "codex" {
        return toml::from_str::<toml::Table>(&text)
            .is_ok_and(|t| t.get("mcp_servers").and_then(|s| s.get(SERVER)).is_some());
    }
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("mcpServers")?.get(SERVER).cloned())
        .is_some_and(|v| json_is_ours(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/bin/aiperture";

    fn plan_text(runtime: &str, before: Option<&str>, exe: &str, uninstall: bool) -> Plan {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config");
        if let Some(b) = before {
            std::fs::write(&path, b).unwrap_or_else(|e| panic!("{e}"));
        }
        plan(runtime, &path, exe, uninstall).unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn json_merge_is_idempotent_and_reversible() {
        let before = "{\n    \"numStartups\": 3,\n    \"mcpServers\": {\"github\": {\"command\": \"gh-mcp\"}}\n}\n";
        let p = plan_text("claude-code", Some(before), EXE, false);
        let after = p.after.clone().unwrap_or_default();
        let v: Value = serde_json::from_str(&after).unwrap_or_default();
        assert_eq!(v["mcpServers"]["aiperture"]["command"], EXE);
        assert_eq!(
            v["mcpServers"]["aiperture"]["args"],
            json!(["serve", "--mcp"])
        );
        assert_eq!(v["mcpServers"]["github"]["command"], "gh-mcp");
        assert_eq!(v["numStartups"], 3);
        assert!(after.starts_with("{\n    \"numStartups\""), "{after}");
        assert!(!plan_text("claude-code", Some(&after), EXE, false).changed);
        let moved = plan_text("claude-code", Some(&after), "/new/aiperture", false);
        assert!(moved.after.unwrap_or_default().contains("/new/aiperture"));
        let un = plan_text("claude-code", Some(&after), EXE, true);
        let v: Value = serde_json::from_str(un.after.as_deref().unwrap_or("")).unwrap_or_default();
        assert!(v["mcpServers"].get("aiperture").is_none());
        assert_eq!(v["mcpServers"]["github"]["command"], "gh-mcp");
        // A file that held only our server goes away.
        let only = plan_text("cursor", None, EXE, false)
            .after
            .unwrap_or_default();
        assert!(plan_text("cursor", Some(&only), EXE, true).after.is_none());
    }

    #[test]
    fn someone_elses_aiperture_server_is_left_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("mcp.json");
        let theirs = r#"{"mcpServers":{"aiperture":{"command":"npx","args":["evil"]}}}"#;
        std::fs::write(&path, theirs).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan("cursor", &path, EXE, false).is_err());
        assert!(plan("cursor", &path, EXE, true).is_err());
        let toml_path = dir.path().join("config.toml");
        std::fs::write(&toml_path, "[mcp_servers.aiperture]\ncommand = \"npx\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(plan("codex", &toml_path, EXE, false).is_err());
    }

    #[test]
    fn codex_toml_keeps_comments_and_other_tables() {
        let before =
            "# my settings\nmodel = \"o3\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\" # keep\n";
        let p = plan_text("codex", Some(before), EXE, false);
        let after = p.after.clone().unwrap_or_default();
        assert!(after.starts_with(before), "{after}");
        assert!(after.ends_with(
            "\n[mcp_servers.aiperture]\ncommand = \"/opt/bin/aiperture\"\nargs = [\"serve\", \"--mcp\"]\n"
        ), "{after}");
        assert!(!plan_text("codex", Some(&after), EXE, false).changed);
        let moved = plan_text("codex", Some(&after), "/new dir/aiperture", false);
        let moved_text = moved.after.unwrap_or_default();
        assert_eq!(moved_text.matches("[mcp_servers.aiperture]").count(), 1);
        assert!(moved_text.contains("command = \"/new dir/aiperture\""));
        let un = plan_text("codex", Some(&after), EXE, true);
        assert_eq!(un.after.as_deref(), Some(before));
        assert!(plan_text("codex", None, EXE, false).after.is_some());
        let only = plan_text("codex", None, EXE, false)
            .after
            .unwrap_or_default();
        assert!(plan_text("codex", Some(&only), EXE, true).after.is_none());
    }
}
