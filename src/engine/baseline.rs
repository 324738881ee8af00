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
//!   whose program (and subcommand) is on the baseline's own list (what the runtimes treat
//!   as read-only, minus options that write or execute), and whose every argument is literal
//!   and names nothing outside the project.
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

/// `path` (resolved against `cwd`) is the root or inside it; never when its place is unknown
/// (a relative path with no absolute cwd).
fn within(path: &str, cwd: &str, root: &str) -> bool {
    matcher::normalize_path(path, cwd).is_some_and(|p| p == root || matcher::inside(&p, root))
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
    // The risk module reads shell text as POSIX shell; PowerShell means something else.
    if req.raw_tool_name.eq_ignore_ascii_case("powershell") {
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
    let args: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
    listed(&cmd.program(), &args) && args.iter().all(|a| arg_inside(a, &req.cwd, root))
}

/// The programs (and subcommands) the baseline covers: those the runtimes' own read-only
/// lists cover, minus every option that writes, executes or reconfigures. The risk module's
/// `read_only` rating is necessary but not sufficient: a program missing here (`tar`,
/// `unzip`, `cargo fmt`, `go env -w`, `git fetch`, `less`, `sed`…) is asked until learned.
fn listed(prog: &str, args: &[&str]) -> bool {
    let positional: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let has = |opts: &[&str]| {
        args.iter().any(|a| {
            opts.iter()
                .any(|o| *a == *o || a.starts_with(&format!("{o}=")))
        })
    };
    let short_flag = |c: char| {
        args.iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains(c))
    };
    if args
        .iter()
        .any(|a| a.starts_with("--output") || a.starts_with("--exec"))
    {
        return false;
    }
    match prog {
        "pwd" | "ls" | "cat" | "head" | "tail" | "wc" | "echo" | "grep" | "egrep" | "fgrep"
        | "rg" | "stat" | "file" | "du" | "df" | "which" | "whoami" | "basename" | "dirname"
        | "realpath" | "readlink" | "cut" | "cmp" | "comm" | "nl" | "tac" | "rev" | "column"
        | "jq" | "true" | "false" | "sha256sum" | "sha1sum" | "md5sum" | "shasum" | "od"
        | "hexdump" | "strings" | "uname" | "nproc" | "whereis" | "type" | "cd" | "diff" => true,
        "sort" => !short_flag('o'),
        "tree" => !short_flag('o'),
        "date" => !short_flag('s') && !has(&["--set"]),
        "uniq" => positional.len() <= 1,
        "hostname" => positional.is_empty(),
        "find" => !has(&[
            "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf",
            "-fls",
        ]),
        "fd" | "fdfind" => !short_flag('x') && !short_flag('X'),
        "git" => matches!(
            positional.first().copied(),
            Some(
                "status"
                    | "log"
                    | "diff"
                    | "show"
                    | "branch"
                    | "blame"
                    | "ls-files"
                    | "ls-tree"
                    | "rev-parse"
                    | "describe"
                    | "shortlog"
                    | "grep"
                    | "cat-file"
                    | "show-ref"
                    | "merge-base"
                    | "rev-list"
                    | "name-rev"
                    | "count-objects"
                    | "stash"
                    | "config"
                    | "remote"
            )
        ),
        "cargo" => matches!(positional.first().copied(), Some("tree" | "metadata")),
        "pip" | "pip3" => matches!(
            positional.first().copied(),
            Some("list" | "show" | "freeze")
        ),
        "go" => matches!(positional.first().copied(), Some("list" | "version")),
        _ => false,
    }
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
            // Rated read-only by the risk tables, but they write, execute or reconfigure.
            "fd -x rm",
            "fd -HIX rm",
            "fd --exec rm",
            "uniq a b",
            "tree -o out.txt",
            "date -s 2020-01-01",
            "tar xf x.tar",
            "unzip x.zip",
            "gzip -d x.gz",
            "cargo fmt",
            "cargo clippy --fix",
            "go env -w GOFLAGS=-x",
            "git fetch",
            "git difftool",
            "sed -n p x",
            "find . -exec cat {} ;",
            "diff --output=x a b",
        ] {
            assert!(!ro(c), "{c}");
        }
    }

    #[test]
    fn a_read_of_the_project_root_itself_is_a_project_read() {
        let r = Request {
            tool: "filesystem".into(),
            action: "read".into(),
            ..req("/w/p")
        };
        let read =
            |scope: &str| project_read("filesystem", "read", scope, RiskTier::Low, &r, "/home/u");
        assert!(read("/w/p"));
        assert!(read("/w/p/"));
        assert!(read("src"));
        assert!(!read("/w"));
        assert!(!read("/w/pq"));
        assert!(!read("/w/p/.."));
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
        // PowerShell text is not POSIX shell: never.
        let ps = Request {
            raw_tool_name: "PowerShell".into(),
            ..req("/w/p")
        };
        assert!(!read_only_command("ls", &ok, Some("ls *"), &ps, "/home/u"));
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
