//! Issue 16, "admin acts need a human", at a real terminal (tmux): the prompt names the act,
//! `yes` goes ahead, anything else changes nothing, and an agent's marker refuses even at a
//! terminal.

mod engine_support;
mod tmux_support;

use engine_support::Env;
use tmux_support::Term;

#[test]
fn a_human_confirms_at_the_terminal_and_an_agent_is_refused_there_too() {
    if tmux_support::skipped() {
        return;
    }
    let env = Env::new();
    let t = Term::start(
        &env.project,
        env.dir.path(),
        &[
            ("AIPERTURE_HOME", env.home.display().to_string()),
            ("AIPERTURE_DB_PATH", env.db.display().to_string()),
            ("USER", "alice".into()),
        ],
    );
    t.line("aiperture config set rate_limit_per_minute 30");
    t.wait("aiperture: set rate_limit_per_minute = 30");
    t.wait("Type yes to confirm:");
    t.line("yes");
    t.wait("rate_limit_per_minute = 30 (was 200)");
    let file = std::fs::read_to_string(env.home.join("config.toml")).unwrap();
    assert!(file.contains("rate_limit_per_minute = 30"), "{file}");

    // Anything but yes changes nothing.
    t.line("aiperture bootstrap developer");
    t.wait("aiperture: enable preset developer for");
    t.line("no");
    t.wait("not confirmed; nothing changed");
    t.line("aiperture bootstrap --list");
    t.wait("no presets enabled");

    // An agent's marker refuses even at a terminal, before any prompt.
    t.line("CLAUDECODE=1 aiperture grant --scope 'npm test'");
    let s = t.wait("inside an agent (CLAUDECODE is set: Claude Code)");
    assert_eq!(s.matches("Type yes to confirm").count(), 2, "{s}");
    t.line("aiperture grant --list");
    t.wait("no live grants");
}
