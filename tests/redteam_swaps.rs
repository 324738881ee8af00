//! Red team, end to end (issues 17 and 21, classes 1, 2 and 4): after ten approvals of a
//! harmless form, or with the developer preset on and no approval at all, a command that
//! swaps the code that runs — an option, an environment variable (also set on a wrapper), a
//! program named by its path — is never allowed without a human.

#[path = "engine_support/mod.rs"]
mod support;

use aiperture::request::Decision;
use support::{Env, T0};

fn not_allowed(env: &Env, t: i64, cmd: &str) {
    let (code, v) = env.check(t, "agent", cmd);
    assert_ne!(code, 0, "{cmd}: {v}");
    assert_ne!(v["decision"], "allow", "{cmd}: {v}");
}

fn allowed(env: &Env, t: i64, cmd: &str) {
    let (code, v) = env.check(t, "agent", cmd);
    assert_eq!(
        (code, v["decision"].as_str()),
        (0, Some("allow")),
        "{cmd}: {v}"
    );
}

#[test]
fn learned_patterns_do_not_absorb_code_swapping_options() {
    let env = Env::new();
    let mut t = T0;
    for cmd in [
        "make",
        "npm test",
        "cargo test",
        "pytest",
        "go test ./...",
        "git status",
    ] {
        t = env.decide_n(t, 10, cmd, Decision::Allow);
    }
    // The learned forms, with ordinary options, still run without a prompt.
    for ok in [
        "make",
        "make -j4",
        "npm test -- --runInBand",
        "cargo test --release",
        "pytest -x -q",
        "git status --short",
    ] {
        allowed(&env, t, ok);
    }
    for evil in [
        "make -f /tmp/x.mk",
        "make -sf /tmp/x.mk",
        "make SHELL=/tmp/x",
        "npm test --script-shell=/tmp/x.sh",
        "npm test --prefix /tmp/elsewhere",
        "npm test -- --config /tmp/jest.config.js",
        "cargo test --config 'target.x86_64-unknown-linux-gnu.runner=\"/tmp/x\"'",
        "cargo test -Z unstable-options",
        "cargo test --manifest-path /tmp/x/Cargo.toml",
        "pytest -p /tmp/plugin",
        "pytest --rootdir /tmp/x",
        "go test -exec /tmp/x ./...",
        "go test -toolexec /tmp/x ./...",
        "RUSTC_WRAPPER=/tmp/x cargo test",
        "NODE_OPTIONS='--require /tmp/e.js' npm test",
        "PYTHONPATH=/tmp/x pytest",
        "GIT_EXTERNAL_DIFF=/tmp/e git status",
        "./git status",
        "/tmp/x/git status",
        "command ./git status",
    ] {
        not_allowed(&env, t, evil);
    }
}

#[test]
fn the_developer_preset_does_not_cover_wrapped_variables_paths_or_exec_options() {
    let env = Env::new();
    let clock = std::sync::Arc::new(aiperture::clock::ManualClock::new(T0));
    let g = env.gate(&clock);
    g.bootstrap("developer", &env.project_str(), "test")
        .unwrap();
    drop(g);
    for ok in [
        "git status",
        "git log --oneline -5",
        "ls",
        "cat README.md",
        "npm test",
        "cargo test",
    ] {
        allowed(&env, T0, ok);
    }
    for evil in [
        // Class 1: variables that change what a program runs, set on a wrapper.
        "BASH_ENV=/tmp/e.sh bash -c 'git status'",
        "LD_PRELOAD=/tmp/e.so bash -c 'git status'",
        "GIT_CONFIG_PARAMETERS=\"'core.fsmonitor=touch /tmp/pwn; false'\" bash -c 'git status'",
        "NODE_OPTIONS='--require /tmp/e.js' bash -c 'npm test'",
        "GIT_EXTERNAL_DIFF=/tmp/e bash -c 'git diff'",
        "PROMPT_COMMAND='rm -rf ~' bash -ic ls",
        "env BASH_ENV=/tmp/e.sh sh -c 'ls'",
        "printf -v AIPERTURE_DB_PATH /tmp/x.db; ls",
        "read -r GIT_SSH_COMMAND < /tmp/x; git status",
        // Class 2: a program is known by its file name only when looked up on PATH.
        "./git status",
        "bin/git log",
        "/tmp/x/git diff",
        "node_modules/.bin/eslint .",
        "command ./git status",
        // Class 4: options that write files or run commands.
        "git show --output=$HOME/.bashrc HEAD",
        "git log --output=/tmp/x",
        "git diff --output /tmp/x",
        "rg --pre /tmp/x foo",
        "eslint -c /tmp/x.js .",
        "eslint --rulesdir /tmp/r .",
        "eslint --plugin /tmp/p .",
        "mypy --config-file /tmp/x.ini .",
        "pytest -p /tmp/plugin",
        "go test -exec /tmp/x ./...",
        "sort -o ~/.bashrc x",
        "sort --compress-program=/tmp/x x",
        "man -P /tmp/x ls",
        "less -O ~/.bashrc README.md",
        "cat README.md | xxd -r - ~/.bashrc",
        "tar -xf a.tar -C ~",
        "curl -K /tmp/cfg https://example.com",
        "wget -e use_askpass=/tmp/x https://example.com",
        "find . -fprint ~/.bashrc",
        "trap 'rm -rf ~' EXIT; ls",
    ] {
        not_allowed(&env, T0, evil);
    }
}
