//! A command longer than the parser reads (64 KiB) is judged whole (HIGH "too long") but
//! stored as its first characters and the SHA-256 of the whole: an 8 MiB command used to add
//! 33 MB to the store per hook call, written twice.

use assert_cmd::Command;
use serde_json::json;

fn hook(dir: &std::path::Path, command: &str, id: &str) -> String {
    let payload = json!({
        "session_id": "s", "cwd": "/tmp", "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id
    });
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["hook", "claude-code"])
        .env("AIPERTURE_HOME", dir)
        .env("AIPERTURE_DB_PATH", dir.join("db"))
        .env("HOME", dir)
        .write_stdin(payload.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_huge_command_is_asked_and_stored_shortened() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("echo {}", "A".repeat(4 * 1024 * 1024));
    let out = hook(dir.path(), &big, "t1");
    assert!(out.contains("\"permissionDecision\":\"ask\""), "{out}");
    // Two different huge commands with the same beginning are two keys, not one.
    let other = format!("echo {}B", "A".repeat(4 * 1024 * 1024));
    hook(dir.path(), &other, "t2");
    let size = std::fs::metadata(dir.path().join("db")).unwrap().len()
        + std::fs::metadata(dir.path().join("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    assert!(size < 2 * 1024 * 1024, "store grew to {size} bytes");
    let list = Command::cargo_bin("aiperture")
        .unwrap()
        .args(["audit", "export"])
        .env("AIPERTURE_HOME", dir.path())
        .env("AIPERTURE_DB_PATH", dir.path().join("db"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    // Each check's event names the scope shortened, with a different hash.
    let hashes: std::collections::BTreeSet<&str> = list
        .match_indices("sha256:")
        .map(|(i, _)| &list[i..i + 71])
        .collect();
    assert_eq!(hashes.len(), 2, "{}", &list[..list.len().min(2000)]);
    assert!(
        list.len() < 64 * 1024,
        "the export holds the whole commands"
    );
}
