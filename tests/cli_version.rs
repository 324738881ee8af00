//! Issue 23: build information in `aiperture --version` (version, git commit when the build
//! was told it, target, profile); `-V` stays the one-line version.

use assert_cmd::Command;

fn run(arg: &str) -> String {
    let out = Command::cargo_bin("aiperture")
        .unwrap()
        .arg(arg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn long_version_names_commit_target_and_profile() {
    let text = run("--version");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], format!("aiperture {}", env!("CARGO_PKG_VERSION")));
    let commit = lines[1].strip_prefix("commit: ").expect(&text);
    let target = lines[2].strip_prefix("target: ").expect(&text);
    let profile = lines[3].strip_prefix("profile: ").expect(&text);
    assert!(target.starts_with(std::env::consts::ARCH), "{target}");
    assert!(target.contains(std::env::consts::OS), "{target}");
    let expected = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    assert_eq!(profile, expected);
    // The commit is what the build was given (scripts/install passes the checkout's HEAD);
    // this test was compiled in the same build, with the same environment.
    match option_env!("AIPERTURE_GIT_COMMIT").map(str::trim) {
        Some(c) if !c.is_empty() => {
            assert!(
                !commit.is_empty() && c.starts_with(commit),
                "{commit} vs {c}"
            )
        }
        _ => assert_eq!(commit, "unknown"),
    }
}

#[test]
fn short_version_is_one_line() {
    assert_eq!(
        run("-V"),
        format!("aiperture {}\n", env!("CARGO_PKG_VERSION"))
    );
}
