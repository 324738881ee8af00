//! Issue 16, `aiperture configure`: the wizard driven in a real terminal (tmux send-keys,
//! capture-pane) through the built binary. It re-asks on an invalid answer, shows the config
//! file's diff and the other changes, saves nothing on `no`, and on `yes` writes the file
//! (audited), wires the runtime and enables the preset. It refuses without a terminal or
//! inside an agent.

mod engine_support;
mod tmux_support;

use engine_support::{Env, T0};
use tmux_support::Term;

/// Answers every question of one wizard run; the screen before the save question.
fn answer_all(t: &Term, run: usize) -> String {
    t.line("aiperture configure");
    t.wait_n("Runtimes to wire", run);
    t.line("claude-code");
    t.wait_n("Preset for this project", run);
    t.line("developer");
    t.wait_n("MEDIUM-risk pattern is learned", run);
    t.line("lots");
    t.wait_n("expected an integer", run);
    t.line("12");
    t.wait_n("LOW-risk pattern is learned", run);
    t.line("");
    t.wait_n("auto-allows", run);
    t.line("0.9");
    t.wait_n("Session risk budget", run);
    t.line("80");
    // A build with the team store asks for its URL first.
    loop {
        let s = t.screen();
        if s.matches("Team store URL").count() >= run {
            t.line("");
            break;
        }
        if s.matches("Audit webhook URL").count() >= run {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    t.wait_n("Audit webhook URL", run);
    t.line("http://127.0.0.1:9/ingest");
    t.wait_n("Compliance report schedule", run);
    t.line("weekly");
    t.wait_n("Save these changes?", run)
}

#[test]
fn the_wizard_shows_the_diff_and_saves_only_on_yes() {
    if tmux_support::skipped() {
        return;
    }
    let env = Env::new();
    let user = env.dir.path().join("user");
    std::fs::create_dir_all(&user).unwrap();
    let config = env.home.join("config.toml");
    std::fs::write(&config, "rate_limit_per_minute = 30\n").unwrap();
    let t = Term::start(
        &env.project,
        &user,
        &[
            ("AIPERTURE_HOME", env.home.display().to_string()),
            ("AIPERTURE_DB_PATH", env.db.display().to_string()),
            ("USER", "alice".into()),
        ],
    );
    let s = answer_all(&t, 1);
    for line in [
        "+ auto_approve_threshold = 0.9",
        "+ permission_learning_min_decisions = 12",
        "  rate_limit_per_minute = 30",
        "+ session_risk_budget = 80.0",
        "+ sink_webhook_url = \"http://127.0.0.1:9/ingest\"",
        "Install aiperture's hook for claude-code",
        "Enable preset developer for",
    ] {
        assert!(s.contains(line), "missing {line:?} in:\n{s}");
    }
    assert!(!s.contains("learning_min_decisions_low"), "{s}");
    t.line("no");
    t.wait("Nothing changed.");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "rate_limit_per_minute = 30\n"
    );
    assert!(!user.join(".claude/settings.json").exists());

    answer_all(&t, 2);
    t.line("yes");
    let s = t.wait("crontab -e");
    assert!(s.contains("0 9 * * 1 aiperture report"), "{s}");
    let file = std::fs::read_to_string(&config).unwrap();
    for kv in [
        "rate_limit_per_minute = 30",
        "permission_learning_min_decisions = 12",
        "auto_approve_threshold = 0.9",
        "session_risk_budget = 80.0",
        "sink_webhook_url = \"http://127.0.0.1:9/ingest\"",
    ] {
        assert!(file.contains(kv), "missing {kv:?} in:\n{file}");
    }
    let settings = std::fs::read_to_string(user.join(".claude/settings.json")).unwrap();
    assert!(settings.contains("aiperture"), "{settings}");
    let presets = env.cmd(T0).args(["bootstrap", "--list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&presets.stdout).contains("developer"));
    // Each setting saved is a config.changed event in the chain.
    let c = rusqlite::Connection::open(&env.db).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM audit_events WHERE event_type = 'config.changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 4);
}

#[test]
fn the_wizard_refuses_without_a_terminal_and_inside_an_agent() {
    let env = Env::new();
    let out = env.cmd(T0).arg("configure").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a human at a terminal"));
    let out = env
        .cmd(T0)
        .env("GEMINI_CLI", "1")
        .arg("configure")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GEMINI_CLI is set"));
    assert!(!env.home.join("config.toml").exists());
}
