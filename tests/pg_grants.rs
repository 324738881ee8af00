//! Least privilege on the team store (docs/team.md): with the grants of
//! `src/store/postgres/least_privilege.sql`, the hooks' role checks tool calls as usual, the
//! database refuses its UPDATE, DELETE and TRUNCATE of audit rows, and an edit a superuser
//! makes anyway is caught by `aiperture audit verify`.

use aiperture::store::postgres::testing::{exec, fresh_database, server_url};
use assert_cmd::Command;

const GRANTS: &str = include_str!("../src/store/postgres/least_privilege.sql");

/// `url` logged in as `user` instead.
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

fn cli(dir: &std::path::Path, url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    Command::cargo_bin("aiperture")
        .unwrap()
        .env("AIPERTURE_HOME", dir.join("home"))
        .env("AIPERTURE_DB_PATH", dir.join("a.db"))
        .env("AIPERTURE_DB_URL", url)
        .env("HOME", dir)
        .env_remove("AIPERTURE_TEST_STORE")
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .unwrap()
}

#[test]
fn the_hook_role_cannot_rewrite_history_and_verify_catches_a_superuser_edit() {
    let Some(admin) = server_url("pg_grants") else {
        return;
    };
    let owner_url = fresh_database(&admin, "grants").unwrap();
    // Roles are the cluster's; the role may exist from an earlier run.
    let _ = exec(&admin, "CREATE ROLE aiperture_hook LOGIN");
    let t = tempfile::tempdir().unwrap();
    // The owner (here the superuser) creates the tables, then grants.
    let doctor = cli(t.path(), &owner_url, &["doctor"], "");
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains(&format!(
            "schema version {v} (this binary: {v})",
            v = aiperture::store::current_version()
        )),
        "{doctor:?}"
    );
    exec(&owner_url, GRANTS).unwrap();
    let hook_url = as_user(&owner_url, "aiperture_hook");

    // The hook role checks tool calls: the check is recorded and audited.
    let payload = serde_json::json!({
        "session_id": "g", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "rm -rf ~"}, "cwd": "/tmp", "tool_use_id": "t1",
    })
    .to_string();
    for _ in 0..2 {
        let out = cli(t.path(), &hook_url, &["hook", "claude-code"], &payload);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("\"permissionDecision\":\"deny\""),
            "{out:?}"
        );
    }
    let verify = cli(t.path(), &hook_url, &["audit", "verify", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(
        (v["intact"].as_bool(), v["events"].as_u64()),
        (Some(true), Some(2)),
        "{v}"
    );

    // The database refuses the hook role's rewrites of history.
    for sql in [
        "UPDATE audit_events SET summary = 'nothing happened' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "DELETE FROM audit_head",
    ] {
        let e = exec(&hook_url, sql).expect_err(sql);
        let db = e
            .downcast_ref::<postgres::Error>()
            .and_then(|e| e.as_db_error())
            .map(|d| d.code().code().to_string());
        assert_eq!(db.as_deref(), Some("42501"), "{sql}: {e:#}");
    }

    // A superuser can edit; verification names the event.
    exec(
        &owner_url,
        "UPDATE audit_events SET summary = 'ALLOW shell/execute' WHERE seq = 1",
    )
    .unwrap();
    let verify = cli(t.path(), &hook_url, &["audit", "verify", "--json"], "");
    assert_eq!(verify.status.code(), Some(1), "{verify:?}");
    let v: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(
        (v["intact"].as_bool(), v["first_bad_seq"].as_u64()),
        (Some(false), Some(1)),
        "{v}"
    );
}

#[test]
fn the_setup_guide_carries_the_grants_the_test_applies() {
    let guide = include_str!("../docs/team.md");
    for line in GRANTS
        .lines()
        .filter(|l| !l.starts_with("--") && !l.is_empty())
    {
        assert!(guide.contains(line), "docs/team.md lacks `{line}`");
    }
}
