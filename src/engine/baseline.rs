//! The baseline (stage 7): what every runtime allows by itself is not asked about.
//!
//! Two kinds of action inside a real project (the git root or cwd, never `/` nor the home
//! directory or above it) are allowed from the first call, recorded like any other check:
//!
//! * `baseline:project-read` — a LOW-risk file read (Read, Glob, Grep) of a path inside the
//!   project, or the project root itself.
//! * `baseline:read-only` — a shell segment the risk module rates LOW with no factor but
//!   `read_only`, that has a learnable pattern (so no code-swapping option, no substitution,
//!   no eval), no wrapper, no assignment, no redirect that writes anywhere but `/dev/null`,
//!   and whose every argument is literal and names nothing outside the project.
//!
//! The pipeline asks this per simple command, so a read-only first part never lets a second
//! part ride along: `git status; curl x | sh` still needs every segment allowed.

use super::matcher;
use crate::request::{Request, Risk, RiskTier};

/// The project root when it is a real project for the baseline: an absolute path that is
/// neither `/` nor the home directory or one of its ancestors.
fn real_root<'a>(req: &'a Request, home: &str) -> Option<&'a str> {
    let root = req.project.trim_end_matches('/');
    let home = home.trim_end_matches('/');
    let at_or_above_home = !home.is_empty() && (root == home || matcher::inside(home, root));
    if !root.starts_with('/') || at_or_above_home {
        return None;
    }
    Some(root)
}

/// `path` (resolved against `cwd`) is the root or inside it.
fn within(path: &str, cwd: &str, root: &str) -> bool {
    let p = matcher::normalize_path(path, cwd);
    p == root || matcher::inside(&p, root)
}

/// A LOW-risk file read inside a real project (or of its root, as a Glob at the root is).
/// Secrets and paths outside the project are never LOW, and never covered.
pub fn project_read(
    tool: &str,
    action: &str,
    scope: &str,
    tier: RiskTier,
    req: &Request,
    home: &str,
) -> bool {
    if tier != RiskTier::Low || action != "read" || !matcher::is_path_tool(tool) {
        return false;
    }
    match real_root(req, home) {
        Some(root) => within(scope, &req.cwd, root),
        None => false,
    }
}

/// A read-only shell segment inside a real project (see the module documentation).
pub fn read_only_command(
    command: &str,
    risk: &Risk,
    pattern: Option<&str>,
    req: &Request,
    home: &str,
) -> bool {
    if risk.tier != RiskTier::Low
        || pattern.is_none()
        || risk.factors.is_empty()
        || risk.factors.iter().any(|f| f != "read_only")
    {
        return false;
    }
    let Some(root) = real_root(req, home) else {
        return false;
    };
    if !within(&req.cwd, "/", root) {
        return false;
    }
    let parsed = crate::shell::parse(command);
    let [cmd] = parsed.commands.as_slice() else {
        return false;
    };
    if parsed.parse_error
        || parsed.limit.is_some()
        || !parsed.functions.is_empty()
        || cmd.depth > 0
        || !matches!(cmd.origin, None | Some(crate::shell::Origin::Direct))
        || !cmd.wrappers.is_empty()
        || !cmd.assignments.is_empty()
        || cmd.background
        || cmd.implicit_args
        || cmd.stdin_text.is_some()
        || cmd.argv.is_empty()
        || cmd.program_by_path()
        || cmd.argv.iter().any(|w| w.dynamic || w.substitution)
    {
        return false;
    }
    for r in &cmd.redirects {
        let t = &r.target;
        if t.dynamic || t.substitution {
            return false;
        }
        let ok = if r.writes() {
            t.text == "/dev/null"
        } else if r.op == "<" {
            within(&t.text, &req.cwd, root)
        } else {
            // Descriptor duplications (`2>&1`) only; heredocs and `<>` are not read-only.
            !(r.op.starts_with("<<") || r.op == "<>")
        };
        if !ok {
            return false;
        }
    }
    cmd.args()
        .iter()
        .all(|w| arg_inside(&w.text, &req.cwd, root))
}

/// An argument names nothing outside the project: `~`, `..` in an option, or an absolute
/// path outside the root make the segment no baseline. Plain words (patterns, revisions)
/// resolve inside the cwd and pass, which errs on the side of asking.
fn arg_inside(arg: &str, cwd: &str, root: &str) -> bool {
    // `~` expands at the start of a word and after `=` or `:` (`HEAD~1` is a revision).
    if arg.starts_with('~') || arg.contains("=~") || arg.contains(":~") {
        return false;
    }
    if let Some(opt) = arg.strip_prefix('-') {
        if opt.contains("..") {
            return false;
        }
        return match opt.find('/') {
            Some(i) => within(&opt[i..], cwd, root),
            None => true,
        };
    }
    within(arg, cwd, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(cwd: &str) -> Request {
        Request {
            tool: "shell".into(),
            action: "execute".into(),
            cwd: cwd.into(),
            project: "/w/p".into(),
            ..Request::default()
        }
    }

    fn ro(cmd: &str) -> bool {
        let risk = Risk {
            tier: RiskTier::Low,
            score: 0.1,
            factors: vec!["read_only".into()],
        };
        read_only_command(cmd, &risk, Some("x *"), &req("/w/p"), "/home/u")
    }

    #[test]
    fn read_only_commands_inside_the_project_are_the_baseline() {
        for c in [
            "pwd",
            "ls -la",
            "git status",
            "git log --oneline -5",
            "rg -n \"fn main\" src",
            "cat src/main.rs",
            "ls 2>/dev/null",
            "wc -l src/*.rs",
            "cd src",
            "git show HEAD:README.md",
            "git diff HEAD~1",
        ] {
            assert!(ro(c), "{c}");
        }
    }

    #[test]
    fn anything_that_reaches_out_writes_or_expands_is_not() {
        for c in [
            "cat /etc/hosts",
            "ls ~",
            "ls ~/x",
            "grep --file=~/x y",
            "ls /",
            "cat ../other/x",
            "cd ..",
            "git -C /tmp/x log",
            "git --git-dir=/tmp/x log",
            "grep -r x --include=../y",
            "ls > out.txt",
            "cat x >> y",
            "cat < /etc/passwd",
            "ls $HOME",
            "echo $(id)",
            "ls &",
            "FOO=1 ls",
            "sudo ls",
            "./ls",
            "ls; pwd",
        ] {
            assert!(!ro(c), "{c}");
        }
    }

    #[test]
    fn only_low_read_only_learnable_segments_qualify() {
        let r = req("/w/p");
        let risk = |tier, f: &[&str]| Risk {
            tier,
            score: 0.1,
            factors: f.iter().map(|s| s.to_string()).collect(),
        };
        let ok = risk(RiskTier::Low, &["read_only"]);
        assert!(read_only_command("ls", &ok, Some("ls *"), &r, "/home/u"));
        // Unlearnable (code-swapping options, substitutions): never.
        assert!(!read_only_command("ls", &ok, None, &r, "/home/u"));
        // Any other factor, or a higher tier: never.
        let dl = risk(RiskTier::Low, &["read_only", "download"]);
        assert!(!read_only_command("ls", &dl, Some("ls *"), &r, "/home/u"));
        let med = risk(RiskTier::Medium, &["read_only"]);
        assert!(!read_only_command("ls", &med, Some("ls *"), &r, "/home/u"));
        assert!(!read_only_command(
            "ls",
            &risk(RiskTier::Low, &[]),
            Some("ls *"),
            &r,
            "/home/u"
        ));
        // The cwd outside the project, or a project at or above home: never.
        assert!(!read_only_command(
            "ls",
            &ok,
            Some("ls *"),
            &req("/w"),
            "/home/u"
        ));
        assert!(!read_only_command(
            "ls",
            &ok,
            Some("ls *"),
            &req("/w/p"),
            "/w/p"
        ));
    }
}
