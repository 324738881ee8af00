//! Issue 21, classes 3, 8 and 11, run through the binary on real files: symbolic links
//! judged where they land, secret files the classifier now knows, files a project runs
//! later, and runtime-settings/config writes that follow links, keep modes and lock.
//!
//! Everything lives under `CARGO_TARGET_TMPDIR` (not `/tmp`, which the classifier rates as
//! a temporary directory: a fake home there would not look like a home).

mod admin_support;

use admin_support::AdminCmd;
use assert_cmd::Command;
use serde_json::Value;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// A user home with a project (`.git`), aiperture's home inside `~/.config/aiperture`.
struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let home = root.join("home");
        let project = home.join("proj");
        for d in [
            project.join(".git"),
            home.join(".ssh"),
            home.join(".config/aiperture"),
            home.join("Documents"),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(home.join(".ssh/id_rsa"), "KEY").unwrap();
        std::fs::write(home.join("Documents/plan.txt"), "plan").unwrap();
        std::fs::write(project.join("README.md"), "# readme").unwrap();
        let w = World {
            _dir: dir,
            home,
            project,
        };
        w.ok(&["bootstrap", "developer"]);
        w
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("AIPERTURE_") {
                c.env_remove(&k);
            }
        }
        c.env("HOME", &self.home)
            .env("AIPERTURE_HOME", self.home.join(".config/aiperture"))
            .env("AIPERTURE_DB_PATH", self.home.join(".local/aiperture.db"))
            .current_dir(&self.project);
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let aihome = self.home.join(".config/aiperture");
        let out = self.cmd().admin(&aihome, args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `aiperture check --json` of one request: (decision, tier, factors).
    fn check(&self, tool: &str, action: &str, scope: &str) -> (String, String, String) {
        let req = serde_json::json!({
            "tool": tool, "action": action, "scope": scope,
            "cwd": self.project, "project": self.project,
        });
        let out = self
            .cmd()
            .args(["check", "--json"])
            .write_stdin(req.to_string())
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{scope}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        (
            v["decision"].as_str().unwrap_or("").to_string(),
            v["risk"]["tier"].as_str().unwrap_or("").to_string(),
            v["risk"]["factors"].to_string(),
        )
    }

    /// `aiperture explain --json` of a request: (tier, patterns of its segments).
    fn explain(&self, tool: &str, action: &str, scope: &str) -> (String, Vec<Value>) {
        let out = self.ok(&[
            "explain", "--json", "--tool", tool, "--action", action, scope,
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let tier = v["risk"]["tier"]
            .as_str()
            .or(v["tier"].as_str())
            .unwrap_or("")
            .to_string();
        let pats = v["segments"]
            .as_array()
            .map(|s| s.iter().map(|x| x["pattern"].clone()).collect())
            .unwrap_or_default();
        (tier, pats)
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn class3_a_link_to_a_secret_is_not_a_project_read() {
    let w = World::new();
    symlink(w.home.join(".ssh/id_rsa"), w.project.join("notes.txt")).unwrap();
    symlink(w.home.join(".ssh"), w.project.join("keys")).unwrap();
    // Control: an ordinary project read is allowed by the preset.
    let (d, ..) = w.check("filesystem", "read", &s(&w.project.join("README.md")));
    assert_eq!(d, "allow");
    for p in ["notes.txt", "keys/id_rsa"] {
        let (d, tier, f) = w.check("filesystem", "read", &s(&w.project.join(p)));
        assert_ne!(d, "allow", "{p}: {f}");
        assert!(tier == "high" || tier == "critical", "{p}: {tier} {f}");
    }
    for cmd in ["cat notes.txt", "base64 notes.txt", "cp notes.txt /tmp/x"] {
        let (d, tier, f) = w.check("shell", "execute", cmd);
        assert_ne!(d, "allow", "{cmd}: {f}");
        assert_eq!(tier, "high", "{cmd}: {f}");
    }
    // Everyday commands stay allowed.
    for cmd in ["git status", "cat README.md", "ls", "npm test"] {
        let (d, _, f) = w.check("shell", "execute", cmd);
        assert_eq!(d, "allow", "{cmd}: {f}");
    }
}

#[test]
fn class3_writing_through_a_link_to_a_protected_file_is_denied() {
    let w = World::new();
    let policy = w.home.join(".config/aiperture/policy.toml");
    symlink(&policy, w.project.join("rustfmt.toml")).unwrap();
    let (d, tier, f) = w.check("filesystem", "write", &s(&w.project.join("rustfmt.toml")));
    assert_eq!((d.as_str(), tier.as_str()), ("deny", "critical"), "{f}");
    for cmd in [
        "echo 'allow = [\"*\"]' > rustfmt.toml",
        "cp /tmp/x rustfmt.toml",
        "tee -a rustfmt.toml",
    ] {
        let (d, tier, f) = w.check("shell", "execute", cmd);
        assert_eq!(
            (d.as_str(), tier.as_str()),
            ("deny", "critical"),
            "{cmd}: {f}"
        );
    }
    // A new file under a linked directory is judged where it will land.
    symlink(w.home.join(".config/aiperture"), w.project.join("conf")).unwrap();
    let (d, ..) = w.check("filesystem", "write", &s(&w.project.join("conf/new.toml")));
    assert_eq!(d, "deny");
    // A plain .toml write in the project is still an ordinary project write.
    let (_, tier, f) = w.check("filesystem", "write", &s(&w.project.join("Cargo.toml")));
    assert_eq!(tier, "medium", "{f}");
}

#[test]
fn class3_a_link_leaving_the_project_is_no_preset_read_and_never_learned() {
    let w = World::new();
    symlink(
        w.home.join("Documents/plan.txt"),
        w.project.join("plan.txt"),
    )
    .unwrap();
    let (d, tier, f) = w.check("filesystem", "read", &s(&w.project.join("plan.txt")));
    assert_ne!(d, "allow", "{f}");
    assert_eq!(tier, "medium", "{f}");
    assert!(f.contains("symlink_escape"), "{f}");
    let (_, pats) = w.explain("filesystem", "write", &s(&w.project.join("plan.txt")));
    assert!(
        !pats.is_empty() && pats.iter().all(Value::is_null),
        "{pats:?}"
    );
    // Control: an ordinary project file of the same kind is learnable.
    let (_, pats) = w.explain("filesystem", "write", &s(&w.project.join("todo.txt")));
    assert!(pats.iter().any(Value::is_string), "{pats:?}");
}

#[test]
fn class8_secret_files_and_secret_hunts_are_high() {
    let w = World::new();
    for p in [
        "~/.claude/.credentials.json",
        "~/.config/gh/hosts.yml",
        "~/.gemini/oauth_creds.json",
        "~/.cargo/credentials.toml",
        "~/.config/github-copilot/apps.json",
        "~/.terraform.d/credentials.tfrc.json",
        "~/.huggingface/token",
        "~/.bash_history",
        "~/.zsh_history",
        "~/.local/share/fish/fish_history",
        "~/.python_history",
        "~/.psql_history",
        "~/.node_repl_history",
        "~/.docker/config.json",
        "~/.kube/config",
        "/proc/self/environ",
    ] {
        let path = p.replacen('~', &s(&w.home), 1);
        let (d, tier, f) = w.check("filesystem", "read", &path);
        assert_ne!(d, "allow", "{p}: {f}");
        assert_eq!(tier, "high", "{p}: {f}");
        let (d, tier, f) = w.check("shell", "execute", &format!("cat {p}"));
        assert_ne!(d, "allow", "cat {p}: {f}");
        assert_eq!(tier, "high", "cat {p}: {f}");
    }
    for cmd in [
        "grep -r TOKEN ~",
        "rg -i password ~",
        "base64 ~/.aws/credentials",
        "xxd ~/.config/gh/hosts.yml",
        "tar czf /tmp/a.tgz ~/.cargo/credentials.toml",
        "gzip -c < ~/.netrc",
        "cat /proc/1/environ",
    ] {
        let (d, tier, f) = w.check("shell", "execute", cmd);
        assert_ne!(d, "allow", "{cmd}: {f}");
        assert_eq!(tier, "high", "{cmd}: {f}");
    }
}

#[test]
fn class11_writes_to_files_run_later_are_high_and_never_generalized() {
    let w = World::new();
    for p in [
        ".husky/pre-commit",
        ".envrc",
        ".mcp.json",
        ".vscode/tasks.json",
        ".vscode/settings.json",
        ".claude/commands/ship.md",
        ".git/hooks/pre-commit",
        ".githooks/pre-push",
        ".pre-commit-config.yaml",
        ".devcontainer/devcontainer.json",
        ".github/workflows/ci.yml",
        ".cursor/mcp.json",
    ] {
        let path = s(&w.project.join(p));
        let (d, tier, f) = w.check("filesystem", "write", &path);
        assert_ne!(d, "allow", "{p}: {f}");
        assert_eq!(tier, "high", "{p}: {f}");
        assert!(f.contains("runs_later"), "{p}: {f}");
        let (_, pats) = w.explain("filesystem", "write", &path);
        assert!(
            !pats.is_empty() && pats.iter().all(Value::is_null),
            "{p}: {pats:?}"
        );
        for cmd in [
            format!("echo x > {p}"),
            format!("cp /tmp/x {p}"),
            format!("tee {p}"),
            format!("sed -i s/a/b/ {p}"),
        ] {
            let (d, tier, f) = w.check("shell", "execute", &cmd);
            assert_ne!(d, "allow", "{cmd}: {f}");
            assert!(tier == "high" || tier == "critical", "{cmd}: {tier} {f}");
        }
    }
}

fn setup(w: &World, args: &[&str]) {
    let out = w.cmd().arg("setup").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "setup {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn class11_setup_writes_through_a_linked_settings_file_keeping_its_mode() {
    let w = World::new();
    let dotfiles = w.home.join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("claude-settings.json");
    std::fs::write(&real, "{\n  \"model\": \"opus\"\n}\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::create_dir_all(w.home.join(".claude")).unwrap();
    let link = w.home.join(".claude/settings.json");
    symlink(&real, &link).unwrap();
    setup(&w, &["claude-code", "--user"]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the settings link was replaced by a file"
    );
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        text.contains("hook claude-code") && text.contains("opus"),
        "{text}"
    );
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&dotfiles)
        .unwrap()
        .chain(std::fs::read_dir(w.home.join(".claude")).unwrap())
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("aiperture-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Uninstall keeps the link too, and the user's own settings.
    setup(&w, &["claude-code", "--user", "--uninstall"]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        !text.contains("hook claude-code") && text.contains("opus"),
        "{text}"
    );
}

#[test]
fn class11_concurrent_config_sets_all_land() {
    let w = World::new();
    let sets = [
        ("rate_limit_per_minute", "321"),
        ("pattern_max_age_days", "77"),
        ("rapid_approval_window_seconds", "42"),
        ("rapid_approval_min_count", "7"),
        ("challenge_ttl_seconds", "123"),
        ("budget_idle_reset_minutes", "17"),
        ("api_port", "8123"),
        ("log_level", "error"),
    ];
    for _round in 0..3 {
        let children: Vec<_> = sets
            .iter()
            .map(|(k, v)| {
                let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("aiperture"));
                for (name, _) in std::env::vars() {
                    if name.starts_with("AIPERTURE_") {
                        c.env_remove(&name);
                    }
                }
                c.env("HOME", &w.home)
                    .env("AIPERTURE_HOME", w.home.join(".config/aiperture"))
                    .env("AIPERTURE_DB_PATH", w.home.join(".local/aiperture.db"))
                    .admin(&w.home.join(".config/aiperture"), &["config", "set", k, v])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(w.home.join(".config/aiperture/config.toml")).unwrap();
        for (k, v) in sets {
            assert!(
                text.lines().any(|l| l.starts_with(k) && l.contains(v)),
                "{k} = {v} lost:\n{text}"
            );
        }
        std::fs::remove_file(w.home.join(".config/aiperture/config.toml")).unwrap();
    }
}
