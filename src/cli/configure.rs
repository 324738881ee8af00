//! `aiperture configure`: a terminal wizard. It asks which runtimes to wire, which preset to
//! enable for the current project, the learning thresholds, the session risk budget, a report
//! schedule, the team store URL (when this build has one) and an audit webhook; then shows the
//! config file's diff and the other changes, and saves only on `yes`.
//!
//! Plain line prompts, no prompt crate: six questions do not need cursor movement or raw
//! mode, line prompts work in every terminal, screen reader and `tmux send-keys` test, and
//! dialoguer/inquire would add crates to every build for it. Enter keeps the value shown in
//! brackets. Saving goes through `config set` (validated, locked, audited), `setup` and
//! `bootstrap`, so the wizard changes nothing those commands could not.
//!
//! An admin act: it runs only at a terminal outside any agent (`human::require_terminal`);
//! its own final `yes` is the human's confirmation.

use super::check::{current_dir, who};
use crate::cli::ExitCode;
use aiperture::config::{self, Settings};
use aiperture::engine::Gate;
use aiperture::paths::Paths;
use aiperture::request::Request;
use aiperture::runtimes::setup;
use clap::Args;
use std::io::{BufRead, Write};

/// Arguments of `aiperture configure` (none: it asks).
#[derive(Args, Debug)]
pub struct ConfigureArgs {}

/// The runtimes the wizard can wire (OpenClaw needs a plugin: `aiperture setup openclaw`).
const RUNTIMES: &[&str] = &["claude-code", "codex", "gemini", "cursor", "copilot"];

/// The schedules the wizard knows, with the crontab line each suggests.
const SCHEDULES: &[(&str, &str)] = &[
    ("off", ""),
    ("daily", "0 9 * * *"),
    ("weekly", "0 9 * * 1"),
    ("monthly", "0 9 1 * *"),
];

/// Everything the wizard will do when the human says yes.
#[derive(Default)]
struct Plan {
    settings: Vec<(&'static str, String)>,
    runtimes: Vec<&'static str>,
    preset: Option<String>,
    schedule: Option<&'static str>,
}

/// Runs `aiperture configure`.
pub fn run(_args: ConfigureArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    super::human::require_terminal("configure")?;
    let current = Settings::load(&paths)?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut ask = |question: &str, default: &str| -> anyhow::Result<String> {
        print!("{question} [{default}]: ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            anyhow::bail!("input ended; nothing changed");
        }
        let t = line.trim();
        Ok(if t.is_empty() {
            default.to_string()
        } else {
            t.to_string()
        })
    };
    println!(
        "aiperture configure — Enter keeps the value in brackets; nothing is saved until you say yes.\n"
    );
    let mut plan = Plan::default();

    // 1. Runtimes.
    let status = setup::status();
    let installed: Vec<&str> = status
        .iter()
        .filter(|s| s.installed)
        .map(|s| s.runtime.as_str())
        .collect();
    println!(
        "Runtimes: {} (hook installed: {})",
        RUNTIMES.join(", "),
        if installed.is_empty() {
            "none".to_string()
        } else {
            installed.join(", ")
        }
    );
    loop {
        let a = ask("Runtimes to wire, comma-separated, or none", "none")?;
        let names: Vec<&str> = a
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "none")
            .collect();
        match names.iter().find(|n| !RUNTIMES.contains(n)) {
            Some(bad) => println!(
                "  unknown runtime `{bad}`; choose from {}",
                RUNTIMES.join(", ")
            ),
            None => {
                plan.runtimes = RUNTIMES
                    .iter()
                    .copied()
                    .filter(|r| names.contains(r) && !installed.contains(r))
                    .collect();
                break;
            }
        }
    }

    // 2. Preset for this project.
    loop {
        let a = ask(
            "Preset for this project: developer, readonly, minimal or none",
            "none",
        )?;
        match a.as_str() {
            "none" => break,
            "developer" | "readonly" | "minimal" => {
                plan.preset = Some(a);
                break;
            }
            _ => println!("  expected developer, readonly, minimal or none"),
        }
    }

    // 3–4. Learning thresholds and budget, 6. team store, 7. webhook: settings.
    let mut questions: Vec<(&'static str, &str)> = vec![
        (
            "permission_learning_min_decisions",
            "Human decisions before a MEDIUM-risk pattern is learned",
        ),
        (
            "learning_min_decisions_low",
            "Human decisions before a LOW-risk pattern is learned",
        ),
        (
            "auto_approve_threshold",
            "Approval rate at which a pattern auto-allows (0-1)",
        ),
        ("session_risk_budget", "Session risk budget (0 = off)"),
    ];
    if config::SETTINGS.iter().any(|i| i.key == "store.url") {
        questions.push((
            "store.url",
            "Team store URL (postgres://…, empty = this machine only)",
        ));
    }
    questions.push((
        "sink_webhook_url",
        "Audit webhook URL (http://…, empty = none)",
    ));
    for (key, question) in questions {
        let Some(info) = config::SETTINGS.iter().find(|i| i.key == key) else {
            continue;
        };
        let shown = current.display(key).unwrap_or_default();
        let shown = if shown == "\"\"" {
            String::new()
        } else {
            shown
        };
        loop {
            let a = ask(question, &shown)?;
            let a = if a == "\"\"" { String::new() } else { a };
            if a == shown {
                break;
            }
            match config::parse_value(key, &a) {
                Ok(_) => {
                    plan.settings.push((info.key, a));
                    break;
                }
                Err(e) => println!("  {e}"),
            }
        }
    }

    // 5. Report schedule: a crontab line to add (aiperture installs no scheduler).
    let names: Vec<&str> = SCHEDULES.iter().map(|(n, _)| *n).collect();
    loop {
        let a = ask(
            &format!("Compliance report schedule: {}", names.join(", ")),
            "off",
        )?;
        match SCHEDULES.iter().find(|(n, _)| *n == a) {
            Some((n, _)) => {
                plan.schedule = (*n != "off").then_some(*n);
                break;
            }
            None => println!("  expected one of {}", names.join(", ")),
        }
    }

    show(&paths, &plan)?;
    if plan.settings.is_empty() && plan.runtimes.is_empty() && plan.preset.is_none() {
        println!("Nothing to change.");
        print_schedule(plan.schedule);
        return Ok(ExitCode::SUCCESS);
    }
    let a = ask("Save these changes? yes or no", "no")?;
    if !matches!(a.to_ascii_lowercase().as_str(), "yes" | "y") {
        println!("Nothing changed.");
        return Ok(ExitCode::SUCCESS);
    }
    save(&paths, &plan)?;
    print_schedule(plan.schedule);
    Ok(ExitCode::SUCCESS)
}

/// Prints the config file's diff and the other changes.
fn show(paths: &Paths, plan: &Plan) -> anyhow::Result<()> {
    let before = std::fs::read_to_string(&paths.config).unwrap_or_default();
    let mut table: toml::Table = if before.trim().is_empty() {
        toml::Table::new()
    } else {
        before.parse()?
    };
    let old_text = toml::to_string(&table)?;
    for (key, value) in &plan.settings {
        let v = config::parse_value(key, value).map_err(|e| anyhow::anyhow!(e))?;
        table.insert((*key).to_string(), v);
    }
    let new_text = toml::to_string(&table)?;
    println!("\nChanges to {}:", paths.config.display());
    if old_text == new_text {
        println!("  (none)");
    } else {
        for line in diff(&old_text, &new_text) {
            println!("{line}");
        }
    }
    for r in &plan.runtimes {
        println!("Install aiperture's hook for {r} (aiperture setup {r})");
    }
    if let Some(p) = &plan.preset {
        println!(
            "Enable preset {p} for {} (aiperture bootstrap {p})",
            current_dir()
        );
    }
    Ok(())
}

/// A line diff (`-` old, `+` new, two spaces unchanged) by longest common subsequence.
pub fn diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out
}

/// Applies the plan: settings through `config set` (audited), hooks through `setup`, the
/// preset through `bootstrap`.
fn save(paths: &Paths, plan: &Plan) -> anyhow::Result<()> {
    for (key, value) in &plan.settings {
        let change = config::set(paths, key, value)?;
        let ev = config::change_event(&change, &who());
        if let Err(e) = super::config::append_event(paths, &ev) {
            eprintln!("aiperture: warning: {key} saved but not audited: {e:#}");
        }
        println!("saved {} = {}", change.key, change.new);
    }
    for r in &plan.runtimes {
        super::setup::run(super::setup::SetupArgs {
            runtime: (*r).to_string(),
            uninstall: false,
            project: false,
            user: false,
            dry_run: false,
            mcp: false,
            warm: false,
        })?;
    }
    if let Some(preset) = &plan.preset {
        let gate = Gate::open()?;
        let project = gate
            .resolve(&Request {
                cwd: current_dir(),
                ..Request::default()
            })
            .project;
        gate.bootstrap_report(preset, &project, &who())?;
        println!("preset {preset} enabled for {project}");
    }
    Ok(())
}

fn print_schedule(schedule: Option<&str>) {
    let Some(name) = schedule else { return };
    let Some((_, cron)) = SCHEDULES.iter().find(|(n, _)| *n == name) else {
        return;
    };
    println!(
        "Reports {name}: add this line with `crontab -e` (aiperture installs no scheduler):\n  \
         {cron} aiperture report --format html --out \"$HOME/aiperture-report.html\""
    );
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn the_diff_marks_removed_added_and_kept_lines() {
        let d = diff("a = 1\nb = 2\nc = 3\n", "a = 1\nb = 5\nc = 3\nd = 4\n");
        assert_eq!(d, ["  a = 1", "- b = 2", "+ b = 5", "  c = 3", "+ d = 4"]);
        assert_eq!(diff("", "x = 1\n"), ["+ x = 1"]);
        assert!(diff("same\n", "same\n").iter().all(|l| l.starts_with("  ")));
    }
}
