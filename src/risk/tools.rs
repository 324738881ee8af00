//! Non-shell tools: file reads and writes, web fetches (URL schemes, IP literals,
//! metadata addresses, punycode), web search and sub-agents; MCP tools and unknown tools are
//! judged in [`super::mcp`].

use super::judge::Judge;
use super::paths::{self, PathClass};
use super::{Assessment, Context, SegmentAssessment, describe, pattern, rules_fs};
use crate::request::RiskTier;
use crate::shell::Word;

/// Rates a non-shell request (`tool`/`action` lower-cased; originals for display).
pub(super) fn assess_tool(
    tool: &str,
    action: &str,
    orig_tool: &str,
    orig_action: &str,
    scope: &str,
    ctx: &Context,
) -> Assessment {
    let mut j = Judge::default();
    let mut pat = None;
    match (tool, action) {
        // An MCP server may be named `filesystem`, `web` or `shell`: arguments are judged as
        // arguments whatever the server's name.
        // A server named after a built-in family is never generalized.
        _ if super::mcp::is_arguments(scope) => {
            super::mcp::judge(tool, orig_action, scope, ctx, &mut j);
            if !j.no_pattern && j.tier == RiskTier::Low && !super::mcp::builtin_family(tool) {
                pat = Some("*".to_string());
            }
        }
        ("filesystem" | "file" | "fs", _) => {
            filesystem(action, scope, ctx, &mut j);
            if !j.no_pattern && j.tier <= RiskTier::Medium {
                pat = pattern::derive_path(scope, ctx);
            }
        }
        ("web", "fetch") | ("http" | "browser", _) => {
            super::urls::url(scope, ctx, &mut j);
            if !j.no_pattern && j.tier <= RiskTier::Medium {
                pat = pattern::derive_url(scope);
            }
        }
        ("web", "search") => {
            j.note("web_search", "searches the web");
            pat = Some("*".to_string());
        }
        ("agent", _) => {
            j.raise(
                RiskTier::Medium,
                "sub_agent",
                "starts a sub-agent with its own tool calls",
            );
        }
        _ => {
            super::mcp::judge(tool, orig_action, scope, ctx, &mut j);
            if !j.no_pattern && j.tier == RiskTier::Low {
                pat = Some("*".to_string());
            }
        }
    }
    let risk = j.risk();
    let reason = j.reason(match risk.tier {
        RiskTier::Low => "read-only or harmless",
        RiskTier::Medium => "changes state in a recoverable way",
        RiskTier::High => "hard to undo or security relevant",
        RiskTier::Critical => "destructive or self-tampering",
    });
    let mut explanation = describe(orig_tool, orig_action, scope);
    explanation.push_str(&format!("\n  [{}] {}", risk.tier, reason));
    Assessment {
        risk: risk.clone(),
        reason: reason.clone(),
        explanation,
        segments: vec![SegmentAssessment {
            command: scope.to_string(),
            program: String::new(),
            risk,
            pattern: pat,
            reason,
        }],
    }
}

fn filesystem(action: &str, scope: &str, ctx: &Context, j: &mut Judge) {
    let path = scope.trim();
    if path.is_empty() {
        j.raise(RiskTier::Medium, "empty_path", "no path given");
        j.no_pattern = true;
        return;
    }
    if path.contains(['*', '?']) {
        j.note("glob_scope", "the path is a pattern");
    }
    let w = Word::literal(path);
    match action {
        "read" | "list" | "view" | "search" | "glob" | "grep" | "stat" => {
            let info = paths::classify(path, ctx);
            super::realpaths::note_link(&info, j);
            match info.class {
                PathClass::Protected => {
                    j.raise(
                        RiskTier::Critical,
                        "self_protection",
                        "reads aiperture's own database, key or config, or a runtime's hook settings",
                    );
                    j.no_pattern = true;
                }
                PathClass::Device if !path.starts_with("/dev/null") => {
                    j.raise(RiskTier::High, "device_read", "reads a device");
                    j.no_pattern = true;
                }
                PathClass::Project
                | PathClass::ProjectRoot
                | PathClass::BuildOutput
                | PathClass::GitInternal
                | PathClass::NullDevice
                | PathClass::Temp => j.note("project_read", "reads a file in the project"),
                _ => {
                    j.raise(
                        RiskTier::Medium,
                        "outside_project_read",
                        "reads outside the project",
                    );
                    j.no_pattern = true;
                }
            }
            if info.secret {
                j.raise(
                    RiskTier::High,
                    "secret_access",
                    "reads a secret (keys, credentials, .env)",
                );
                j.no_pattern = true;
            }
        }
        "delete" | "remove" | "rm" => {
            rules_fs::delete_target(&w, true, ctx, j);
        }
        _ => {
            // write, edit, create, modify, move, …
            rules_fs::write_target(&w, ctx, j);
            let info = paths::classify(path, ctx);
            if info.class == PathClass::Temp {
                j.raise(
                    RiskTier::Low,
                    "temp_write",
                    "writes to a temporary directory",
                );
            }
            if info.secret {
                j.no_pattern = true;
            }
            if info.class == PathClass::Project && path.contains(['*', '?']) {
                j.raise(
                    RiskTier::High,
                    "broad_write",
                    "writes to every file matching a pattern",
                );
                j.no_pattern = true;
            }
        }
    }
}
