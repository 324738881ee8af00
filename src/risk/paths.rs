//! Lexical path canonicalization and path classes (project, temp, home, system, secrets,
//! aiperture's own files and runtime hook settings). No filesystem access.

use super::Context;
use crate::pathnorm::Resolved;

/// Where a path points, from the classifier's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// aiperture's DB/key/config or a runtime's hook settings.
    Protected,
    /// `/dev/null`, `/dev/stdout`, `/dev/fd/*` and other harmless pseudo-files.
    NullDevice,
    /// `/dev/tcp/*`, `/dev/udp/*`: network sockets.
    NetSocket,
    /// Any other `/dev/*` (disks, memory, terminals of others).
    Device,
    /// `/` itself.
    Root,
    /// The home directory itself, or an ancestor of it or of the project.
    HomeRoot,
    /// The project root itself.
    ProjectRoot,
    /// Build output inside the project (`target/`, `dist/`, `node_modules/`, …).
    BuildOutput,
    /// The project's `.git` directory or anything in it.
    GitInternal,
    /// Any other path inside the project.
    Project,
    /// `/tmp`, `/var/tmp`, `$TMPDIR`.
    Temp,
    /// A shell start-up file (`~/.bashrc`, `~/.zshrc`, `~/.profile`, …).
    ShellRc,
    /// A dotfile or dot-directory in the home directory.
    HomeDot,
    /// Anything else in the home directory.
    Home,
    /// System directories (`/etc`, `/usr`, `/bin`, `/boot`, `/var`, …).
    System,
    /// Anywhere else outside the project.
    Outside,
}

/// A path resolved against the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    /// The absolute, lexically canonical path (`..` and `.` resolved); empty when unresolved.
    pub abs: String,
    /// Its class.
    pub class: PathClass,
    /// True when it names a secret (keys, credentials, `.env`, …).
    pub secret: bool,
    /// True when the path could not be resolved (unknown variables).
    pub unresolved: bool,
    /// True when the last component holds a glob (`*`, `?`, `[`).
    pub glob: bool,
    /// Where the path really lands when a symbolic link makes it differ from `abs`.
    pub real: Option<String>,
}

/// Expands what a shell would in a path word before [`crate::pathnorm`] reads it: `$HOME`,
/// `$TMPDIR`, `$PWD` at the start (`$HOME` and `$PWD` only when absolute, else they stay
/// unknown places: `~` and `.`), `~user` (another user's home, `/home/user`), backslashes
/// as `/` and a Windows drive (`C:…`) as a path under `/` — the worse readings. `None` when
/// another variable (or a command substitution) is involved.
fn expand(path: &str, ctx: &Context) -> Option<String> {
    let home = if crate::pathnorm::is_absolute(&ctx.home) {
        ctx.home.trim_end_matches('/')
    } else {
        "~"
    };
    let cwd = if crate::pathnorm::is_absolute(&ctx.cwd) {
        ctx.cwd.as_str()
    } else {
        "."
    };
    let mut p = path.to_string();
    for (var, val) in [
        ("${TMPDIR:-/tmp}", "/tmp"),
        ("${TMPDIR}", "/tmp"),
        ("$TMPDIR", "/tmp"),
        ("${HOME}", home),
        ("$HOME", home),
        ("${PWD}", cwd),
        ("$PWD", cwd),
    ] {
        if p.starts_with(var) {
            p = format!("{val}{}", &p[var.len()..]);
        }
    }
    if p.contains('$') || p.contains('`') {
        return None;
    }
    if p != "~"
        && !p.starts_with("~/")
        && let Some(rest) = p.strip_prefix('~')
    {
        // ~user/…: another user's home.
        p = format!("/home/{rest}");
    }
    let p = p.replace('\\', "/");
    if p.len() >= 2 && p.as_bytes().get(1) == Some(&b':') {
        // A Windows drive path: treat as a system location.
        return Some(format!("/{p}"));
    }
    Some(p)
}

/// Reads a path word against the context: shell expansion, then [`crate::pathnorm::resolve`]
/// against `ctx.cwd` and `ctx.home` (`.` and `..` resolved lexically; with no absolute cwd a
/// relative path is read from `/` and unanchored). `None` when another variable is involved.
pub fn resolve(path: &str, ctx: &Context) -> Option<Resolved> {
    let p = expand(path, ctx)?;
    Some(crate::pathnorm::resolve(&p, &ctx.cwd, Some(&ctx.home)))
}

/// The absolute, lexically canonical place of a path word ([`resolve`]); `None` when another
/// variable is involved or the place is unknown (a relative path with no absolute cwd).
pub fn canonicalize(path: &str, ctx: &Context) -> Option<String> {
    resolve(path, ctx).filter(|r| r.anchored).map(|r| r.path)
}

/// True when `path` is `dir` or inside it (both canonical).
pub use crate::pathnorm::is_within;

const BUILD_DIRS: &[&str] = &[
    "target",
    "dist",
    "build",
    "node_modules",
    "out",
    ".next",
    ".nuxt",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    "coverage",
    ".coverage",
    ".cache",
    ".turbo",
    ".parcel-cache",
    ".gradle",
    ".svelte-kit",
    "_build",
    "htmlcov",
    ".eggs",
    "tmp",
];

const SHELL_RC: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".zlogout",
    ".kshrc",
    ".cshrc",
    ".tcshrc",
    ".config/fish/config.fish",
    ".config/fish/conf.d",
    ".inputrc",
    ".bash_aliases",
    ".ssh/rc",
    ".xprofile",
    ".xinitrc",
];

const SYSTEM_DIRS: &[&str] = &[
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/boot",
    "/sys",
    "/proc",
    "/var",
    "/opt",
    "/root",
    "/srv",
    "/snap",
    "/System",
    "/Library",
    "/Applications",
    "/private/etc",
    "/private/var",
    "/nix",
    "/c:",
    "/C:",
];

/// Classifies a path word (as written) against the context. With a resolver in the
/// context, a path whose real location differs (a symbolic link in any component) is also
/// judged where it lands, and the worse of the two judgements is kept.
pub fn classify(path: &str, ctx: &Context) -> PathInfo {
    let lexical = classify_lexical(path, ctx);
    match ctx.resolver.as_deref() {
        Some(r) => super::realpaths::follow(lexical, ctx, r),
        None => lexical,
    }
}

/// Classifies a path word as text only (no link is followed).
pub(super) fn classify_lexical(path: &str, ctx: &Context) -> PathInfo {
    let glob = path
        .rsplit('/')
        .next()
        .map(|l| l.contains(['*', '?', '[']))
        .unwrap_or(false);
    let Some(Resolved {
        path: abs,
        anchored,
    }) = resolve(path, ctx)
    else {
        return PathInfo {
            abs: String::new(),
            class: PathClass::Outside,
            secret: is_secret(path),
            unresolved: true,
            glob,
            real: None,
        };
    };
    // An unanchored path is never in the project: it is judged as if there were none.
    let class = class_in(&abs, ctx, if anchored { project_root(ctx) } else { "" });
    let secret = is_secret(&abs);
    PathInfo {
        abs,
        class,
        secret,
        unresolved: false,
        glob,
        real: None,
    }
}

/// The project root: the project when set, else the cwd; empty unless absolute.
fn project_root(ctx: &Context) -> &str {
    let root = if ctx.project.is_empty() {
        ctx.cwd.as_str()
    } else {
        ctx.project.as_str()
    };
    if crate::pathnorm::is_absolute(root) {
        root
    } else {
        ""
    }
}

/// The class of an absolute, canonical path in the context.
pub(super) fn class_of(abs: &str, ctx: &Context) -> PathClass {
    class_in(abs, ctx, project_root(ctx))
}

/// [`class_of`] with the project root given (empty: none).
fn class_in(abs: &str, ctx: &Context, project: &str) -> PathClass {
    let home = ctx.home.trim_end_matches('/');
    let project = project.trim_end_matches('/');
    if is_protected(abs, ctx) {
        return PathClass::Protected;
    }
    if let Some(dev) = abs.strip_prefix("/dev/") {
        if dev.starts_with("tcp/") || dev.starts_with("udp/") {
            return PathClass::NetSocket;
        }
        if matches!(
            dev,
            "null" | "stdout" | "stderr" | "stdin" | "tty" | "zero" | "random" | "urandom"
        ) || dev.starts_with("fd/")
            || dev.starts_with("shm/")
        {
            return if dev.starts_with("shm/") {
                PathClass::Temp
            } else {
                PathClass::NullDevice
            };
        }
        return PathClass::Device;
    }
    if abs == "/dev" {
        return PathClass::Device;
    }
    if abs == "/" {
        return PathClass::Root;
    }
    if !home.is_empty() && (abs == home || is_within(home, abs)) {
        return PathClass::HomeRoot;
    }
    if !project.is_empty() && project != "/" {
        if is_within(project, abs) && abs != project {
            // An ancestor of the project.
            return PathClass::HomeRoot;
        }
        if abs == project {
            return PathClass::ProjectRoot;
        }
        if let Some(rel) = abs.strip_prefix(project).and_then(|r| r.strip_prefix('/')) {
            let first = rel.split('/').next().unwrap_or("");
            if first == ".git" {
                return PathClass::GitInternal;
            }
            if rel.split('/').any(|c| BUILD_DIRS.contains(&c)) {
                return PathClass::BuildOutput;
            }
            return PathClass::Project;
        }
    }
    if !home.is_empty()
        && let Some(rel) = abs.strip_prefix(home).and_then(|r| r.strip_prefix('/'))
    {
        if SHELL_RC
            .iter()
            .any(|rc| rel == *rc || rel.starts_with(&format!("{rc}/")))
        {
            return PathClass::ShellRc;
        }
        if rel.starts_with('.') {
            return PathClass::HomeDot;
        }
        return PathClass::Home;
    }
    // After the home directory: a home that lies in a temporary directory (a sandbox, a CI
    // job) is still a home, the more specific place.
    for t in [
        "/tmp",
        "/var/tmp",
        "/private/tmp",
        "/private/var/folders",
        "/var/folders",
    ] {
        if is_within(abs, t) {
            return PathClass::Temp;
        }
    }
    if abs.starts_with("/home/") || abs.starts_with("/Users/") {
        // Another user's home: treat like a home directory.
        let rest = abs.splitn(4, '/').nth(3).unwrap_or("");
        if rest.is_empty() {
            return PathClass::HomeRoot;
        }
        if SHELL_RC.contains(&rest) {
            return PathClass::ShellRc;
        }
        return if rest.starts_with('.') {
            PathClass::HomeDot
        } else {
            PathClass::Home
        };
    }
    for s in SYSTEM_DIRS {
        if is_within(abs, s) || abs.to_ascii_lowercase().starts_with("/c:") {
            return PathClass::System;
        }
    }
    PathClass::Outside
}

/// `cp .env.example .env` inside the project (a template copied to its settings file).
pub(super) fn env_from_template(ops: &[&crate::shell::Word], ctx: &Context) -> bool {
    let [src, dst] = ops else {
        return false;
    };
    let name = |w: &crate::shell::Word| w.text.rsplit('/').next().unwrap_or("").to_string();
    let template = matches!(
        name(src).as_str(),
        ".env.example" | ".env.sample" | ".env.template" | ".env.dist" | ".env.defaults"
    );
    let inside = |w: &crate::shell::Word| {
        !w.dynamic && matches!(classify(&w.text, ctx).class, PathClass::Project)
    };
    template && name(dst).starts_with(".env") && inside(src) && inside(dst)
}

/// True when `path` is a coding runtime's settings or hooks file (protected against writes)
/// and not one of aiperture's own files (its database, key, config or home).
pub(super) fn is_runtime_settings(path: &str, ctx: &Context) -> bool {
    let info = classify(path, ctx);
    if info.class != PathClass::Protected || info.real.is_some() || info.secret {
        return false;
    }
    let Some(abs) = canonicalize(path, ctx) else {
        return false;
    };
    let lower = abs.to_ascii_lowercase();
    // Only the settings and hooks files that hold no tokens (OpenClaw's and Codex's
    // configuration can; reading them stays critical).
    let comps: Vec<&str> = lower.split('/').collect();
    let name = comps.last().copied().unwrap_or("");
    let parent = comps
        .len()
        .checked_sub(2)
        .and_then(|i| comps.get(i))
        .copied()
        .unwrap_or("");
    let settings = (parent == ".claude" && name.starts_with("settings") && name.ends_with(".json"))
        || comps.windows(2).any(|w| w == [".claude", "hooks"])
        || (parent == ".cursor" && matches!(name, "hooks.json" | "cli.json" | "permissions.json"))
        || (parent == ".gemini" && name == "settings.json");
    settings
        && !lower.contains("aiperture")
        && !ctx
            .protected_paths
            .iter()
            .any(|p| canonicalize(p, ctx).is_some_and(|pp| is_within(&lower, &pp.to_lowercase())))
}

/// True when `abs` is one of aiperture's own files or a runtime's hook settings.
pub fn is_protected(abs: &str, ctx: &Context) -> bool {
    // Case-insensitive: macOS and Windows file systems are.
    let abs_lower = abs.to_lowercase();
    for p in &ctx.protected_paths {
        if p.is_empty() {
            continue;
        }
        if let Some(pp) = canonicalize(p, ctx)
            && is_within(&abs_lower, &pp.to_lowercase())
        {
            return true;
        }
    }
    let lower = abs.to_ascii_lowercase();
    let comps: Vec<&str> = lower.split('/').collect();
    let name = comps.last().copied().unwrap_or("");
    let parent = if comps.len() >= 2 {
        comps.get(comps.len() - 2).copied().unwrap_or("")
    } else {
        ""
    };
    // Claude Code settings and hooks.
    if parent == ".claude" && name.starts_with("settings") && name.ends_with(".json") {
        return true;
    }
    if comps.windows(2).any(|w| w == [".claude", "hooks"]) {
        return true;
    }
    if parent == ".cursor"
        && (name == "hooks.json" || name == "cli.json" || name == "permissions.json")
    {
        return true;
    }
    if parent == ".gemini" && (name == "settings.json" || name == "policies") {
        return true;
    }
    if comps
        .iter()
        .any(|c| matches!(*c, ".codex" | ".copilot" | ".aiperture"))
    {
        return true;
    }
    // OpenClaw's config and plugins, but not its agents' default workspace
    // (`~/.openclaw/workspace`), where every OpenClaw tool call runs.
    if let Some(i) = comps.iter().position(|c| *c == ".openclaw")
        && !comps.get(i + 1).is_some_and(|c| c.starts_with("workspace"))
    {
        return true;
    }
    if comps.windows(2).any(|w| {
        w.get(1) == Some(&"aiperture")
            && matches!(
                w.first().copied(),
                Some(".config" | "share" | "application support")
            )
    }) {
        return true;
    }
    if comps.windows(2).any(|w| w == [".github", "hooks"]) {
        return true;
    }
    // The directories that hold these files.
    matches!(name, ".claude" | ".cursor" | ".gemini") && comps.len() <= 4
}

/// True when a path names a secret: keys, credentials, tokens, `.env` files, keychains,
/// histories. Case-insensitive. The table lives in [`super::secrets`].
pub fn is_secret(path: &str) -> bool {
    super::secrets::is_secret(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            cwd: "/home/u/proj/src".into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            protected_paths: vec!["/home/u/.local/share/aiperture/aiperture.db".into()],
            resolver: None,
        }
    }

    #[test]
    fn canonicalizes_lexically() {
        let c = ctx();
        assert_eq!(canonicalize("a/../b", &c).unwrap(), "/home/u/proj/src/b");
        assert_eq!(canonicalize("~/.ssh", &c).unwrap(), "/home/u/.ssh");
        assert_eq!(canonicalize("$HOME/x", &c).unwrap(), "/home/u/x");
        assert_eq!(canonicalize("/tmp/../etc", &c).unwrap(), "/etc");
        assert_eq!(canonicalize("${TMPDIR}/../etc", &c).unwrap(), "/etc");
        assert_eq!(canonicalize("../../../../..", &c).unwrap(), "/");
        assert!(canonicalize("$FOO/x", &c).is_none());
        assert_eq!(
            canonicalize("src\\..\\..\\x", &c).unwrap(),
            "/home/u/proj/x"
        );
        assert_eq!(canonicalize("~bob/.ssh", &c).unwrap(), "/home/bob/.ssh");
    }

    #[test]
    fn no_absolute_cwd_is_never_the_project() {
        for cwd in ["", "proj", "home/u/proj"] {
            let c = Context {
                cwd: cwd.into(),
                ..ctx()
            };
            // Read from `/`: its place is unknown, so it has no canonical form…
            assert_eq!(canonicalize("home/u/proj/main.rs", &c), None, "{cwd:?}");
            assert_eq!(canonicalize("$PWD/main.rs", &c), None, "{cwd:?}");
            let info = classify("home/u/proj/main.rs", &c);
            assert_eq!(info.abs, "/home/u/proj/main.rs");
            // …and is never in the project, even when that reading lands there.
            assert_eq!(info.class, PathClass::Home, "{cwd:?}");
            assert_eq!(classify("home/u/proj", &c).class, PathClass::Home);
            // The worse readings still apply: a system path, a shell start-up file.
            assert_eq!(classify("etc/passwd", &c).class, PathClass::System);
            assert_eq!(classify("~/.bashrc", &c).class, PathClass::ShellRc);
            assert_eq!(classify(".", &c).class, PathClass::Root);
            // Absolute paths need no cwd.
            assert_eq!(
                classify("/home/u/proj/main.rs", &c).class,
                PathClass::Project
            );
        }
        let no_home = Context {
            home: String::new(),
            ..ctx()
        };
        assert_eq!(canonicalize("~/.ssh", &no_home), None);
        assert_eq!(canonicalize("$HOME/.ssh", &no_home), None);
        assert_eq!(classify("~/.ssh/id_rsa", &no_home).abs, "/.ssh/id_rsa");
    }

    #[test]
    fn classes() {
        let c = ctx();
        let k = |p: &str| classify(p, &c).class;
        assert_eq!(k("../target/debug"), PathClass::BuildOutput);
        assert_eq!(k("main.rs"), PathClass::Project);
        assert_eq!(k(".."), PathClass::ProjectRoot);
        assert_eq!(k("../.git/hooks/pre-commit"), PathClass::GitInternal);
        assert_eq!(k("/"), PathClass::Root);
        assert_eq!(k("~"), PathClass::HomeRoot);
        assert_eq!(k("~/.bashrc"), PathClass::ShellRc);
        assert_eq!(k("~/.vimrc"), PathClass::HomeDot);
        assert_eq!(k("~/Documents"), PathClass::Home);
        assert_eq!(k("/etc/passwd"), PathClass::System);
        assert_eq!(k("/dev/null"), PathClass::NullDevice);
        assert_eq!(k("/dev/sda"), PathClass::Device);
        assert_eq!(k("/dev/tcp/evil/80"), PathClass::NetSocket);
        assert_eq!(k("/tmp/x"), PathClass::Temp);
        assert_eq!(k("~/.claude/settings.json"), PathClass::Protected);
        assert_eq!(k("../.claude/settings.local.json"), PathClass::Protected);
        assert_eq!(
            k("~/.local/share/aiperture/aiperture.db"),
            PathClass::Protected
        );
        assert_eq!(k("/srv/x"), PathClass::System);
        assert_eq!(k("/mnt/data"), PathClass::Outside);
    }

    #[test]
    fn secrets_case_insensitive() {
        for s in [
            ".env",
            "config/.env.production",
            "~/.ssh/id_rsa",
            "/home/u/.AWS/credentials",
            "server-key.PEM",
            "~/.netrc",
            "/etc/shadow",
            "Library/Keychains/login.keychain-db",
        ] {
            assert!(is_secret(s), "{s}");
        }
        for s in [
            ".env.example",
            "src/env.rs",
            "id_rsa.pub",
            "~/.ssh/known_hosts",
            "README.md",
        ] {
            assert!(!is_secret(s), "{s}");
        }
    }
}
