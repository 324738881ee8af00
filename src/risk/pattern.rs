//! Learnable patterns: derivation from a judged segment and the one matcher for each kind.
//!
//! Shell pattern grammar (docs/risk.md): words separated by single spaces, each word either
//! bare (`[A-Za-z0-9_@%+=:,./^-]+`) or single-quoted with `'\''` for a quote; an optional
//! last word `*` (unquoted) stands for zero or more further arguments. A pattern matches
//! only one simple command: no lists, pipes, substitutions, non-null redirections,
//! privilege wrappers or expansions in the program word; the program is compared by its
//! resolved name (`/usr/bin/git` = `git`), every other word literally.
//!
//! Path patterns are absolute canonical paths whose last component may hold `*`, which
//! never crosses `/` and never matches a leading `.`.

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use super::rules_git::subcommand_index;
use crate::request::RiskTier;
use crate::shell::{self, Origin, SimpleCommand, quote_word, resolve_program, runs_by_path};

/// Programs whose first (or first two) operands name what they do.
fn subcommand_depth(prog: &str) -> usize {
    match prog {
        "gh" | "glab" | "aws" | "az" | "gcloud" | "doctl" | "uv" | "poetry" | "pdm" | "hatch" => 2,
        "npm" | "pnpm" | "yarn" | "bun" | "cargo" | "docker" | "podman" | "kubectl" | "helm"
        | "terraform" | "tofu" | "go" | "pip" | "pip3" | "pipx" | "brew" | "apt" | "apt-get"
        | "dnf" | "yum" | "make" | "just" | "gradle" | "mvn" | "dotnet" | "swift" | "rustup"
        | "deno" | "bundle" | "rails" | "rake" | "systemctl" | "composer" | "mix" | "npx"
        | "bunx" | "pnpx" | "uvx" | "conda" | "gem" | "nix" | "flutter" | "dart" | "task"
        | "invoke" | "tox" | "nox" | "pulumi" | "heroku" | "vercel" | "flyctl" | "fly"
        | "wrangler" | "firebase" | "docker-compose" | "stack" | "cabal" | "zig" | "sbt" => 1,
        _ => 0,
    }
}

/// Subcommands that take a further name worth keeping (`npm run build`, `docker compose up`).
fn keeps_next(prog: &str, sub: &str) -> bool {
    matches!(
        (prog, sub),
        (
            "npm" | "pnpm" | "yarn" | "bun",
            "run" | "run-script" | "exec" | "x" | "dlx"
        ) | (
            "docker" | "podman",
            "compose"
                | "container"
                | "image"
                | "volume"
                | "network"
                | "system"
                | "buildx"
                | "context"
        ) | ("cargo", "+nightly" | "+stable" | "+beta")
            | ("go", "mod" | "tool")
            | ("kubectl", "rollout" | "config")
            | ("uv", "pip" | "tool")
            | ("poetry" | "pdm" | "hatch" | "uv", "run")
    )
}

fn plain_word(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.len() <= 64
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '/' | '+' | '@')
        })
}

/// Derives the learnable pattern of a judged shell segment, or `None` when it must not be
/// generalized.
pub(super) fn derive_shell(cmd: &SimpleCommand, j: &Judge) -> Option<String> {
    if j.tier >= RiskTier::High || j.secret {
        return None;
    }
    if !pattern_safe(cmd) {
        return None;
    }
    if j.exact_pattern {
        // Build-output deletion: exactly this command, nothing more.
        let exact = cmd.display();
        return pattern_words(&exact)
            .is_some()
            .then(|| pattern_matches(&exact, &exact))
            .filter(|ok| *ok)
            .map(|_| exact);
    }
    if j.no_pattern {
        return None;
    }
    let prog = cmd.program();
    if !plain_word(&prog) {
        return None;
    }
    // A file named by its path is learned under that path, and only a relative one inside
    // the working tree (`./gradlew build *`); `/tmp/x/git` is never learned.
    let program_word = if cmd.program_by_path() {
        let written = cmd.argv.first()?.text.clone();
        if written.starts_with('/')
            || written.starts_with('~')
            || written.split('/').any(|c| c == "..")
        {
            return None;
        }
        written
    } else {
        prog.clone()
    };
    let mut words = vec![quote_word(&program_word)];
    // Words that depend on expansion end the literal prefix.
    let args: Vec<&str> = cmd
        .args()
        .iter()
        .map(|w| if w.dynamic { "$" } else { w.text.as_str() })
        .collect();
    if prog == "git" {
        let (globals, si) = subcommand_index(cmd);
        if !globals.is_empty() {
            return None;
        }
        if let Some(sub) = si.and_then(|i| cmd.argv.get(i)) {
            if !plain_word(&sub.text) {
                return None;
            }
            words.push(sub.text.clone());
            if matches!(
                sub.text.as_str(),
                "stash" | "remote" | "worktree" | "submodule" | "lfs" | "notes" | "bisect"
            ) && let Some(next) = si.and_then(|i| cmd.argv.get(i + 1))
                && plain_word(&next.text)
            {
                words.push(next.text.clone());
            }
        }
    } else if crate::shell::is_shell(&prog) || is_interpreter(&prog) {
        // The script (or -m module) is what runs.
        match args.first() {
            Some(&"-m") => {
                words.push("-m".into());
                let module = args.get(1).filter(|m| **m != "$")?;
                words.push(quote_word(module));
            }
            Some(a) if a.starts_with('-') || *a == "$" => return None,
            Some(a) => words.push(quote_word(a)),
            None => {}
        }
    } else {
        let depth = subcommand_depth(&prog);
        let mut extra = 0;
        for (taken, a) in args.iter().enumerate() {
            if taken >= depth + extra {
                break;
            }
            if !plain_word(a) {
                break;
            }
            if taken == 0 && keeps_next(&prog, a) {
                extra = 1;
            }
            words.push((*a).to_string());
        }
    }
    words.push("*".into());
    let pattern = words.join(" ");
    // Only a pattern that matches its own segment is offered (odd words do not round-trip).
    pattern_matches(&pattern, &cmd.display()).then_some(pattern)
}

fn is_interpreter(prog: &str) -> bool {
    let p = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        p,
        "python" | "node" | "ruby" | "perl" | "php" | "deno" | "bun" | "pypy" | "lua"
    )
}

/// True when a parsed command may be matched by (or generalized into) a pattern.
fn pattern_safe(cmd: &SimpleCommand) -> bool {
    if cmd.argv.is_empty() {
        return false;
    }
    if cmd.argv.first().map(|w| w.dynamic).unwrap_or(true) {
        return false;
    }
    if cmd.argv.iter().any(|w| w.substitution) {
        return false;
    }
    if cmd.wrappers.iter().any(|w| {
        matches!(
            w.as_str(),
            "sudo" | "doas" | "pkexec" | "run0" | "su" | "runuser" | "chroot"
        )
    }) {
        return false;
    }
    if matches!(
        cmd.origin,
        Some(Origin::Remote | Origin::Eval | Origin::Substitution | Origin::Typed)
    ) {
        return false;
    }
    if cmd.implicit_args {
        return false;
    }
    if !cmd.assignments.is_empty() {
        return false;
    }
    // Options that swap the code that runs (`make -f x`, `npm test --script-shell=x`): the
    // words a human approved no longer say what runs.
    if super::swaps::first(cmd).is_some() {
        return false;
    }
    cmd.redirects.iter().all(|r| {
        if r.op.starts_with("<<") {
            return true;
        }
        if !r.writes() {
            // fd duplication or input from a file
            return !r.op.contains('<') || !r.target.dynamic;
        }
        !r.target.dynamic && r.target.text == "/dev/null"
    })
}

/// Splits a shell pattern into words; `Err` when it is malformed. The last element tells
/// whether it ended with the `*` wildcard.
fn pattern_words(pattern: &str) -> Option<(Vec<String>, bool)> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = pattern.chars().peekable();
    let mut star = false;
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == '\'' {
                        closed = true;
                        break;
                    }
                    cur.push(d);
                }
                if !closed {
                    return None;
                }
            }
            '\\' => {
                // Only the `'\''` form is produced; accept `\'`.
                match chars.next() {
                    Some('\'') => {
                        in_word = true;
                        cur.push('\'');
                    }
                    _ => return None,
                }
            }
            c if c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-' | '^' | '*'
                ) =>
            {
                in_word = true;
                cur.push(c);
            }
            _ => return None,
        }
    }
    if in_word {
        words.push(cur);
    }
    if words.last().map(|w| w == "*").unwrap_or(false) && !pattern.ends_with("'*'") {
        words.pop();
        star = true;
    }
    if words.is_empty() || words.iter().any(|w| w == "*") {
        return None;
    }
    Some((words, star))
}

/// True when `segment_command` (one simple command) is matched by `pattern`.
pub fn pattern_matches(pattern: &str, segment_command: &str) -> bool {
    let Some((words, star)) = pattern_words(pattern) else {
        return false;
    };
    let parsed = shell::parse(segment_command);
    if parsed.parse_error
        || parsed.limit.is_some()
        || parsed.commands.len() != 1
        || !parsed.functions.is_empty()
    {
        return false;
    }
    let Some(cmd) = parsed.commands.first() else {
        return false;
    };
    if !pattern_safe(cmd) || cmd.background {
        return false;
    }
    let Some(first) = words.first() else {
        return false;
    };
    if resolve_program(first) != cmd.program() {
        return false;
    }
    // `./git` is not `git`, and `git` is not `./git`: a program named by its path matches
    // only a pattern spelling the same path.
    let written = cmd.argv.first().map(|w| w.text.as_str()).unwrap_or("");
    if runs_by_path(first) != cmd.program_by_path()
        || (cmd.program_by_path() && first.as_str() != written)
    {
        return false;
    }
    let rest = words.get(1..).unwrap_or(&[]);
    let args = cmd.args();
    if args.len() < rest.len() || (!star && args.len() != rest.len()) {
        return false;
    }
    for (p, a) in rest.iter().zip(args.iter()) {
        if a.dynamic || a.text != *p {
            return false;
        }
    }
    true
}

/// True when `path` (absolute, canonical) is matched by the path `pattern`.
pub fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    if !pattern.starts_with('/') || !path.starts_with('/') {
        return false;
    }
    let pc: Vec<&str> = pattern.split('/').skip(1).collect();
    let xc: Vec<&str> = path.split('/').skip(1).collect();
    if pc.len() != xc.len() {
        return false;
    }
    if xc.iter().any(|c| c.is_empty() || *c == "." || *c == "..") {
        return false;
    }
    pc.iter().zip(xc.iter()).all(|(p, x)| glob_component(p, x))
}

/// `*`-only glob over one path component; `*` does not match a leading `.`.
fn glob_component(p: &str, x: &str) -> bool {
    if !p.contains('*') {
        return p == x;
    }
    if x.starts_with('.') && !p.starts_with('.') {
        return false;
    }
    let parts: Vec<&str> = p.split('*').collect();
    let mut pos = 0usize;
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !x.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == last {
            return x.len() >= pos + part.len() && x.ends_with(part);
        } else {
            match x.get(pos..).and_then(|r| r.find(part)) {
                Some(k) => pos += k + part.len(),
                None => return false,
            }
        }
    }
    pos == x.len()
}

/// True when `url` is matched by a `scheme://host/*` pattern (exact scheme and host, no
/// user part).
pub fn url_pattern_matches(pattern: &str, url: &str) -> bool {
    let Some(prefix) = pattern.strip_suffix("/*") else {
        return false;
    };
    let lower = url.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') || authority.contains('\\') {
        return false;
    }
    format!("{scheme}://{authority}") == prefix.to_ascii_lowercase()
}

/// Dispatches to the matcher for `tool`'s pattern kind (shell, file path, URL, other).
pub fn matches(tool: &str, action: &str, pattern: &str, scope: &str, ctx: &Context) -> bool {
    match (
        tool.to_ascii_lowercase().as_str(),
        action.to_ascii_lowercase().as_str(),
    ) {
        ("shell" | "bash" | "terminal", _) => pattern_matches(pattern, scope),
        ("filesystem" | "file" | "fs", _) => match paths::canonicalize(scope, ctx) {
            Some(abs) => path_pattern_matches(pattern, &abs),
            None => false,
        },
        ("web", "fetch") => url_pattern_matches(pattern, scope),
        _ => pattern == "*" || pattern == scope,
    }
}

/// Derives `<project>/dir/*.ext` for a file inside the project.
pub(super) fn derive_path(scope: &str, ctx: &Context) -> Option<String> {
    if scope.contains(['*', '?', '[']) {
        return None;
    }
    let info = paths::classify(scope, ctx);
    if info.unresolved || info.secret || info.class != PathClass::Project {
        return None;
    }
    let (dir, name) = info.abs.rsplit_once('/')?;
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty()
        || ext.is_empty()
        || ext.len() > 10
        || !ext.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(format!("{dir}/*.{ext}"))
}

/// Derives `scheme://host/*` for a plain public URL.
pub(super) fn derive_url(scope: &str) -> Option<String> {
    let lower = scope.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{authority}/*"))
}
