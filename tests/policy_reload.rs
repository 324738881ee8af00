//! A gate that lives across requests (a server) parses policy files once per version and
//! sees every change: a new deny rule applies on the next check, a removed one stops applying,
//! and a file that breaks fails closed until it is fixed.

use aiperture::clock::ManualClock;
use aiperture::config::Settings;
use aiperture::paths::Paths;
use aiperture::request::{Decision, Request};
use aiperture::store::LocalGate;
use std::sync::Arc;

fn request(session: &str) -> Request {
    Request {
        runtime: "cli".into(),
        event: "check".into(),
        session_id: session.into(),
        cwd: "/srv/p".into(),
        project: "/srv/p".into(),
        tool: "shell".into(),
        action: "execute".into(),
        scope: "ls -la".into(),
        ..Request::default()
    }
}

/// Writes `text` through a rename, as editors do (a new inode every time).
fn write(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn one_gate_sees_policy_edits_between_checks() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let paths = Paths::at(&home, &t.path().join("a.db"));
    let policy = home.join("policy.toml");
    let gate = LocalGate::open_with(
        paths,
        Settings::default(),
        Arc::new(ManualClock::new(1_800_000_000_000)),
    )
    .unwrap();
    let v = gate.check(&request("a")).unwrap();
    assert_eq!(v.decision, Decision::Allow, "{}", v.decided_by);

    write(
        &policy,
        "[[rule]]\ntool = \"shell\"\nscope = \"ls *\"\ndecision = \"deny\"\n",
    );
    let v = gate.check(&request("b")).unwrap();
    assert_eq!(v.decision, Decision::Deny, "{}", v.decided_by);
    assert_eq!(gate.check(&request("c")).unwrap().decision, Decision::Deny);

    write(
        &policy,
        "[[rule]]\ntool = \"shell\"\nscope = \"ls *\"\ndecision = \"deny\"\nnot toml",
    );
    let v = gate.check(&request("d")).unwrap();
    assert_eq!(
        (v.decision, v.decided_by.as_str()),
        (Decision::Ask, "policy_error")
    );

    std::fs::remove_file(&policy).unwrap();
    let v = gate.check(&request("e")).unwrap();
    assert_eq!(v.decision, Decision::Allow, "{}", v.decided_by);
}
