//! One path, one reading: the payloads, the risk classifier, policy rules, grants and
//! presets read a request's path by the same rules (`aiperture::pathnorm`), so none of them
//! places a path where another does not. Each test is a disagreement there used to be.

mod admin_support;
#[path = "engine_support/mod.rs"]
mod support;

use admin_support::AdminCmd;

use aiperture::engine::matcher::ScopeMatcher;
use aiperture::engine::policy::{Policy, RuleSource};
use aiperture::engine::presets;
use aiperture::risk::Context;
use aiperture::risk::paths::{PathClass, canonicalize, classify};
use aiperture::runtimes::payload::resolve_path;
use support::{Env, T0};

fn ctx(cwd: &str) -> Context {
    Context {
        cwd: cwd.into(),
        project: "/p".into(),
        home: "/home/u".into(),
        ..Context::default()
    }
}

fn in_project(c: PathClass) -> bool {
    matches!(
        c,
        PathClass::Project
            | PathClass::ProjectRoot
            | PathClass::BuildOutput
            | PathClass::GitInternal
    )
}

/// A relative path with no absolute cwd (empty, or relative): whatever its reading from `/`,
/// no part of aiperture treats it as inside the project — not risk's classes, not a project
/// rule or grant, not a preset's project reads. (A payload, risk and the matcher each read it
/// from `/`; risk and the presets then placed `p/src/a.rs` in a project at `/p`.)
#[test]
fn no_absolute_cwd_is_inside_nothing_for_everyone() {
    let scope = "p/src/a.rs";
    let rule = ScopeMatcher::new("filesystem", "src/*", Some("/p"), "/home/u").unwrap();
    for cwd in ["", "p", "sub/dir"] {
        let c = ctx(cwd);
        let info = classify(scope, &c);
        assert!(!in_project(info.class), "cwd {cwd:?}: {:?}", info.class);
        assert_eq!(canonicalize(scope, &c), None, "cwd {cwd:?}");
        assert!(!rule.matches("filesystem", scope, cwd), "cwd {cwd:?}");
        assert_eq!(
            presets::allows("developer", "filesystem", "read", scope, "", cwd, "/p"),
            None,
            "cwd {cwd:?}"
        );
        // The payload's reading is the same place, read from `/` (a relative cwd is no cwd).
        assert_eq!(resolve_path(cwd, scope, Some("/home/u")), info.abs);
    }
    // With an absolute cwd everyone places it in the project.
    let c = ctx("/");
    assert!(in_project(classify(scope, &c).class));
    assert!(rule.matches("filesystem", scope, "/"));
    assert_eq!(
        presets::allows("developer", "filesystem", "read", scope, "", "/", "/p").as_deref(),
        Some("read")
    );
}

/// With no absolute cwd, policy rules split the way risk reads the path: deny and ask rules
/// catch it where risk places it (read from `/`: `etc/passwd` is `/etc/passwd`, a system
/// path for risk), and no allow rule covers it, even one whose glob that reading meets.
#[test]
fn no_absolute_cwd_is_caught_by_deny_rules_and_covered_by_no_allow_rule() {
    let mut p = Policy::default();
    p.add(
        "[[rule]]\ntool = \"filesystem\"\naction = \"*\"\nscope = \"/etc/*\"\ndecision = \"deny\"\n\n\
         [[rule]]\ntool = \"filesystem\"\naction = \"*\"\nscope = \"/p/src/*\"\ndecision = \"allow\"\n",
        "policy.toml",
        RuleSource::User,
        None,
        "/home/u",
    );
    assert!(p.error.is_none(), "{:?}", p.error);
    for cwd in ["", "rel"] {
        let c = ctx(cwd);
        assert_eq!(classify("etc/passwd", &c).class, PathClass::System);
        let h = p.hits("filesystem", "read", "etc/passwd", "", cwd);
        assert!(h.deny.is_some(), "cwd {cwd:?}");
        let h = p.hits("filesystem", "read", "p/src/a.rs", "", cwd);
        assert!(h.allow.is_none(), "cwd {cwd:?}");
        assert!(!in_project(classify("p/src/a.rs", &c).class));
    }
    // Anchored, both apply.
    assert!(
        p.hits("filesystem", "read", "../etc/passwd", "", "/p")
            .deny
            .is_some()
    );
    assert!(
        p.hits("filesystem", "read", "src/a.rs", "", "/p")
            .allow
            .is_some()
    );
}

/// A `~` path is the home directory for risk and the payloads; the matcher joined it to the
/// cwd (`/p/~/.ssh/id_rsa`), so a deny rule on `~/.ssh/*` missed it, and a preset counted it
/// as a project file.
#[test]
fn a_home_path_is_the_home_for_rules_and_risk() {
    let c = ctx("/p");
    let scope = "~/.ssh/id_rsa";
    let info = classify(scope, &c);
    assert_eq!(info.abs, "/home/u/.ssh/id_rsa");
    assert_eq!(resolve_path("/p", scope, Some("/home/u")), info.abs);
    let deny = ScopeMatcher::new("filesystem", "~/.ssh/*", None, "/home/u").unwrap();
    assert!(deny.matches("filesystem", scope, "/p"));
    // A project rule no longer covers a home file (`/p/~/notes.md` matched `/p/**/*.md`).
    let src = ScopeMatcher::new("filesystem", "**/*.md", Some("/p"), "/home/u").unwrap();
    assert!(!src.matches("filesystem", "~/notes.md", "/p"));
    assert_eq!(
        presets::allows(
            "developer",
            "filesystem",
            "read",
            "~/notes.md",
            "",
            "/p",
            "/p"
        ),
        None
    );
}

/// End to end: a user's deny rule on `~/notes/*` decides a check that names `~/notes/…`.
#[test]
fn a_deny_rule_on_a_home_path_decides_a_tilde_scope() {
    let env = Env::new();
    std::fs::write(
        env.home.join("policy.toml"),
        "[[rule]]\ntool = \"filesystem\"\naction = \"read\"\nscope = \"~/notes/*\"\n\
         decision = \"deny\"\nreason = \"notes stay private\"\n",
    )
    .unwrap();
    let input = serde_json::json!({
        "tool": "filesystem",
        "action": "read",
        "scope": "~/notes/todo.txt",
        "cwd": env.project_str(),
    });
    let out = env
        .cmd(T0)
        .args(["check", "--json", "--dry-run"])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), v["decided_by"].as_str()),
        (Some(2), Some("rule:user:1")),
        "{v}"
    );
}

/// End to end: with an empty cwd, a relative read whose reading from `/` lands in the given
/// project is not a project read (the read baseline allowed it).
#[test]
fn an_empty_cwd_is_no_project_read_end_to_end() {
    let env = Env::new();
    let project = env.project_str();
    let scope = format!("{}/src/a.rs", project.trim_start_matches('/'));
    let check = |cwd: &str, scope: &str| {
        let input = serde_json::json!({
            "tool": "filesystem",
            "action": "read",
            "scope": scope,
            "cwd": cwd,
            "project": project,
        });
        let out = env
            .cmd(T0)
            .args(["check", "--json", "--dry-run"])
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    // The same file named from the project is a project read.
    let (code, v) = check(&project, "src/a.rs");
    assert_eq!(
        (code, v["decided_by"].as_str()),
        (Some(0), Some("baseline:project-read")),
        "{v}"
    );
    let (code, v) = check("", &scope);
    assert_ne!(code, Some(0), "{v}");
    assert_ne!(
        v["decided_by"].as_str(),
        Some("baseline:project-read"),
        "{v}"
    );
}

/// End to end: a task grant reads `~` as the home, as risk and policy rules do (grants were
/// compiled with no home, so `~/notes/*` meant `/notes/*` and denied nothing).
#[test]
fn a_deny_grant_on_a_home_path_denies_it() {
    let env = Env::new();
    env.cmd(T0)
        .admin(
            &env.home,
            &[
                "grant",
                "--tool",
                "filesystem",
                "--action",
                "read",
                "--scope",
                "~/notes/*",
                "--deny",
            ],
        )
        .assert()
        .success();
    // `HOME` is the installation's directory (see `Env::cmd`).
    let home = env.dir.path().display().to_string();
    for scope in [
        "~/notes/todo.txt".to_string(),
        format!("{home}/notes/todo.txt"),
    ] {
        let input = serde_json::json!({
            "tool": "filesystem",
            "action": "read",
            "scope": scope,
            "cwd": env.project_str(),
        });
        let out = env
            .cmd(T0 + 1)
            .args(["check", "--json", "--dry-run"])
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["decision"], "deny", "{scope}: {v}");
        assert!(
            v["decided_by"].as_str().unwrap_or("").starts_with("grant:"),
            "{scope}: {v}"
        );
    }
}
