//! `AIPERTURE_HOME` without `AIPERTURE_DB_PATH` checks a home's key against the default store:
//! when another home's key signed that store's chain, every check fails closed, and `doctor`
//! says why and what to set.

use assert_cmd::Command;

fn aiperture(data: &std::path::Path, home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("aiperture").unwrap();
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data.join("user"))
        .env("XDG_DATA_HOME", data.join("share"))
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("AIPERTURE_HOME", home);
    c
}

const PAYLOAD: &str = r#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"cwd":"/tmp","tool_use_id":"t1"}"#;

#[test]
fn a_second_home_on_the_default_store_is_explained() {
    let t = tempfile::tempdir().unwrap();
    let first = t.path().join("first");
    let second = t.path().join("second");
    // The first home signs the default store's chain.
    aiperture(t.path(), &first)
        .args(["hook", "claude-code"])
        .write_stdin(PAYLOAD)
        .assert()
        .success();
    // A second home (a new key) on the same default store: the hook fails closed ...
    let out = aiperture(t.path(), &second)
        .args(["hook", "claude-code"])
        .write_stdin(PAYLOAD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"ask\"") && stdout.contains("does not verify"),
        "{stdout}"
    );
    // ... and doctor names the cause and the setting.
    let out = aiperture(t.path(), &second).arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("AIPERTURE_HOME is set but AIPERTURE_DB_PATH is not")
            && text.contains("share/aiperture/aiperture.db"),
        "{text}"
    );
    // With its own store the second home is healthy, and says nothing of it.
    let out = aiperture(t.path(), &second)
        .env("AIPERTURE_DB_PATH", t.path().join("second.db"))
        .arg("doctor")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("AIPERTURE_DB_PATH is not"), "{text}");
}
