//! Mapping a runtime's tool call to the normalized `tool/action/scope` (DESIGN.md §2).
//!
//! Claude Code's tool names are the lingua franca (Codex and Cursor reuse several of them);
//! the other adapters map their own names onto the same [`Target`] constructors here.

use super::payload::{
    Malformed, arguments_scope, canonical_json, home_dir, malformed, opt_str, pattern_root,
    req_str, resolve_path, sha256_hex, sha256_parts, str_or_empty,
};
use crate::request::Request;
use serde_json::{Map, Value};

/// The normalized target of a tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `shell`, `filesystem`, `web`, `agent`, an MCP server, or a lowercased unknown tool.
    pub tool: String,
    /// `execute`, `read`, `write`, `fetch`, `search`, `spawn`, an MCP tool, or `use`.
    pub action: String,
    /// Command text, absolute path, URL, query, …
    pub scope: String,
    /// SHA-256 hex of written content, for writes and edits.
    pub content_hash: Option<String>,
    /// The written or inserted text, for rating what it would run.
    pub content: Option<String>,
    /// The whole canonical JSON of free-form arguments (MCP and unknown tools), which the
    /// scope may show only in part.
    pub arguments: Option<String>,
}

impl Target {
    fn new(tool: &str, action: &str, scope: impl Into<String>) -> Self {
        Target {
            tool: tool.to_string(),
            action: action.to_string(),
            scope: scope.into(),
            content_hash: None,
            content: None,
            arguments: None,
        }
    }

    /// `shell/execute/<command>`.
    pub fn shell(command: &str) -> Self {
        Target::new("shell", "execute", command)
    }

    /// `filesystem/read/<absolute path>` (relative paths resolved against `cwd`).
    pub fn read(cwd: &str, path: &str) -> Self {
        Target::new(
            "filesystem",
            "read",
            resolve_path(cwd, path, home_dir().as_deref()),
        )
    }

    /// `filesystem/write/<absolute path>` with the content hash.
    pub fn write(cwd: &str, path: &str, content_hash: String) -> Self {
        let mut t = Target::new(
            "filesystem",
            "write",
            resolve_path(cwd, path, home_dir().as_deref()),
        );
        t.content_hash = Some(content_hash);
        t
    }

    /// `filesystem/delete/<absolute path>`: a delete is never covered by what was learned
    /// about writes.
    pub fn delete(cwd: &str, path: &str) -> Self {
        Target::new(
            "filesystem",
            "delete",
            resolve_path(cwd, path, home_dir().as_deref()),
        )
    }

    /// The same target with the text being written or inserted.
    pub fn with_content(mut self, text: impl Into<String>) -> Self {
        self.content = Some(text.into());
        self
    }

    /// `web/fetch/<url>`.
    pub fn fetch(url: &str) -> Self {
        Target::new("web", "fetch", url)
    }

    /// `web/search/<query>`.
    pub fn search(query: &str) -> Self {
        Target::new("web", "search", query)
    }

    /// `agent/spawn/<type:description>`.
    pub fn spawn(subagent_type: &str, description: &str) -> Self {
        let kind = if subagent_type.is_empty() {
            "general-purpose"
        } else {
            subagent_type
        };
        Target::new("agent", "spawn", format!("{kind}:{description}"))
    }

    /// `<server>/<tool>/<canonical JSON of the input>`; long input is shown in part with the
    /// hash of the whole, and the whole travels in `arguments` for the risk check.
    pub fn mcp(server: &str, tool: &str, input: &Map<String, Value>) -> Self {
        Target::free_form(server, tool, input)
    }

    /// An unknown tool: its name lowercased, action `use`, canonical input as for MCP.
    pub fn unknown(name: &str, input: &Map<String, Value>) -> Self {
        Target::free_form(&name.to_lowercase(), "use", input)
    }

    fn free_form(tool: &str, action: &str, input: &Map<String, Value>) -> Self {
        let whole = canonical_json(&Value::Object(input.clone()));
        let mut t = Target::new(tool, action, arguments_scope(&whole));
        t.arguments = Some(whole);
        t
    }

    /// Fills a request with this target.
    pub fn into_request(self, mut base: Request) -> Request {
        base.tool = self.tool;
        base.action = self.action;
        base.scope = self.scope;
        base.content_hash = self.content_hash;
        base.content = self.content;
        base.arguments = self.arguments;
        base
    }
}

/// Splits `mcp__server__tool` into `(server, tool)`.
pub fn split_mcp(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("mcp__")?;
    let (server, tool) = rest.split_once("__")?;
    if server.is_empty() || tool.is_empty() {
        return None;
    }
    Some((server, tool))
}

/// The content hash of an edit: old and new strings, NUL-separated.
pub fn edit_hash(old: &str, new: &str) -> String {
    sha256_parts(&[old, new])
}

/// Maps a Claude Code tool call (also used for Codex's Claude-named tools). Every tool is
/// mapped, aiperture's own MCP tools included.
pub fn claude_tool(name: &str, input: &Map<String, Value>, cwd: &str) -> Result<Target, Malformed> {
    let t = match name {
        "Bash" | "PowerShell" => Target::shell(req_str(input, "command")?),
        "Read" => Target::read(cwd, req_str(input, "file_path")?),
        "Glob" => {
            let pattern = str_or_empty(input, "pattern")?;
            let base = resolve_path(cwd, str_or_empty(input, "path")?, home_dir().as_deref());
            Target::read(&base, pattern_root(pattern))
        }
        "Grep" | "LS" => Target::read(cwd, str_or_empty(input, "path")?),
        "Write" => {
            let content = req_str(input, "content")?;
            Target::write(
                cwd,
                req_str(input, "file_path")?,
                sha256_hex(content.as_bytes()),
            )
            .with_content(content)
        }
        "Edit" => {
            let new = req_str(input, "new_string")?;
            Target::write(
                cwd,
                req_str(input, "file_path")?,
                edit_hash(req_str(input, "old_string")?, new),
            )
            .with_content(new)
        }
        "MultiEdit" => {
            let edits = match input.get("edits") {
                Some(Value::Array(a)) => a,
                _ => return malformed("`edits` is missing or not an array"),
            };
            let mut parts: Vec<&str> = Vec::with_capacity(edits.len() * 2);
            for e in edits {
                let Value::Object(e) = e else {
                    return malformed("an entry of `edits` is not an object");
                };
                parts.push(req_str(e, "old_string")?);
                parts.push(req_str(e, "new_string")?);
            }
            let inserted: Vec<&str> = parts.iter().skip(1).step_by(2).copied().collect();
            Target::write(cwd, req_str(input, "file_path")?, sha256_parts(&parts))
                .with_content(inserted.join("\n"))
        }
        "NotebookEdit" => {
            let source = str_or_empty(input, "new_source")?;
            Target::write(
                cwd,
                req_str(input, "notebook_path")?,
                sha256_parts(&[
                    str_or_empty(input, "edit_mode")?,
                    str_or_empty(input, "cell_id")?,
                    str_or_empty(input, "cell_type")?,
                    source,
                ]),
            )
            .with_content(source)
        }
        "WebFetch" => Target::fetch(req_str(input, "url")?),
        "WebSearch" => Target::search(req_str(input, "query")?),
        "Agent" | "Task" => Target::spawn(
            str_or_empty(input, "subagent_type")?,
            str_or_empty(input, "description")?,
        ),
        _ => match split_mcp(name) {
            Some((server, tool)) => Target::mcp(server, tool, input),
            None => Target::unknown(name, input),
        },
    };
    Ok(t)
}

/// A string field of a tool input that may hold a path under several names.
pub fn first_str<'a>(
    input: &'a Map<String, Value>,
    keys: &[&str],
) -> Result<Option<&'a str>, Malformed> {
    for k in keys {
        if let Some(s) = opt_str(input, k)? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json).unwrap() {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn map(name: &str, json: &str) -> Target {
        claude_tool(name, &input(json), "/p").unwrap()
    }

    #[test]
    fn shell_tools() {
        let t = map("Bash", r#"{"command":"npm test"}"#);
        assert_eq!(
            (t.tool.as_str(), t.action.as_str(), t.scope.as_str()),
            ("shell", "execute", "npm test")
        );
        assert_eq!(map("PowerShell", r#"{"command":"dir"}"#).tool, "shell");
        assert!(claude_tool("Bash", &input(r#"{"command":3}"#), "/p").is_err());
        assert!(claude_tool("Bash", &input("{}"), "/p").is_err());
    }

    #[test]
    fn file_tools() {
        let t = map("Read", r#"{"file_path":"src/a.rs"}"#);
        assert_eq!(t.scope, "/p/src/a.rs");
        assert_eq!(t.action, "read");
        let g = map("Glob", r#"{"pattern":"src/**/*.ts"}"#);
        assert_eq!(g.scope, "/p/src");
        let g2 = map("Glob", r#"{"pattern":"**/*.ts","path":"/q/src"}"#);
        assert_eq!(g2.scope, "/q/src");
        let gr = map("Grep", r#"{"pattern":"AKIA","path":"lib"}"#);
        assert_eq!(gr.scope, "/p/lib");
        assert_eq!(map("Grep", r#"{"pattern":"x"}"#).scope, "/p");

        let w = map("Write", r#"{"file_path":"/p/a","content":"hi"}"#);
        assert_eq!(w.action, "write");
        assert_eq!(w.content_hash.as_deref(), Some(sha256_hex(b"hi").as_str()));
        assert_eq!(
            w.content.as_deref(),
            Some("hi"),
            "the text travels for rating"
        );
        let e1 = map(
            "Edit",
            r#"{"file_path":"/p/a","old_string":"a","new_string":"b"}"#,
        );
        let e2 = map(
            "Edit",
            r#"{"file_path":"/p/a","old_string":"a","new_string":"c"}"#,
        );
        assert_ne!(e1.content_hash, e2.content_hash);
        let m = map(
            "MultiEdit",
            r#"{"file_path":"/p/a","edits":[{"old_string":"a","new_string":"b"}]}"#,
        );
        assert_eq!(m.content_hash, e1.content_hash);
        let n = map(
            "NotebookEdit",
            r#"{"notebook_path":"nb.ipynb","new_source":"x"}"#,
        );
        assert_eq!(n.scope, "/p/nb.ipynb");
        assert!(n.content_hash.is_some());
    }

    #[test]
    fn web_agent_mcp_unknown() {
        assert_eq!(
            map("WebFetch", r#"{"url":"https://x.y"}"#).scope,
            "https://x.y"
        );
        assert_eq!(map("WebSearch", r#"{"query":"q"}"#).action, "search");
        assert_eq!(
            map("Agent", r#"{"description":"d","subagent_type":"Explore"}"#).scope,
            "Explore:d"
        );
        assert_eq!(
            map("Task", r#"{"description":"d"}"#).scope,
            "general-purpose:d"
        );
        let m = map(
            "mcp__github__create_pull_request",
            r#"{"title":"t","base":"main"}"#,
        );
        assert_eq!(m.tool, "github");
        assert_eq!(m.action, "create_pull_request");
        assert_eq!(m.scope, r#"{"base":"main","title":"t"}"#);
        let own = map("mcp__aiperture__check", "{}");
        assert_eq!(
            (own.tool.as_str(), own.action.as_str()),
            ("aiperture", "check")
        );
        let u = map("TodoWrite", r#"{"todos":[]}"#);
        assert_eq!((u.tool.as_str(), u.action.as_str()), ("todowrite", "use"));
    }
}
