//! Judging a path where it really lands: a symbolic link in any component (a repository
//! shipping `notes.txt -> ~/.ssh/id_rsa`, `rustfmt.toml -> ~/.config/aiperture/policy.toml`)
//! is judged at its target as well as by its text, and the worse judgement is kept.
//!
//! Pure: the file system is reached only through the [`PathResolver`] the caller injects.

use super::paths::{self, PathClass, PathInfo};
use super::{Context, PathResolver};

/// How bad a class is to touch, for keeping the worse of two judgements. The project's
/// own places and temp share a rank: a workspace link (`node_modules/@org/pkg ->
/// ../../packages/pkg`) or a link into `/tmp` changes nothing.
fn rank(c: PathClass) -> u8 {
    match c {
        PathClass::NullDevice => 0,
        PathClass::Temp | PathClass::BuildOutput | PathClass::Project | PathClass::ProjectRoot => 1,
        PathClass::GitInternal => 5,
        PathClass::Outside => 6,
        PathClass::Home => 7,
        PathClass::HomeDot => 8,
        PathClass::HomeRoot => 9,
        PathClass::System => 10,
        PathClass::ShellRc => 11,
        PathClass::Root => 12,
        PathClass::Device => 13,
        PathClass::NetSocket => 14,
        PathClass::Protected => 15,
    }
}

/// True for pseudo-file systems whose links say nothing about the file judged
/// (`/dev/stdout -> /proc/self/fd/1`, `/proc/self -> /proc/<pid>`).
fn pseudo(abs: &str) -> bool {
    ["/dev", "/proc", "/sys"]
        .iter()
        .any(|p| paths::is_within(abs, p))
}

/// Re-judges `lexical` where it really lands. `real` is set only when the link changes
/// the judgement (a worse class, or a secret).
pub(super) fn follow(lexical: PathInfo, ctx: &Context, r: &dyn PathResolver) -> PathInfo {
    if lexical.unresolved || lexical.glob || lexical.abs.is_empty() || pseudo(&lexical.abs) {
        return lexical;
    }
    let Some(real) = r.real_path(&lexical.abs) else {
        return lexical;
    };
    if real == lexical.abs {
        return lexical;
    }
    let rctx = real_context(ctx, r);
    let class = paths::class_of(&real, &rctx);
    let secret = paths::is_secret(&real);
    let worse = rank(class) > rank(lexical.class);
    let runs_later =
        super::runs_later::role(&real).is_some() && super::runs_later::role(&lexical.abs).is_none();
    if !worse && (!secret || lexical.secret) && !runs_later {
        return lexical;
    }
    PathInfo {
        class: if worse { class } else { lexical.class },
        secret: lexical.secret || secret,
        real: Some(real),
        ..lexical
    }
}

/// Records that `info` was judged through a symbolic link (when it was): a named factor
/// (presets never cover it) and no learnable pattern.
pub(super) fn note_link(info: &PathInfo, j: &mut super::judge::Judge) {
    if info.real.is_some() {
        j.raise(
            crate::request::RiskTier::Medium,
            "symlink_escape",
            "is a symbolic link judged where it lands",
        );
        j.no_pattern = true;
    }
}

/// The context with its roots and protected paths where they really are (a home or a
/// project reached through a link), plus the protected paths as written.
fn real_context(ctx: &Context, r: &dyn PathResolver) -> Context {
    let real = |p: &str| {
        if p.starts_with('/') {
            r.real_path(p).unwrap_or_else(|| p.to_string())
        } else {
            p.to_string()
        }
    };
    let mut protected = ctx.protected_paths.clone();
    for p in &ctx.protected_paths {
        if let Some(abs) = paths::canonicalize(p, ctx)
            && let Some(rp) = r.real_path(&abs)
        {
            protected.push(rp);
        }
    }
    Context {
        cwd: real(&ctx.cwd),
        project: real(&ctx.project),
        home: real(&ctx.home),
        protected_paths: protected,
        resolver: None,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::request::RiskTier::{Critical, High, Low, Medium};
    use crate::risk::assess;
    use std::collections::HashMap;
    use std::sync::Arc;

    /// A resolver from a fixed map of link → target (prefixes are followed).
    #[derive(Debug, Default)]
    pub(crate) struct MapResolver(pub HashMap<String, String>);

    impl PathResolver for MapResolver {
        fn real_path(&self, abs: &str) -> Option<String> {
            self.0.iter().find_map(|(link, target)| {
                if abs == link {
                    Some(target.clone())
                } else {
                    abs.strip_prefix(link.as_str())
                        .filter(|r| r.starts_with('/'))
                        .map(|r| format!("{target}{r}"))
                }
            })
        }
    }

    fn ctx(links: &[(&str, &str)]) -> Context {
        let map = links
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Context {
            cwd: "/home/u/proj".into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            protected_paths: vec!["/home/u/.config/aiperture".into()],
            resolver: Some(Arc::new(MapResolver(map))),
        }
    }

    #[test]
    fn a_link_is_judged_where_it_lands() {
        let c = ctx(&[
            ("/home/u/proj/notes.txt", "/home/u/.ssh/id_rsa"),
            (
                "/home/u/proj/rustfmt.toml",
                "/home/u/.config/aiperture/policy.toml",
            ),
            ("/home/u/proj/docs", "/home/u/Documents"),
            ("/home/u/proj/rc", "/home/u/.bashrc"),
            ("/home/u/proj/dist", "/tmp/dist"),
            ("/home/u/proj/notes.md", "/home/u/proj/.husky/pre-commit"),
        ]);
        let a = assess("filesystem", "read", "notes.txt", &c);
        assert_eq!(a.risk.tier, High, "{:?}", a.risk.factors);
        assert!(a.segments.iter().all(|s| s.pattern.is_none()));
        let a = assess("filesystem", "write", "rustfmt.toml", &c);
        assert_eq!(a.risk.tier, Critical, "{:?}", a.risk.factors);
        let a = assess("filesystem", "read", "docs/plan.md", &c);
        assert_eq!(a.risk.tier, Medium, "{:?}", a.risk.factors);
        assert!(a.risk.factors.iter().any(|f| f == "symlink_escape"));
        assert!(a.segments.iter().all(|s| s.pattern.is_none()));
        // A file that does not exist yet under a linked directory.
        let a = assess("filesystem", "write", "docs/new.md", &c);
        assert_eq!(a.risk.tier, High, "{:?}", a.risk.factors);
        let t = |cmd: &str| assess("shell", "execute", cmd, &c).risk.tier;
        assert_eq!(t("cat notes.txt"), High);
        assert_eq!(t("base64 notes.txt"), High);
        assert_eq!(t("echo x > rustfmt.toml"), Critical);
        assert_eq!(t("cp x rustfmt.toml"), Critical);
        assert_eq!(t("echo x >> rc"), Critical);
        assert_eq!(t("echo x > notes.md"), High);
        // A workspace link inside the project is no escape.
        let w = ctx(&[(
            "/home/u/proj/node_modules/@org/pkg",
            "/home/u/proj/packages/pkg",
        )]);
        let a = assess("filesystem", "read", "node_modules/@org/pkg/index.js", &w);
        assert_eq!(a.risk.tier, Low, "{:?}", a.risk.factors);
        assert!(!a.risk.factors.iter().any(|f| f == "symlink_escape"));
        // A link that stays harmless keeps the lexical judgement.
        assert_eq!(t("echo x > dist/a.js"), Medium);
        assert_eq!(t("cat README.md"), Low);
        assert_eq!(t("ls"), Low);
    }

    #[test]
    fn roots_reached_through_links_are_not_escapes() {
        // The whole home is a link (/home/u -> /data/u): nothing changes.
        let c = ctx(&[("/home/u", "/data/u")]);
        let a = assess("filesystem", "write", "src/main.rs", &c);
        assert_eq!(a.risk.tier, Medium, "{:?}", a.risk.factors);
        assert!(a.segments.iter().any(|s| s.pattern.is_some()));
        assert_eq!(assess("filesystem", "read", "README.md", &c).risk.tier, Low);
        // …but the protected files are still found where they really are.
        let c = ctx(&[
            ("/home/u/.config", "/home/u/dotfiles/config"),
            (
                "/home/u/proj/x.toml",
                "/home/u/dotfiles/config/aiperture/policy.toml",
            ),
        ]);
        let a = assess("filesystem", "write", "x.toml", &c);
        assert_eq!(a.risk.tier, Critical, "{:?}", a.risk.factors);
    }

    #[test]
    fn pseudo_files_are_not_followed() {
        let c = ctx(&[("/dev/stdout", "/dev/pts/0")]);
        let t = |cmd: &str| assess("shell", "execute", cmd, &c).risk.tier;
        assert_eq!(t("echo x > /dev/stdout"), Low);
        assert_eq!(t("echo x > /dev/null"), Low);
    }
}
