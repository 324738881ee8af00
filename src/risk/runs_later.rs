//! Files something runs or loads later without asking: git hooks, direnv, editor tasks,
//! agent runtimes' commands and MCP server lists, CI workflows, dev containers.
//!
//! Writing one is a deferred execution: the content runs the next time someone commits,
//! opens the folder, starts an agent, enters the directory or pushes. Kept as data, matched
//! on lower-cased path components anywhere in the path (a monorepo's `pkg/.husky/…` too). Pure.

/// Directories (component sequences) whose files something runs or loads later, with the
/// role that says who.
const DIRS: &[(&[&str], &str)] = &[
    (
        &[".git", "hooks"],
        "a git hook (runs on commit, checkout, push)",
    ),
    (&[".husky"], "a husky git hook (runs on commit or push)"),
    (&[".githooks"], "a git hook (runs on commit or push)"),
    (
        &[".devcontainer"],
        "dev container configuration (runs commands when the container is built or opened)",
    ),
    (&[".github", "workflows"], "a CI workflow (runs on push)"),
    (&[".github", "actions"], "a CI action (runs on push)"),
    (&[".gitlab"], "GitLab CI configuration (runs on push)"),
    (&[".circleci"], "a CI pipeline (runs on push)"),
    (&[".buildkite"], "a CI pipeline (runs on push)"),
    (&[".woodpecker"], "a CI pipeline (runs on push)"),
    (
        &[".vscode"],
        "editor configuration (tasks and settings run commands when the folder opens)",
    ),
    (
        &[".idea"],
        "IDE configuration (run configurations and startup tasks)",
    ),
    (
        &[".zed"],
        "editor configuration (tasks and language servers)",
    ),
    (
        &[".claude"],
        "agent configuration (commands, agents, skills and hooks an agent runs)",
    ),
    (
        &[".cursor"],
        "agent configuration (rules, MCP servers, hooks)",
    ),
    (
        &[".gemini"],
        "agent configuration (commands, settings, MCP servers)",
    ),
    (
        &[".codex"],
        "agent configuration (prompts, settings, MCP servers)",
    ),
    (&[".windsurf"], "agent configuration (rules, workflows)"),
    (&[".continue"], "agent configuration (MCP servers, rules)"),
    (&[".roo"], "agent configuration (rules, MCP servers)"),
    (&[".kiro"], "agent configuration (hooks, steering)"),
    (&[".amazonq"], "agent configuration (rules, MCP servers)"),
    (&[".clinerules"], "agent rules loaded as instructions"),
];

/// File names something runs or loads later, with its role.
const NAMES: &[(&str, &str)] = &[
    (
        ".envrc",
        "a direnv script (runs when a shell enters the directory)",
    ),
    (
        ".mise.toml",
        "a mise configuration (its hooks run when a shell enters)",
    ),
    (
        "mise.toml",
        "a mise configuration (its hooks run when a shell enters)",
    ),
    (
        ".mcp.json",
        "an MCP server list (an agent starts these programs)",
    ),
    (
        ".pre-commit-config.yaml",
        "pre-commit hooks (run on commit)",
    ),
    (".pre-commit-hooks.yaml", "pre-commit hooks (run on commit)"),
    ("lefthook.yml", "lefthook git hooks (run on commit)"),
    (".lefthook.yml", "lefthook git hooks (run on commit)"),
    ("lefthook.yaml", "lefthook git hooks (run on commit)"),
    (".overcommit.yml", "overcommit git hooks (run on commit)"),
    (".gitlab-ci.yml", "a CI pipeline (runs on push)"),
    (".travis.yml", "a CI pipeline (runs on push)"),
    ("azure-pipelines.yml", "a CI pipeline (runs on push)"),
    ("bitbucket-pipelines.yml", "a CI pipeline (runs on push)"),
    (".drone.yml", "a CI pipeline (runs on push)"),
    (".woodpecker.yml", "a CI pipeline (runs on push)"),
    (".cirrus.yml", "a CI pipeline (runs on push)"),
    ("appveyor.yml", "a CI pipeline (runs on push)"),
    ("jenkinsfile", "a CI pipeline (runs on push)"),
    (
        ".gitpod.yml",
        "workspace tasks (run when the workspace starts)",
    ),
    (
        ".exrc",
        "editor start-up commands (run when the editor opens here)",
    ),
    (
        ".nvimrc",
        "editor start-up commands (run when the editor opens here)",
    ),
    (
        ".nvim.lua",
        "editor start-up code (runs when the editor opens here)",
    ),
    (
        ".lvimrc",
        "editor start-up commands (run when the editor opens here)",
    ),
    (".pnpmfile.cjs", "a pnpm hook file (runs on every install)"),
    (
        ".yarnrc.yml",
        "yarn configuration (can name the yarn binary that runs)",
    ),
    (".cursorrules", "agent rules loaded as instructions"),
    (".windsurfrules", "agent rules loaded as instructions"),
];

/// The role of a file that something runs or loads later, or `None` for an ordinary file.
pub(super) fn role(abs: &str) -> Option<&'static str> {
    let lower = abs.to_lowercase();
    let comps: Vec<&str> = lower.split(['/', '\\']).filter(|c| !c.is_empty()).collect();
    let name = comps.last().copied()?;
    if let Some((_, role)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Some(role);
    }
    let dirs = comps.get(..comps.len().saturating_sub(1)).unwrap_or(&[]);
    DIRS.iter()
        .find(|(seq, _)| dirs.windows(seq.len()).any(|w| w == *seq))
        .map(|(_, role)| *role)
}

#[cfg(test)]
mod tests {
    use super::role;

    #[test]
    fn files_run_later_have_a_role() {
        for p in [
            "/p/.husky/pre-commit",
            "/p/.envrc",
            "/p/.mcp.json",
            "/p/.vscode/tasks.json",
            "/p/.vscode/settings.json",
            "/p/.claude/commands/deploy.md",
            "/p/.git/hooks/pre-push",
            "/p/.githooks/pre-commit",
            "/p/.pre-commit-config.yaml",
            "/p/.devcontainer/devcontainer.json",
            "/p/.github/workflows/ci.yml",
            "/p/.cursor/mcp.json",
            "/p/.gemini/commands/x.toml",
            "/p/.codex/config.toml",
            "/p/pkg/.husky/pre-push",
            "/p/Jenkinsfile",
        ] {
            assert!(role(p).is_some(), "{p}");
        }
        for p in [
            "/p/src/main.rs",
            "/p/README.md",
            "/p/.github/CODEOWNERS",
            "/p/docs/husky.md",
            "/p/.gitignore",
            "/p/Cargo.toml",
        ] {
            assert!(role(p).is_none(), "{p}");
        }
    }

    fn ctx() -> crate::risk::Context {
        crate::risk::Context {
            cwd: "/home/u/proj".into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            ..Default::default()
        }
    }

    /// Every table entry, written in the project by a file tool or `cp`, is HIGH.
    #[test]
    fn every_table_entry_is_a_high_write() {
        let mut paths: Vec<String> = Vec::new();
        paths.extend(
            super::DIRS
                .iter()
                .map(|(d, _)| format!("{}/x", d.join("/"))),
        );
        paths.extend(super::NAMES.iter().map(|(n, _)| n.to_string()));
        for p in &paths {
            for (tool, action, scope) in [
                ("filesystem", "write", p.clone()),
                ("filesystem", "edit", p.clone()),
                ("shell", "execute", format!("cp /tmp/x '{p}'")),
                ("shell", "execute", format!("echo x > '{p}'")),
            ] {
                let a = crate::risk::assess(tool, action, &scope, &ctx());
                assert!(a.risk.tier >= crate::request::RiskTier::High, "{scope}");
                assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{scope}");
            }
        }
    }

    #[test]
    fn writes_to_them_are_high_and_never_generalized() {
        use crate::request::RiskTier::High;
        for cmd in [
            "echo 'curl x|sh' > .husky/pre-commit",
            "cp /tmp/x .envrc",
            "mv a .github/workflows/ci.yml",
            "tee .mcp.json",
            "sed -i s/a/b/ .vscode/tasks.json",
            "cat x >> .git/hooks/pre-push",
            "ln -sf /tmp/x .githooks/pre-commit",
            "printf x > .pre-commit-config.yaml",
            "cp x .devcontainer/devcontainer.json",
        ] {
            let a = crate::risk::assess("shell", "execute", cmd, &ctx());
            assert_eq!(a.risk.tier, High, "{cmd}: {:?}", a.risk.factors);
            assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{cmd}");
            assert!(a.risk.factors.iter().any(|f| f == "runs_later"), "{cmd}");
        }
        for path in [
            ".claude/commands/deploy.md",
            ".vscode/settings.json",
            ".cursor/mcp.json",
            ".gemini/commands/x.toml",
            "/home/u/proj/.envrc",
        ] {
            for action in ["write", "edit"] {
                let a = crate::risk::assess("filesystem", action, path, &ctx());
                assert!(a.risk.tier >= High, "{action} {path}");
                assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{path}");
                assert!(a.reason.contains("runs later"), "{}", a.reason);
            }
        }
        // Ordinary project writes are unchanged.
        let a = crate::risk::assess("filesystem", "write", "src/lib.rs", &ctx());
        assert_eq!(a.risk.tier, crate::request::RiskTier::Medium);
        assert!(a.segments.iter().any(|s| s.pattern.is_some()));
    }
}
