//! Events the gate has no opinion on never touch the store: no database is opened or created,
//! and the answer is the runtime's no-opinion form.

use assert_cmd::Command;

#[test]
fn no_opinion_events_do_not_open_the_store() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("db.sqlite");
    for (runtime, payload) in [
        (
            "claude-code",
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"Notification","message":"hi"}"#,
        ),
        (
            "claude-code",
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"UserPromptSubmit","prompt":"hi"}"#,
        ),
        (
            "gemini",
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"BeforeModel"}"#,
        ),
        (
            "codex",
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"UserPromptSubmit","prompt":"x"}"#,
        ),
    ] {
        let out = Command::cargo_bin("aiperture")
            .unwrap()
            .args(["hook", runtime])
            .env("AIPERTURE_HOME", home.path())
            .env("AIPERTURE_DB_PATH", &db)
            .write_stdin(payload)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{runtime}: {payload}");
        assert!(out.stdout.is_empty(), "{runtime}: {payload}");
        assert!(!db.exists(), "{runtime}: {payload} opened the store");
    }
}
