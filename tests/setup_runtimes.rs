//! `aiperture setup` on temporary homes and projects: merges with what is there, keeps a
//! backup, is idempotent, uninstalls only its own entries, and `--dry-run` writes nothing.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn setup(home: &Path, cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .arg("setup")
        .args(args)
        .env("HOME", home)
        .env("AIPERTURE_HOME", home.join(".aiperture"))
        .env("AIPERTURE_DB_PATH", home.join("db.sqlite"))
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn backups(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".aiperture-backup-")
        })
        .count()
}

const OTHER: &str = r#"{
  "model": "opus",
  "permissions": {"deny": ["Read(./.env)"]},
  "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}]}
}"#;

#[test]
fn claude_code_user_settings_merge_backup_idempotence_uninstall() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    let settings = dir.join("settings.json");
    std::fs::write(&settings, OTHER).unwrap();

    let (ok, stdout, stderr) = setup(home.path(), home.path(), &["claude-code"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("installed in"), "{stdout}");
    assert_eq!(backups(&dir), 1);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v["model"], "opus");
    assert_eq!(v["permissions"]["deny"][0], "Read(./.env)");
    let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0]["hooks"][0]["command"], "my-guard");
    let ours = pre[1]["hooks"][0]["command"].as_str().unwrap();
    assert!(
        ours.ends_with(" hook claude-code") && ours.starts_with('/'),
        "{ours}"
    );
    for event in [
        "PermissionRequest",
        "PostToolUse",
        "PostToolUseFailure",
        "PermissionDenied",
        "SessionStart",
        "Stop",
        "SessionEnd",
    ] {
        assert!(v["hooks"][event].is_array(), "{event}");
    }

    // Twice: nothing added, no new backup.
    let installed = std::fs::read_to_string(&settings).unwrap();
    let (ok, stdout, _) = setup(home.path(), home.path(), &["claude-code", "--user"]);
    assert!(ok && stdout.contains("nothing to install"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), installed);
    assert_eq!(backups(&dir), 1);

    // Uninstall: only ours go.
    let (ok, _, stderr) = setup(home.path(), home.path(), &["claude-code", "--uninstall"]);
    assert!(ok, "{stderr}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    let original: Value = serde_json::from_str(OTHER).unwrap();
    assert_eq!(v, original);
    assert_eq!(backups(&dir), 2);
}

#[test]
fn dry_run_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = setup(home.path(), home.path(), &["gemini", "--dry-run"]);
    assert!(ok);
    assert!(stdout.contains("would install"), "{stdout}");
    assert!(stdout.contains("hook gemini"), "{stdout}");
    assert!(!home.path().join(".gemini").exists());
}

#[test]
fn project_scope_and_every_runtime() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    for (rt, file) in [
        ("claude-code", ".claude/settings.json"),
        ("cursor", ".cursor/hooks.json"),
        ("gemini", ".gemini/settings.json"),
        ("codex", ".codex/hooks.json"),
        ("copilot", ".github/hooks/aiperture.json"),
    ] {
        let (ok, _, stderr) = setup(home.path(), project.path(), &[rt, "--project"]);
        assert!(ok, "{rt}: {stderr}");
        let text = std::fs::read_to_string(project.path().join(file)).unwrap();
        assert!(text.contains(&format!(" hook {rt}")), "{rt}: {text}");
        let (ok, _, _) = setup(
            home.path(),
            project.path(),
            &[rt, "--project", "--uninstall"],
        );
        assert!(ok);
        let left = std::fs::read_to_string(project.path().join(file)).unwrap_or_default();
        assert!(!left.contains(" hook "), "{rt}: {left}");
    }
    assert!(!home.path().join(".claude").exists());
}

#[test]
fn refusals() {
    let home = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = setup(home.path(), home.path(), &["copilot", "--user"]);
    assert!(!ok && stderr.contains("--project"), "{stderr}");
    let (ok, _, _) = setup(home.path(), home.path(), &["windsurf"]);
    assert!(!ok);
    let dir = home.path().join(".codex");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hooks.json"), "{ broken").unwrap();
    let (ok, _, stderr) = setup(home.path(), home.path(), &["codex"]);
    assert!(!ok && stderr.contains("not valid JSON"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("hooks.json")).unwrap(),
        "{ broken"
    );
    let (ok, stdout, _) = setup(home.path(), home.path(), &["openclaw"]);
    assert!(ok && stdout.contains("plugin"), "{stdout}");
}

#[test]
fn doctor_reports_which_runtimes_are_wired() {
    let home = tempfile::tempdir().unwrap();
    let (ok, _, _) = setup(home.path(), home.path(), &["gemini"]);
    assert!(ok);
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .arg("doctor")
        .env("HOME", home.path())
        .env("AIPERTURE_HOME", home.path().join(".aiperture"))
        .env("AIPERTURE_DB_PATH", home.path().join("db.sqlite"))
        .current_dir(home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = |rt: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("hook {rt} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("gemini").contains("installed in") && !line("gemini").contains("not installed"),
        "{stdout}"
    );
    assert!(line("cursor").contains("not installed"), "{stdout}");
}

#[test]
fn ready_made_configs_match_what_setup_writes() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let exe = assert_cmd::cargo::cargo_bin("aiperture");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (rt, file, shipped) in [
        (
            "claude-code",
            ".claude/settings.json",
            "hooks/claude-code/settings.json",
        ),
        ("cursor", ".cursor/hooks.json", "hooks/cursor/hooks.json"),
        (
            "gemini",
            ".gemini/settings.json",
            "hooks/gemini/settings.json",
        ),
        ("codex", ".codex/hooks.json", "hooks/codex/hooks.json"),
        (
            "copilot",
            ".github/hooks/aiperture.json",
            "hooks/copilot/aiperture.json",
        ),
    ] {
        let (ok, _, _) = setup(home.path(), project.path(), &[rt, "--project"]);
        assert!(ok);
        let written = std::fs::read_to_string(project.path().join(file))
            .unwrap()
            .replace(&exe.to_string_lossy().to_string(), "aiperture");
        let shipped = std::fs::read_to_string(repo.join(shipped)).unwrap();
        assert_eq!(
            written, shipped,
            "{rt}: hooks/ is out of date with `aiperture setup`"
        );
    }
}

/// The user's file as they wrote it: keys not sorted, 4-space indent.
const UNSORTED: &str = r#"{
    "model": "opus",
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {
                        "type": "command",
                        "command": "my-guard"
                    }
                ]
            }
        ]
    },
    "env": {
        "ZED": "1",
        "ALPHA": "2"
    }
}
"#;

#[test]
fn setup_keeps_the_users_key_order_and_indent_with_one_backup_per_change() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    let settings = dir.join("settings.json");
    std::fs::write(&settings, UNSORTED).unwrap();

    let (ok, _, stderr) = setup(home.path(), home.path(), &["claude-code"]);
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(&settings).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    // Their order: model, hooks, env; ZED before ALPHA; their hook first, ours after.
    assert!(
        at("\"model\"") < at("\"hooks\"") && at("\"hooks\"") < at("\"env\""),
        "{text}"
    );
    assert!(at("\"ZED\"") < at("\"ALPHA\""), "{text}");
    assert!(at("\"matcher\": \"Bash\"") < at("\"hooks\": [\n"), "{text}");
    assert!(at("my-guard") < at(" hook claude-code"), "{text}");
    // Their indent.
    assert!(text.starts_with("{\n    \"model\": \"opus\",\n"), "{text}");
    assert_eq!(backups(&dir), 1);

    // Nothing to change: no write, no new backup.
    let (ok, _, _) = setup(home.path(), home.path(), &["claude-code"]);
    assert!(ok);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), text);
    assert_eq!(backups(&dir), 1);

    // Uninstall gives back the file as they wrote it, byte for byte, with one more backup.
    let (ok, _, stderr) = setup(home.path(), home.path(), &["claude-code", "--uninstall"]);
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), UNSORTED);
    assert_eq!(backups(&dir), 2);
    let (ok, _, _) = setup(home.path(), home.path(), &["claude-code", "--uninstall"]);
    assert!(ok);
    assert_eq!(backups(&dir), 2);
}

/// Every hook command in a Claude Code settings file.
fn claude_commands(settings: &Path) -> Vec<String> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(settings).unwrap()).unwrap();
    let mut out = Vec::new();
    for groups in v["hooks"].as_object().unwrap().values() {
        for g in groups.as_array().unwrap() {
            for h in g["hooks"].as_array().unwrap() {
                out.push(h["command"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

#[test]
fn warm_wires_the_small_client_in_place_of_the_hook_and_back() {
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join(".claude/settings.json");
    let (ok, _, stderr) = setup(home.path(), home.path(), &["claude-code"]);
    assert!(ok, "{stderr}");
    let plain = claude_commands(&settings);
    assert_eq!(plain.len(), 8);
    assert!(
        plain
            .iter()
            .all(|c| c.contains("/aiperture' hook claude-code")
                || c.ends_with("/aiperture hook claude-code")),
        "{plain:?}"
    );

    // --warm replaces each of our entries in place: same events, the client's command.
    let (ok, stdout, stderr) = setup(home.path(), home.path(), &["claude-code", "--warm"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("aiperture serve"), "{stdout}");
    let warm = claude_commands(&settings);
    assert_eq!(warm.len(), 8);
    assert!(
        warm.iter()
            .all(|c| c.contains("aiperture-warm") && c.ends_with(" hook claude-code")),
        "{warm:?}"
    );
    // The command runs: the client exists where setup pointed.
    let program = warm[0]
        .trim_end_matches(" hook claude-code")
        .trim_matches('\'');
    assert!(Path::new(program).is_file(), "{program}");
    // Installing again changes nothing; without --warm it goes back; uninstall removes it.
    let (_, stdout, _) = setup(home.path(), home.path(), &["claude-code", "--warm"]);
    assert!(stdout.contains("nothing to install"), "{stdout}");
    let (ok, _, _) = setup(
        home.path(),
        home.path(),
        &["claude-code", "--warm", "--uninstall"],
    );
    assert!(ok);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap_or("{}".into()))
        .unwrap_or(Value::Null);
    assert!(
        v.get("hooks")
            .is_none_or(|h| h.as_object().is_none_or(|o| o.is_empty())),
        "{v}"
    );
    // --warm with --mcp, or for openclaw (its plugin holds the command), is refused.
    assert!(
        !setup(
            home.path(),
            home.path(),
            &["claude-code", "--warm", "--mcp"]
        )
        .0
    );
    let (ok, _, stderr) = setup(home.path(), home.path(), &["openclaw", "--warm"]);
    assert!(!ok && stderr.contains("plugin"), "{stderr}");
}
