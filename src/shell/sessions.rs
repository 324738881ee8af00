//! Programs that run a command in a terminal or session of their own, or type into one:
//! `script -c`, `faketty` (a pseudo-terminal, which passes a "is stdin a terminal?" check),
//! `tmux` and `screen` (new sessions, windows, panes and popups, `run-shell`, `if-shell`,
//! `pipe-pane`, `send-keys`, `-X stuff`), `dtach`,
//! `abduco`, `systemd-run` (sessions and services that outlive the call) and `expect -c`
//! (`spawn` under an automation script that can answer prompts meant for a human).
//!
//! The command they run is analysed like any other, so `script -qc "aiperture approve …"` is
//! the self-approval it is; the origin ([`Origin::Detached`], [`Origin::Typed`]) lets the
//! classifier add what the wrapper itself means.

use super::step::{Step, drop_words, join, lit, skip_opts};
use super::{Origin, SimpleCommand, Word};

/// The step for `prog` when it is one of these programs; `None` otherwise.
pub(super) fn step(cmd: &SimpleCommand, prog: &str) -> Option<Step> {
    let argv = &cmd.argv;
    match prog {
        "script" => Some(script(cmd)),
        "faketty" => Some(argv_from(cmd, 1, "faketty")),
        "tmux" => Some(tmux(argv)),
        "screen" => Some(screen(cmd)),
        "dtach" | "abduco" => Some(attach_tool(cmd, prog)),
        "systemd-run" => Some(systemd_run(cmd)),
        "expect" => Some(expect(argv)),
        _ => None,
    }
}

/// Unwraps to `argv[i..]` as the command, or nothing when there is none.
fn argv_from(cmd: &SimpleCommand, i: usize, wrapper: &str) -> Step {
    if i >= cmd.argv.len() {
        return Step::Done;
    }
    Step::Unwrapped(drop_words(cmd, i, wrapper))
}

/// `argv[i..]` as shell text of a session that outlives the call.
fn detached(argv: &[Word], i: usize, wrapper: &str) -> Step {
    match argv.get(i..).filter(|rest| !rest.is_empty()) {
        Some(rest) => Step::Nested(join(rest), Origin::Detached, wrapper.into()),
        None => Step::Done,
    }
}

/// `script [options] -c CMD [file]` (util-linux) and `script [options] [file [CMD …]]` (BSD,
/// macOS): the command runs on a pseudo-terminal.
fn script(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if let Some(c) = t.strip_prefix("--command=") {
            return Step::Nested(c.to_string(), Origin::NestedShell, "script".into());
        }
        let short_c = t.starts_with('-') && !t.starts_with("--") && t.ends_with('c');
        if t == "--command" || short_c {
            return match argv.get(i + 1) {
                Some(c) => Step::Nested(c.text.clone(), Origin::NestedShell, "script".into()),
                None => Step::Done,
            };
        }
        i += 1;
    }
    // No -c: the BSD form, where a command may follow the typescript file.
    let file = skip_opts(
        argv,
        1,
        &[
            "-F",
            "-t",
            "-T",
            "-E",
            "-I",
            "-O",
            "-B",
            "-m",
            "-o",
            "--log-in",
            "--log-out",
            "--log-io",
            "--log-timing",
            "--logging-format",
            "--output-limit",
            "--echo",
        ],
        false,
    );
    argv_from(cmd, file + 1, "script")
}

/// tmux commands that start a shell command, and `send-keys`, which types into a pane.
/// Options before the command (`-L`, `-S`, `-f`) are skipped; `tmux -c CMD` runs CMD.
fn tmux(argv: &[Word]) -> Step {
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if t == "-c" {
            return match argv.get(i + 1) {
                Some(c) => Step::Nested(c.text.clone(), Origin::NestedShell, "tmux -c".into()),
                None => Step::Done,
            };
        }
        if matches!(t, "-L" | "-S" | "-f" | "-T") {
            i += 2;
            continue;
        }
        if t.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    // Commands may be chained with `;` (written `\;` in a shell): each one is looked at.
    let mut texts = Vec::new();
    let mut typed = Vec::new();
    let rest = argv.get(i..).unwrap_or(&[]);
    for part in rest.split(|w| matches!(lit(w), ";" | "\\;")) {
        let Some(name) = part.first().map(lit) else {
            continue;
        };
        let valued: &[&str] = match name {
            "new-session" | "new" => &["-c", "-e", "-F", "-f", "-n", "-s", "-t", "-x", "-y"],
            "new-window" | "neww" => &["-c", "-e", "-F", "-n", "-t"],
            "split-window" | "splitw" => &["-c", "-e", "-F", "-l", "-p", "-t"],
            "respawn-pane" | "respawnp" | "respawn-window" | "respawnw" => &["-c", "-e", "-t"],
            "run-shell" | "run" => &["-c", "-d", "-t"],
            "pipe-pane" | "pipep" => &["-t"],
            "display-popup" | "popup" => &[
                "-b", "-c", "-d", "-e", "-h", "-s", "-S", "-t", "-T", "-w", "-x", "-y",
            ],
            "if-shell" | "if" => &["-t"],
            _ => &[],
        };
        match name {
            "new-session" | "new" | "new-window" | "neww" | "split-window" | "splitw"
            | "respawn-pane" | "respawnp" | "respawn-window" | "respawnw" | "run-shell" | "run"
            | "display-popup" | "popup" => {
                let j = skip_opts(part, 1, valued, false);
                if j < part.len() {
                    texts.push(join(&part[j..]));
                }
            }
            // One shell command; anything after it is looked at on its own too.
            "pipe-pane" | "pipep" => {
                let j = skip_opts(part, 1, valued, false);
                texts.extend(part.iter().skip(j).map(|w| w.text.clone()));
            }
            // `if-shell [-bF] [-t target] SHELL-COMMAND TMUX-COMMAND …`: the condition runs.
            "if-shell" | "if" => {
                let j = skip_opts(part, 1, valued, false);
                let is_format = part.iter().any(|w| lit(w) == "-F");
                if let Some(cond) = part.get(j).filter(|_| !is_format) {
                    texts.push(cond.text.clone());
                }
            }
            "send-keys" | "send" => {
                let j = skip_opts(part, 1, &["-c", "-N", "-t"], false);
                typed.push(keys_text(&part[j.min(part.len())..]));
            }
            _ => {}
        }
    }
    if !typed.is_empty() {
        return Step::Nested(typed.join("\n"), Origin::Typed, "tmux send-keys".into());
    }
    if !texts.is_empty() {
        return Step::Nested(texts.join("\n"), Origin::Detached, "tmux".into());
    }
    Step::Done
}

/// The text `send-keys` types: key names that end a line become newlines.
fn keys_text(keys: &[Word]) -> String {
    let mut out = String::new();
    for k in keys {
        match lit(k) {
            "Enter" | "C-m" | "C-j" | "KPEnter" => out.push('\n'),
            t => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push(' ');
                }
                out.push_str(t);
            }
        }
    }
    out
}

/// `screen [options] CMD ARGS…` starts CMD in a new window; `screen -X stuff TEXT` types TEXT
/// and `screen -X exec CMD…` runs CMD in an existing session.
fn screen(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    // Options that take a value, also at the end of a bundle (`-dmS name`).
    const VALUED: &[char] = &['S', 'c', 'e', 'h', 'p', 's', 't', 'T'];
    let mut i = 1;
    let mut remote = false;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        if t == "-X" {
            remote = true;
            i += 1;
            break;
        }
        if t == "-Logfile" {
            i += 2;
            continue;
        }
        let takes_value = t.len() == 2 && t.ends_with(VALUED)
            || t.len() > 2 && !t.starts_with("--") && t.ends_with(VALUED);
        i += if takes_value { 2 } else { 1 };
    }
    if !remote {
        return detached(argv, i, "screen");
    }
    match argv.get(i).map(lit) {
        Some("stuff") => match argv.get(i + 1) {
            Some(text) => Step::Nested(
                text.text.replace("\\n", "\n").replace("^M", "\n"),
                Origin::Typed,
                "screen -X stuff".into(),
            ),
            None => Step::Done,
        },
        Some("exec" | "screen") => detached(argv, i + 1, "screen -X"),
        _ => Step::Done,
    }
}

/// `dtach -n|-c|-A|-N SOCKET [options] CMD…` and `abduco [-e KEY] -n|-c|-A|-f NAME CMD…`.
fn attach_tool(cmd: &SimpleCommand, prog: &str) -> Step {
    let argv = &cmd.argv;
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        match lit(w) {
            "-n" | "-c" | "-A" | "-N" | "-f" => {
                i += 2;
                break;
            }
            "-e" | "-r" => i += 2,
            t if t.starts_with('-') => i += 1,
            _ => return Step::Done,
        }
    }
    let j = skip_opts(argv, i, &["-e", "-r"], false);
    detached(argv, j, prog)
}

/// `systemd-run [options] CMD…`: the command runs as a transient service or scope.
fn systemd_run(cmd: &SimpleCommand) -> Step {
    let i = skip_opts(
        &cmd.argv,
        1,
        &[
            "-u",
            "--unit",
            "-p",
            "--property",
            "--description",
            "--slice",
            "-E",
            "--setenv",
            "--working-directory",
            "-M",
            "--machine",
            "-H",
            "--host",
            "--uid",
            "--gid",
            "--nice",
            "--service-type",
            "--on-active",
            "--on-boot",
            "--on-startup",
            "--on-unit-active",
            "--on-unit-inactive",
            "--on-calendar",
            "--timer-property",
            "--path-property",
            "--socket-property",
        ],
        false,
    );
    detached(&cmd.argv, i, "systemd-run")
}

/// `expect -c SCRIPT`: the programs it `spawn`s, driven by a script that can answer their
/// prompts. Without `-c` (a script file) nothing is unwrapped; the classifier rates `expect`.
fn expect(argv: &[Word]) -> Step {
    let mut spawned = Vec::new();
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        if lit(w) == "-c" {
            if let Some(script) = argv.get(i + 1) {
                spawned.extend(spawns(&script.text));
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    if spawned.is_empty() {
        return Step::Done;
    }
    Step::Nested(spawned.join("\n"), Origin::Typed, "expect".into())
}

/// The commands of `spawn` statements in a Tcl script (statements split on `;` and lines).
fn spawns(script: &str) -> Vec<String> {
    script
        .split(['\n', ';'])
        .filter_map(|stmt| {
            let mut words = stmt.split_whitespace().peekable();
            if words.next()? != "spawn" {
                return None;
            }
            // spawn's own flags (`-noecho`, `-ignore SIG`, …).
            while let Some(w) = words.peek() {
                if !w.starts_with('-') {
                    break;
                }
                let takes_value = *w == "-ignore";
                words.next();
                if takes_value {
                    words.next();
                }
            }
            let rest: Vec<&str> = words.collect();
            (!rest.is_empty()).then(|| rest.join(" "))
        })
        .collect()
}
