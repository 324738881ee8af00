//! Installing and removing aiperture's hook entries in each runtime's settings file.
//!
//! The file is merged, never clobbered: other keys and other hooks stay as they are; ours are
//! recognised by their command (`<…/aiperture…> hook <runtime>`), replaced in place when the
//! executable moved, and removed alone on uninstall. Installing twice changes nothing. Before
//! any write the old file is copied to `<file>.aiperture-backup-<UTC time>` (one backup per
//! change: a run that changes nothing writes nothing). The user's key order and indentation
//! are kept (keys aiperture adds come after theirs). [`mcp`] does the same for each runtime's
//! MCP configuration (`setup --mcp`).

pub mod mcp;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Where a runtime's settings live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The user's settings in the home directory (all projects).
    User,
    /// The project's settings under its root (committed with the project).
    Project,
}

/// The runtimes `aiperture setup` can wire up by editing a settings file.
pub const SETUP_RUNTIMES: &[&str] = &["claude-code", "cursor", "gemini", "codex", "copilot"];

/// How the runtime's hooks object is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `hooks.<Event>: [{matcher?, hooks: [handler]}]` (Claude Code, Codex, Gemini CLI).
    Grouped,
    /// `hooks.<event>: [handler]` with `version: 1` (Cursor, Copilot CLI).
    Flat,
}

/// One hook entry we install: the event, the matcher (if any), the handler.
struct Entry {
    event: &'static str,
    matcher: Option<&'static str>,
    handler: Value,
}

/// The canonical runtime name for aliases (`claude`, `gemini-cli`, `copilot-cli`).
pub fn canonical(runtime: &str) -> Option<&'static str> {
    match runtime {
        "claude-code" | "claude" => Some("claude-code"),
        "cursor" => Some("cursor"),
        "gemini" | "gemini-cli" => Some("gemini"),
        "codex" => Some("codex"),
        "copilot" | "copilot-cli" => Some("copilot"),
        "openclaw" => Some("openclaw"),
        _ => None,
    }
}

/// The scope used when the user names none (Copilot CLI reads hooks from the repository).
pub fn default_scope(runtime: &str) -> Scope {
    if runtime == "copilot" {
        Scope::Project
    } else {
        Scope::User
    }
}

/// The settings file of `runtime` in `scope`.
pub fn settings_path(runtime: &str, scope: Scope, home: &Path, project: &Path) -> Option<PathBuf> {
    let (base, rel) = match (runtime, scope) {
        ("claude-code", Scope::User) => (home, ".claude/settings.json"),
        ("claude-code", Scope::Project) => (project, ".claude/settings.json"),
        ("cursor", Scope::User) => (home, ".cursor/hooks.json"),
        ("cursor", Scope::Project) => (project, ".cursor/hooks.json"),
        ("gemini", Scope::User) => (home, ".gemini/settings.json"),
        ("gemini", Scope::Project) => (project, ".gemini/settings.json"),
        ("codex", Scope::User) => (home, ".codex/hooks.json"),
        ("codex", Scope::Project) => (project, ".codex/hooks.json"),
        ("copilot", Scope::Project) => (project, ".github/hooks/aiperture.json"),
        _ => return None,
    };
    Some(base.join(rel))
}

/// Quotes a path for a shell command line when it needs it.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn layout(runtime: &str) -> Layout {
    match runtime {
        "cursor" | "copilot" => Layout::Flat,
        _ => Layout::Grouped,
    }
}

fn entries(runtime: &str, exe: &str) -> Vec<Entry> {
    let cmd = format!("{} hook {runtime}", shell_quote(exe));
    let e = |event, matcher, handler| Entry {
        event,
        matcher,
        handler,
    };
    match runtime {
        "claude-code" => {
            let h = json!({"type": "command", "command": cmd, "timeout": 10});
            vec![
                e("PreToolUse", Some("*"), h.clone()),
                e("PermissionRequest", Some("*"), h.clone()),
                e("PostToolUse", Some("*"), h.clone()),
                e("PostToolUseFailure", Some("*"), h.clone()),
                // The auto-mode classifier's refusals, for the audit trail.
                e("PermissionDenied", Some("*"), h.clone()),
                e("SessionStart", None, h.clone()),
                e("Stop", None, h.clone()),
                e("SessionEnd", None, h),
            ]
        }
        "codex" => {
            let h = json!({"type": "command", "command": cmd, "timeout": 10,
                "statusMessage": "aiperture: checking"});
            vec![
                e("PreToolUse", Some("Bash|apply_patch|mcp__.*"), h.clone()),
                e("PermissionRequest", Some("*"), h),
            ]
        }
        "gemini" => {
            let h = json!({"name": "aiperture", "type": "command", "command": cmd,
                "timeout": 10000, "description": "aiperture permission gate"});
            vec![e("BeforeTool", Some(".*"), h)]
        }
        "cursor" => {
            let h = json!({"command": cmd, "timeout": 10, "failClosed": true});
            let mut pre = h.clone();
            pre["matcher"] = json!("Write|Delete|Task");
            vec![
                e("beforeShellExecution", None, h.clone()),
                e("beforeMCPExecution", None, h.clone()),
                e("beforeReadFile", None, h),
                e("preToolUse", None, pre),
            ]
        }
        "copilot" => vec![
            e(
                "preToolUse",
                None,
                json!({"type": "command", "bash": cmd, "timeoutSec": 10}),
            ),
            e(
                "permissionRequest",
                None,
                json!({"type": "command", "bash": format!("{cmd} --event permissionRequest"),
                    "timeoutSec": 10}),
            ),
        ],
        _ => Vec::new(),
    }
}

/// Whether a handler is one of ours for `runtime`: its command runs an `aiperture…` binary
/// with `hook <runtime>`.
pub fn is_ours(handler: &Value, runtime: &str) -> bool {
    let cmd = handler
        .get("command")
        .or_else(|| handler.get("bash"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let marker = format!(" hook {runtime}");
    let Some(pos) = cmd.find(&marker) else {
        return false;
    };
    let rest = &cmd[pos + marker.len()..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return false;
    }
    let program = cmd[..pos].trim().trim_matches(['\'', '"']);
    let base = program.rsplit('/').next().unwrap_or(program);
    base.starts_with("aiperture")
}

/// Removes our handlers; returns how many were removed.
fn remove_ours(hooks: &mut Map<String, Value>, runtime: &str, layout: Layout) -> usize {
    let mut removed = 0;
    let mut emptied: Vec<String> = Vec::new();
    for (event, list) in hooks.iter_mut() {
        let Value::Array(items) = list else { continue };
        let before = items.len();
        match layout {
            Layout::Flat => {
                items.retain(|h| !is_ours(h, runtime));
                removed += before - items.len();
            }
            Layout::Grouped => {
                for group in items.iter_mut() {
                    if let Some(Value::Array(hs)) = group.get_mut("hooks") {
                        let n = hs.len();
                        hs.retain(|h| !is_ours(h, runtime));
                        removed += n - hs.len();
                    }
                }
                // Drop only the groups we emptied.
                items
                    .retain(|g| !matches!(g.get("hooks"), Some(Value::Array(hs)) if hs.is_empty()));
            }
        }
        if items.is_empty() && before > 0 {
            emptied.push(event.clone());
        }
    }
    for e in emptied {
        hooks.remove(&e);
    }
    removed
}

fn add_ours(hooks: &mut Map<String, Value>, entries: Vec<Entry>, layout: Layout) {
    for e in entries {
        let list = hooks
            .entry(e.event.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let Value::Array(items) = list else { continue };
        match layout {
            Layout::Flat => items.push(e.handler),
            Layout::Grouped => {
                let mut group = Map::new();
                if let Some(m) = e.matcher {
                    group.insert("matcher".into(), json!(m));
                }
                group.insert("hooks".into(), json!([e.handler]));
                items.push(Value::Object(group));
            }
        }
    }
}

/// Whether every entry is present exactly once, and nothing else of ours is.
fn installed_exactly(
    hooks: &Map<String, Value>,
    runtime: &str,
    entries: &[Entry],
    layout: Layout,
) -> bool {
    let mut ours = 0;
    for list in hooks.values() {
        let Value::Array(items) = list else { continue };
        for item in items {
            match layout {
                Layout::Flat => ours += usize::from(is_ours(item, runtime)),
                Layout::Grouped => {
                    if let Some(Value::Array(hs)) = item.get("hooks") {
                        ours += hs.iter().filter(|h| is_ours(h, runtime)).count();
                    }
                }
            }
        }
    }
    ours == entries.len()
        && entries.iter().all(|e| {
            let Some(Value::Array(items)) = hooks.get(e.event) else {
                return false;
            };
            items.iter().any(|item| match layout {
                Layout::Flat => *item == e.handler,
                Layout::Grouped => {
                    item.get("matcher").and_then(Value::as_str) == e.matcher
                        && item
                            .get("hooks")
                            .and_then(Value::as_array)
                            .is_some_and(|hs| hs.contains(&e.handler))
                }
            })
        })
}

/// What setup will do to one settings file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The settings file.
    pub path: PathBuf,
    /// Its current text, if it exists.
    pub before: Option<String>,
    /// Its new text; `None` when the file is to be removed (it held only our hooks).
    pub after: Option<String>,
    /// Whether anything changes.
    pub changed: bool,
}

/// Computes the new settings text for installing (or uninstalling) `runtime`'s hooks with the
/// executable `exe`.
pub fn plan(runtime: &str, path: &Path, exe: &str, uninstall: bool) -> anyhow::Result<Plan> {
    let before = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
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
    let layout = layout(runtime);
    let wanted = entries(runtime, exe);
    if wanted.is_empty() {
        bail!("aiperture setup does not know how to wire up `{runtime}`");
    }
    let hooks_value = root.entry("hooks").or_insert_with(|| json!({}));
    let Value::Object(hooks) = hooks_value else {
        bail!(
            "refusing to edit {}: its `hooks` is not an object",
            path.display()
        );
    };
    if uninstall {
        if remove_ours(hooks, runtime, layout) == 0 {
            return Ok(Plan {
                path: path.to_path_buf(),
                after: before.clone(),
                before,
                changed: false,
            });
        }
    } else if installed_exactly(hooks, runtime, &wanted, layout) {
        return Ok(Plan {
            path: path.to_path_buf(),
            after: before.clone(),
            before,
            changed: false,
        });
    } else {
        remove_ours(hooks, runtime, layout);
        add_ours(hooks, wanted, layout);
    }
    if hooks.is_empty() {
        root.remove("hooks");
    }
    if layout == Layout::Flat && !uninstall {
        root.entry("version").or_insert(json!(1));
    }
    // A file that held nothing but our hooks goes away on uninstall.
    let only_meta = root.keys().all(|k| k == "version" || k == "description");
    let after = if uninstall && only_meta {
        None
    } else {
        // Written back in the user's key order and indentation (see `ordered`).
        let text = before.as_deref().unwrap_or("");
        let old = serde_json::from_str::<super::ordered::Ordered>(text).ok();
        let laid_out = super::ordered::like(&Value::Object(root), old.as_ref());
        Some(super::ordered::to_text(
            &laid_out,
            &super::ordered::indent_of(text),
        )?)
    };
    Ok(Plan {
        path: path.to_path_buf(),
        changed: after != before,
        before,
        after,
    })
}

/// Writes a plan: backs up the old file (returning the backup's path), then replaces it
/// atomically. `stamp` names the backup (a UTC time like `20261127T110000Z`).
///
/// Runs under an exclusive lock and refuses when the file changed since [`plan`] read it
/// (another setup, the runtime itself or an editor wrote it in between). A settings file
/// that is a symbolic link (a dotfiles repository) stays a link: its target is rewritten,
/// keeping its mode; the write is fsynced with its directory (see [`crate::atomic`]).
pub fn apply(plan: &Plan, stamp: &str) -> anyhow::Result<Option<PathBuf>> {
    if !plan.changed {
        return Ok(None);
    }
    let path = &plan.path;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let _lock = crate::atomic::lock(path)
        .with_context(|| format!("cannot lock {} for writing", path.display()))?;
    let now = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if now != plan.before {
        bail!(
            "{} changed while aiperture was preparing its edit; run setup again",
            path.display()
        );
    }
    let mut backup = None;
    if plan.before.is_some() {
        let mut b = PathBuf::from(format!("{}.aiperture-backup-{stamp}", path.display()));
        let mut n = 1;
        while b.exists() {
            b = PathBuf::from(format!("{}.aiperture-backup-{stamp}-{n}", path.display()));
            n += 1;
        }
        std::fs::copy(path, &b).with_context(|| format!("cannot back up {}", path.display()))?;
        backup = Some(b);
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match (&plan.after, is_link) {
        (Some(text), _) => crate::atomic::replace(path, text.as_bytes(), 0o644)
            .with_context(|| format!("cannot replace {}", path.display()))?,
        // Emptied, but a link is someone's arrangement: keep it, pointing at an empty object.
        (None, true) => crate::atomic::replace(path, b"{}\n", 0o644)
            .with_context(|| format!("cannot replace {}", path.display()))?,
        (None, false) => std::fs::remove_file(path)
            .with_context(|| format!("cannot remove {}", path.display()))?,
    }
    Ok(backup)
}

/// Whether a runtime is wired up, for `aiperture doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeStatus {
    /// The runtime's name.
    pub runtime: String,
    /// The settings file that holds our hooks, or where they would go.
    pub settings_path: PathBuf,
    /// Whether our hooks are in it.
    pub installed: bool,
}

/// Whether a settings file holds any hook of ours for `runtime`.
pub fn file_has_ours(path: &Path, runtime: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let Some(Value::Object(hooks)) = root.get("hooks") else {
        return false;
    };
    hooks
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .any(|item| {
            is_ours(item, runtime)
                || item
                    .get("hooks")
                    .and_then(Value::as_array)
                    .is_some_and(|hs| hs.iter().any(|h| is_ours(h, runtime)))
        })
}

/// Each runtime's wiring, looking in the user's home and in `project`.
pub fn status_in(home: &Path, project: &Path) -> Vec<RuntimeStatus> {
    status_with(SETUP_RUNTIMES, home, project, settings_path, file_has_ours)
}

/// Where files are found and what is ours in them: the hooks' or the MCP server's.
type PathOf = fn(&str, Scope, &Path, &Path) -> Option<PathBuf>;

/// The wiring of each of `runtimes`: the project's file, else the user's, that holds ours
/// (`has_ours`); where it would go (the default scope's file) when none does.
pub(crate) fn status_with(
    runtimes: &[&str],
    home: &Path,
    project: &Path,
    path_of: PathOf,
    has_ours: fn(&Path, &str) -> bool,
) -> Vec<RuntimeStatus> {
    runtimes
        .iter()
        .map(|rt| {
            let found = [Scope::Project, Scope::User]
                .into_iter()
                .filter_map(|s| path_of(rt, s, home, project))
                .find(|p| has_ours(p, rt));
            let fallback = path_of(rt, default_scope(rt), home, project).unwrap_or_default();
            RuntimeStatus {
                runtime: rt.to_string(),
                installed: found.is_some(),
                settings_path: found.unwrap_or(fallback),
            }
        })
        .collect()
}

/// Each runtime's wiring for the current user and the current directory.
pub fn status() -> Vec<RuntimeStatus> {
    let home = dirs::home_dir().unwrap_or_default();
    let project = std::env::current_dir().unwrap_or_default();
    status_in(&home, &project)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/bin/aiperture";

    fn plan_text(runtime: &str, before: Option<&str>, uninstall: bool) -> Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        if let Some(b) = before {
            std::fs::write(&path, b).unwrap();
        }
        plan(runtime, &path, EXE, uninstall).unwrap()
    }

    #[test]
    fn recognises_our_commands_only() {
        let ours = json!({"command": "/opt/bin/aiperture hook claude-code"});
        assert!(is_ours(&ours, "claude-code"));
        assert!(is_ours(
            &json!({"command": "'/my dir/aiperture' hook cursor"}),
            "cursor"
        ));
        assert!(is_ours(
            &json!({"bash": "aiperture hook copilot --event permissionRequest"}),
            "copilot"
        ));
        assert!(!is_ours(&ours, "codex"));
        assert!(!is_ours(
            &json!({"command": "other-tool hook claude-code"}),
            "claude-code"
        ));
        assert!(!is_ours(
            &json!({"command": "aiperture hook claude-codex"}),
            "claude-code"
        ));
    }

    #[test]
    fn merge_keeps_everything_else_and_is_idempotent() {
        let before = r#"{"permissions":{"allow":["Bash(ls)"]},"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"my-linter"}]}]}}"#;
        let p = plan_text("claude-code", Some(before), false);
        assert!(p.changed);
        let after = p.after.clone().unwrap();
        let v: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(v["permissions"]["allow"][0], "Bash(ls)");
        assert_eq!(
            v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "my-linter"
        );
        assert_eq!(
            v["hooks"]["PreToolUse"][1]["hooks"][0]["command"],
            "/opt/bin/aiperture hook claude-code"
        );
        assert!(v["hooks"]["Stop"].is_array());
        // Twice: nothing changes.
        let again = plan_text("claude-code", Some(&after), false);
        assert!(!again.changed);
        // Uninstall: back to the other hook only.
        let un = plan_text("claude-code", Some(&after), true);
        let v: Value = serde_json::from_str(un.after.as_deref().unwrap()).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
        assert!(v["hooks"].get("Stop").is_none());
        assert_eq!(v["permissions"]["allow"][0], "Bash(ls)");
    }

    #[test]
    fn a_moved_binary_is_replaced_not_duplicated() {
        let old = plan_text("cursor", None, false)
            .after
            .unwrap()
            .replace(EXE, "/old/aiperture");
        let p = plan_text("cursor", Some(&old), false);
        let v: Value = serde_json::from_str(p.after.as_deref().unwrap()).unwrap();
        let shells = v["hooks"]["beforeShellExecution"].as_array().unwrap();
        assert_eq!(shells.len(), 1);
        assert_eq!(shells[0]["command"], "/opt/bin/aiperture hook cursor");
        assert_eq!(v["version"], 1);
    }

    #[test]
    fn own_file_is_removed_on_uninstall_and_bad_json_is_refused() {
        let installed = plan_text("copilot", None, false).after.unwrap();
        assert!(plan_text("copilot", Some(&installed), true).after.is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(plan("gemini", &path, EXE, false).is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/usr/bin/aiperture"), "/usr/bin/aiperture");
        assert_eq!(shell_quote("/my dir/it's"), r"'/my dir/it'\''s'");
    }
}
