//! `aiperture setup <runtime> --mcp` on temporary homes and projects: registers `aiperture
//! serve --mcp` in Claude Code's, Cursor's, Gemini CLI's and Codex's MCP configuration, merged
//! with what is there, backed up, idempotent, and removed again leaving the file as it was.

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

/// Each runtime, its file under the user's home and under the project, and what is already
/// in it (another server, other settings).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "claude-code",
        ".claude.json",
        ".mcp.json",
        "{\n  \"numStartups\": 7,\n  \"mcpServers\": {\n    \"github\": {\"type\": \"stdio\", \"command\": \"gh-mcp\", \"args\": []}\n  }\n}\n",
    ),
    (
        "cursor",
        ".cursor/mcp.json",
        ".cursor/mcp.json",
        "{\"mcpServers\": {\"docs\": {\"url\": \"http://localhost:9000/mcp\"}}}\n",
    ),
    (
        "gemini",
        ".gemini/settings.json",
        ".gemini/settings.json",
        "{\n  \"theme\": \"GitHub\",\n  \"hooks\": {}\n}\n",
    ),
    (
        "codex",
        ".codex/config.toml",
        ".codex/config.toml",
        "# mine\nmodel = \"o3\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\"\n",
    ),
];

/// The registered server's command and arguments in a configuration file.
fn registered(runtime: &str, text: &str) -> Option<(String, Vec<String>)> {
    let v: Value = if runtime == "codex" {
        let t: toml::Table = toml::from_str(text).ok()?;
        serde_json::to_value(t).ok()?
    } else {
        serde_json::from_str(text).ok()?
    };
    let key = if runtime == "codex" {
        "mcp_servers"
    } else {
        "mcpServers"
    };
    let s = v.get(key)?.get("aiperture")?;
    let args = s["args"]
        .as_array()?
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    Some((s["command"].as_str()?.to_string(), args))
}

#[test]
fn every_runtime_gets_the_server_merged_idempotent_and_reversible() {
    let exe = assert_cmd::cargo::cargo_bin("aiperture")
        .display()
        .to_string();
    for (runtime, user_rel, project_rel, other) in CASES {
        for scope in ["--user", "--project"] {
            let home = tempfile::tempdir().unwrap();
            let project = tempfile::tempdir().unwrap();
            let rel = if scope == "--user" {
                user_rel
            } else {
                project_rel
            };
            let base = if scope == "--user" {
                home.path()
            } else {
                project.path()
            };
            let file = base.join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, other).unwrap();
            let (ok, stdout, stderr) =
                setup(home.path(), project.path(), &[runtime, "--mcp", scope]);
            assert!(ok, "{runtime} {scope}: {stderr}");
            assert!(stdout.contains("MCP server installed in"), "{stdout}");
            let text = std::fs::read_to_string(&file).unwrap();
            assert_eq!(
                registered(runtime, &text),
                Some((exe.clone(), vec!["serve".into(), "--mcp".into()])),
                "{runtime} {scope}: {text}"
            );
            // What was there is still there.
            if *runtime == "codex" {
                assert!(text.starts_with(other), "{text}");
            } else {
                let before: Value = serde_json::from_str(other).unwrap();
                let after: Value = serde_json::from_str(&text).unwrap();
                for (k, v) in before.as_object().unwrap() {
                    if k == "mcpServers" {
                        for (name, server) in v.as_object().unwrap() {
                            assert_eq!(&after["mcpServers"][name], server, "{runtime}");
                        }
                    } else {
                        assert_eq!(&after[k], v, "{runtime}: {k}");
                    }
                }
            }
            assert_eq!(backups(file.parent().unwrap()), 1, "{runtime} {scope}");
            // Twice: nothing changes, no second backup.
            let (ok, stdout, _) = setup(home.path(), project.path(), &[runtime, "--mcp", scope]);
            assert!(ok && stdout.contains("nothing to install"), "{stdout}");
            assert_eq!(backups(file.parent().unwrap()), 1);
            // The hooks are another matter: --mcp did not install any.
            assert!(!text.contains(" hook "), "{text}");
            // Removed: the file is as it was.
            let (ok, _, stderr) = setup(
                home.path(),
                project.path(),
                &[runtime, "--mcp", scope, "--uninstall"],
            );
            assert!(ok, "{stderr}");
            let back = std::fs::read_to_string(&file).unwrap();
            if *runtime == "codex" {
                assert_eq!(back, *other);
            } else {
                let a: Value = serde_json::from_str(&back).unwrap();
                let b: Value = serde_json::from_str(other).unwrap();
                assert_eq!(a, b, "{runtime} {scope}");
            }
        }
    }
}

#[test]
fn a_fresh_file_is_created_and_removed_and_dry_run_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = setup(home.path(), home.path(), &["cursor", "--mcp", "--dry-run"]);
    assert!(
        ok && stdout.contains("would install aiperture's MCP server"),
        "{stdout}"
    );
    assert!(!home.path().join(".cursor/mcp.json").exists());
    let (ok, _, _) = setup(home.path(), home.path(), &["cursor", "--mcp"]);
    assert!(ok);
    assert!(home.path().join(".cursor/mcp.json").exists());
    let (ok, _, _) = setup(
        home.path(),
        home.path(),
        &["cursor", "--mcp", "--uninstall"],
    );
    assert!(ok);
    assert!(!home.path().join(".cursor/mcp.json").exists());
}

#[test]
fn refusals() {
    let home = tempfile::tempdir().unwrap();
    // Runtimes without an MCP configuration setup edits.
    for rt in ["copilot", "openclaw"] {
        let (ok, _, stderr) = setup(home.path(), home.path(), &[rt, "--mcp"]);
        assert!(!ok, "{rt}");
        assert!(stderr.contains("serve --mcp"), "{stderr}");
    }
    // Someone else's server named aiperture is left alone.
    let file = home.path().join(".gemini/settings.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let theirs = r#"{"mcpServers":{"aiperture":{"command":"npx","args":["-y","not-aiperture"]}}}"#;
    std::fs::write(&file, theirs).unwrap();
    let (ok, _, stderr) = setup(home.path(), home.path(), &["gemini", "--mcp"]);
    assert!(!ok && stderr.contains("not touching it"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);
    // Invalid TOML is not edited.
    let toml_file = home.path().join(".codex/config.toml");
    std::fs::create_dir_all(toml_file.parent().unwrap()).unwrap();
    std::fs::write(&toml_file, "model = [unclosed\n").unwrap();
    let (ok, _, stderr) = setup(home.path(), home.path(), &["codex", "--mcp"]);
    assert!(!ok && stderr.contains("not valid TOML"), "{stderr}");
}

/// `aiperture doctor --json`'s MCP entries: runtime → its line.
fn doctor_mcp(home: &Path, cwd: &Path) -> Vec<(String, String)> {
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["doctor", "--json"])
        .env("HOME", home)
        .env("AIPERTURE_HOME", home.join(".aiperture"))
        .env("AIPERTURE_DB_PATH", home.join("db.sqlite"))
        .current_dir(cwd)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["mcp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["runtime"].as_str().unwrap().to_string(),
                e["server"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn doctor_says_where_the_mcp_server_is_registered() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let before = doctor_mcp(home.path(), project.path());
    let names: Vec<&str> = before.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(names, ["claude-code", "cursor", "gemini", "codex"]);
    assert!(
        before.iter().all(|(_, s)| s.starts_with("not registered")),
        "{before:?}"
    );
    let (ok, _, err) = setup(home.path(), project.path(), &["claude-code", "--mcp"]);
    assert!(ok, "{err}");
    let after = doctor_mcp(home.path(), project.path());
    let claude = &after[0].1;
    assert!(
        claude.starts_with("registered in") && claude.ends_with(".claude.json"),
        "{claude}"
    );
    assert!(
        after[1..]
            .iter()
            .all(|(_, s)| s.starts_with("not registered"))
    );
    let (ok, _, err) = setup(
        home.path(),
        project.path(),
        &["claude-code", "--mcp", "--uninstall"],
    );
    assert!(ok, "{err}");
    assert!(
        doctor_mcp(home.path(), project.path())[0]
            .1
            .starts_with("not registered")
    );
}
