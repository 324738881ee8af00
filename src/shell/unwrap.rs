//! Unwrapping: wrappers (`sudo`, `env`, `timeout`, `xargs`, …), nested shells (`bash -c`,
//! `eval`, `su -c`, `ssh host cmd`, shells fed a heredoc or a pipe) and `find -exec`.
//! Shells themselves (`bash -c`, shells fed a heredoc or a pipe) are in `shells`; terminals
//! and sessions (`script -c`, `tmux`, `screen`, `expect`, …) in `sessions`; programs that run
//! their arguments (`strace`, `bwrap`, …) in `runners`.

use super::fold::{code_text, downloads, fold_substitution};
use super::shells::is_shell;
use super::step::{Step, drop_words, lit, skip_opts};
use super::words::resolve_program;
use super::{Origin, SimpleCommand, Word};

/// Work item of the parse loop.
pub(super) enum Job {
    /// Shell text to parse.
    Text {
        text: String,
        depth: usize,
        origin: Origin,
        wrappers: Vec<String>,
        source: Option<String>,
        /// Environment assignments of the wrapping command (`BASH_ENV=x bash -c '…'`): the
        /// nested commands inherit them, so they are judged and shown with them.
        assignments: Vec<(String, Word)>,
    },
    /// A command still to unwrap.
    Command(Box<SimpleCommand>),
    /// A command fully unwrapped.
    Final(Box<SimpleCommand>),
}

/// Wrappers that change the privilege a command runs with; kept in its display.
pub(super) fn is_privilege_wrapper(w: &str) -> bool {
    matches!(
        w,
        "sudo" | "doas" | "pkexec" | "run0" | "su" | "runuser" | "chroot"
    )
}

/// The program a raw command will run, looking through plain wrappers (for pipe analysis).
pub(super) fn effective_program(cmd: &SimpleCommand) -> String {
    let mut c = cmd.clone();
    c.stdin_text = None;
    for _ in 0..8 {
        match step(&c) {
            Step::Unwrapped(next) => c = *next,
            _ => break,
        }
    }
    c.program()
}

/// Unwraps `cmd` fully, returning final commands and further work.
pub(super) fn unwrap(cmd: SimpleCommand) -> Vec<Job> {
    let mut cur = cmd;
    for _ in 0..32 {
        match step(&cur) {
            Step::Done => return vec![Job::Final(Box::new(cur))],
            Step::Unwrapped(next) => cur = *next,
            Step::Nested(text, origin, wrapper) => {
                let mut wrappers = cur.wrappers.clone();
                wrappers.push(wrapper);
                let mut jobs = Vec::new();
                // Redirections of the wrapper still apply; keep them on a bare command.
                if cur.redirects.iter().any(|r| !r.op.starts_with("<<")) {
                    let mut bare = cur.clone();
                    bare.argv.clear();
                    bare.redirects.retain(|r| !r.op.starts_with("<<"));
                    jobs.push(Job::Final(Box::new(bare)));
                }
                jobs.push(Job::Text {
                    text,
                    depth: cur.depth + 1,
                    origin,
                    wrappers,
                    source: Some(cur.source.clone()),
                    assignments: cur.assignments.clone(),
                });
                return jobs;
            }
            Step::Spawn(rest, spawned) => {
                let mut s = *spawned;
                s.depth = cur.depth + 1;
                return vec![Job::Command(rest), Job::Command(Box::new(s))];
            }
        }
    }
    vec![Job::Final(Box::new(cur))]
}

/// The literal text of `argv[i]`, if there is one.
fn lit_at(argv: &[Word], i: usize) -> Option<&str> {
    argv.get(i).map(lit)
}

fn step(cmd: &SimpleCommand) -> Step {
    let Some(first) = cmd.argv.first() else {
        return Step::Done;
    };
    if first.dynamic {
        // `$(echo rm) -rf /`: a program name computed from plain data is known.
        if first.substitution
            && let Some(text) = fold_substitution(first)
        {
            let mut line = text;
            for w in cmd.argv.iter().skip(1) {
                line.push(' ');
                line.push_str(&w.raw);
            }
            return Step::Nested(line, Origin::Eval, "$(…)".into());
        }
        return Step::Done;
    }
    let prog = resolve_program(lit(first));
    let argv = &cmd.argv;
    match prog.as_str() {
        "sudo" | "doas" | "pkexec" | "run0" => {
            let i = skip_opts(
                argv,
                1,
                &[
                    "-u",
                    "-g",
                    "-C",
                    "-D",
                    "-h",
                    "-p",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "--user",
                    "--group",
                    "--chdir",
                    "--prompt",
                    "--host",
                    "--role",
                    "--type",
                    "--close-from",
                    "--other-user",
                    "--command-timeout",
                ],
                false,
            );
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, &prog))
        }
        "env" => {
            let mut i = 1;
            let mut c = cmd.clone();
            while let Some(w) = argv.get(i) {
                let t = lit(w);
                if t == "--" {
                    i += 1;
                    break;
                }
                if t == "-S" || t == "--split-string" {
                    let rest: Vec<String> = argv
                        .get(i + 1..)
                        .unwrap_or(&[])
                        .iter()
                        .map(|w| w.text.clone())
                        .collect();
                    return Step::Nested(rest.join(" "), Origin::NestedShell, "env -S".into());
                }
                if let Some(s) = t
                    .strip_prefix("--split-string=")
                    .or_else(|| t.strip_prefix("-S"))
                {
                    let mut text = s.to_string();
                    for w in argv.get(i + 1..).unwrap_or(&[]) {
                        text.push(' ');
                        text.push_str(&w.text);
                    }
                    return Step::Nested(text, Origin::NestedShell, "env -S".into());
                }
                if matches!(t, "-u" | "--unset" | "-C" | "--chdir") {
                    i += 2;
                    continue;
                }
                if t.starts_with('-') {
                    i += 1;
                    continue;
                }
                if let Some((name, value)) = t.split_once('=')
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    c.assignments.push((
                        name.to_string(),
                        Word {
                            text: value.to_string(),
                            raw: value.to_string(),
                            dynamic: w.dynamic,
                            substitution: w.substitution,
                        },
                    ));
                    i += 1;
                    continue;
                }
                break;
            }
            if i >= argv.len() {
                return Step::Done;
            }
            c.argv = argv.get(i..).map(|s| s.to_vec()).unwrap_or_default();
            c.wrappers.push("env".into());
            Step::Unwrapped(Box::new(c))
        }
        "command" => {
            if argv
                .get(1)
                .map(|w| matches!(lit(w), "-v" | "-V"))
                .unwrap_or(true)
            {
                return Step::Done;
            }
            let i = skip_opts(argv, 1, &[], false);
            Step::Unwrapped(drop_words(cmd, i, "command"))
        }
        "builtin" | "nohup" | "unbuffer" | "noglob" | "busybox" => {
            if argv.len() < 2 {
                return Step::Done;
            }
            let i = if prog == "busybox" {
                1
            } else {
                skip_opts(argv, 1, &[], false)
            };
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, &prog))
        }
        // Apple's tool runner: `xcrun [--sdk S] [--toolchain T] [-r] tool args…` runs `tool`;
        // `--find`/`-f` and `--show-*` only print paths.
        "xcrun" => {
            if argv.iter().skip(1).any(|w| {
                let w = lit(w);
                matches!(w, "-f" | "--find") || w.starts_with("--show-")
            }) {
                return Step::Done;
            }
            let i = skip_opts(argv, 1, &["--sdk", "--toolchain"], false);
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, "xcrun"))
        }
        "exec" => {
            let i = skip_opts(argv, 1, &["-a"], false);
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, "exec"))
        }
        "time" => {
            let i = skip_opts(argv, 1, &["-o", "-f", "--output", "--format"], false);
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, "time"))
        }
        "nice" | "ionice" | "setsid" | "stdbuf" | "caffeinate" | "chrt" | "taskset" => {
            let with_value: &[&str] = match prog.as_str() {
                "nice" => &["-n", "--adjustment"],
                "ionice" => &["-c", "-n", "-t", "--class", "--classdata"],
                "stdbuf" => &["-i", "-o", "-e"],
                "caffeinate" => &["-t", "-w"],
                _ => &[],
            };
            let mut i = skip_opts(argv, 1, with_value, false);
            if matches!(prog.as_str(), "chrt" | "taskset") {
                i += 1; // priority / CPU mask
            }
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, &prog))
        }
        "timeout" | "gtimeout" => {
            let i = skip_opts(argv, 1, &["-s", "-k", "--signal", "--kill-after"], false) + 1;
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, "timeout"))
        }
        "chroot" => {
            let i = skip_opts(argv, 1, &["--userspec", "--groups"], false) + 1;
            if i >= argv.len() {
                return Step::Done;
            }
            Step::Unwrapped(drop_words(cmd, i, "chroot"))
        }
        "flock" => {
            let i = skip_opts(
                argv,
                1,
                &["-w", "-E", "--timeout", "--conflict-exit-code"],
                false,
            );
            // file, then either -c TEXT or a command
            let j = i + 1;
            match argv.get(j).map(lit) {
                Some("-c") | Some("--command") => match argv.get(j + 1) {
                    Some(t) => Step::Nested(t.text.clone(), Origin::NestedShell, "flock".into()),
                    None => Step::Done,
                },
                Some(_) => Step::Unwrapped(drop_words(cmd, j, "flock")),
                None => Step::Done,
            }
        }
        "watch" => {
            let i = skip_opts(
                argv,
                1,
                &["-n", "--interval", "-q", "--equexit", "--differences"],
                false,
            );
            if i >= argv.len() {
                return Step::Done;
            }
            let text: Vec<String> = argv
                .get(i..)
                .unwrap_or(&[])
                .iter()
                .map(|w| w.text.clone())
                .collect();
            Step::Nested(text.join(" "), Origin::NestedShell, "watch".into())
        }
        "parallel" | "rush" => {
            // GNU parallel: `parallel [opts] CMD ::: args`; the command gets the arguments.
            let i = skip_opts(
                argv,
                1,
                &[
                    "-j",
                    "--jobs",
                    "-S",
                    "--sshlogin",
                    "-a",
                    "--arg-file",
                    "--delay",
                    "--timeout",
                    "--joblog",
                    "-I",
                    "--colsep",
                    "-d",
                ],
                false,
            );
            let end = argv
                .iter()
                .position(|w| matches!(w.text.as_str(), ":::" | "::::" | ":::+" | "::::+"))
                .unwrap_or(argv.len());
            if i >= end {
                // No command: each argument after `:::` is a command line of its own
                // (`parallel ::: 'make a' 'make b'`); with `::::` they come from a file.
                let commands: Vec<String> = argv
                    .get(end + 1..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|w| !lit(w).starts_with(":::"))
                    .map(|w| w.text.clone())
                    .collect();
                if lit_at(argv, end) == Some(":::") && !commands.is_empty() {
                    return Step::Nested(commands.join("\n"), Origin::NestedShell, prog.clone());
                }
                return Step::Done;
            }
            let mut c = cmd.clone();
            c.argv = argv.get(i..end).map(|s| s.to_vec()).unwrap_or_default();
            c.wrappers.push(prog.clone());
            c.implicit_args = true;
            c.origin = Some(Origin::Xargs);
            if c.argv.len() == 1
                && c.argv
                    .first()
                    .map(|w| w.text.contains(' '))
                    .unwrap_or(false)
            {
                // `parallel 'rm -rf {}' ::: …`: the command is shell text.
                let text = c.argv.first().map(|w| w.text.clone()).unwrap_or_default();
                return Step::Nested(text, Origin::Xargs, prog.clone());
            }
            Step::Unwrapped(Box::new(c))
        }
        "xargs" => {
            let i = skip_opts(
                argv,
                1,
                &[
                    "-I",
                    "-n",
                    "-L",
                    "-P",
                    "-d",
                    "-E",
                    "-s",
                    "-a",
                    "--max-args",
                    "--max-procs",
                    "--delimiter",
                    "--arg-file",
                    "--replace",
                    "--max-lines",
                    "-e",
                ],
                false,
            );
            let mut c = cmd.clone();
            c.argv = argv.get(i..).map(|s| s.to_vec()).unwrap_or_default();
            if c.argv.is_empty() {
                c.argv = vec![Word::literal("echo")];
            }
            c.wrappers.push("xargs".into());
            c.implicit_args = true;
            c.origin = Some(Origin::Xargs);
            Step::Unwrapped(Box::new(c))
        }
        "eval" => {
            if argv.len() < 2 {
                return Step::Done;
            }
            let mut dynamic = false;
            let text: Vec<String> = argv
                .get(1..)
                .unwrap_or(&[])
                .iter()
                .map(|w| code_text(w, &mut dynamic))
                .collect();
            let name = if !dynamic {
                "eval".to_string()
            } else if argv.iter().any(|w| downloads(&w.raw)) {
                "eval (download)".to_string()
            } else {
                "eval (dynamic)".to_string()
            };
            Step::Nested(text.join(" "), Origin::Eval, name)
        }
        "su" | "runuser" => {
            let mut i = 1;
            while let Some(w) = argv.get(i) {
                let t = lit(w);
                if t == "-c" || t == "--command" {
                    return match argv.get(i + 1) {
                        Some(c) => Step::Nested(c.text.clone(), Origin::NestedShell, prog.clone()),
                        None => Step::Done,
                    };
                }
                if let Some(c) = t.strip_prefix("--command=") {
                    return Step::Nested(c.to_string(), Origin::NestedShell, prog.clone());
                }
                i += 1;
            }
            Step::Done
        }
        "ssh" => {
            const WITH_VALUE: &[&str] = &[
                "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o",
                "-p", "-Q", "-R", "-S", "-W", "-w", "-B",
            ];
            let host = skip_opts(argv, 1, WITH_VALUE, false);
            // OpenSSH also reads options after the destination (`ssh host -t cmd`).
            let i = skip_opts(argv, host + 1, WITH_VALUE, false);
            if argv.len() <= i {
                return Step::Done;
            }
            let text: Vec<String> = argv
                .get(i..)
                .unwrap_or(&[])
                .iter()
                .map(|w| w.text.clone())
                .collect();
            let mut line = text.join(" ");
            // `ssh host bash <<'EOF' … EOF`: what ssh reads on stdin is the remote command's.
            if let Some(body) = &cmd.stdin_text {
                line = with_stdin(line, body);
            }
            Step::Nested(line, Origin::Remote, "ssh".into())
        }
        "find" => find_exec(cmd),
        p if is_shell(p) => super::shells::shell_wrapper(cmd, p),
        p => super::sessions::step(cmd, p)
            .or_else(|| super::runners::step(cmd, p))
            .unwrap_or(Step::Done),
    }
}

/// `line` fed `body` on its stdin, written as a quoted heredoc whose delimiter the body does
/// not contain (so the body stays data until a shell reading it runs it).
fn with_stdin(line: String, body: &str) -> String {
    let mut delim = String::from("AIPERTURE_STDIN");
    while body.lines().any(|l| l == delim) {
        delim.push('_');
    }
    let nl = if body.ends_with('\n') { "" } else { "\n" };
    format!("{line} <<'{delim}'\n{body}{nl}{delim}\n")
}

/// `find ROOTS… -exec CMD… ;` → the find itself plus the spawned command.
fn find_exec(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    let mut start = None;
    for (i, w) in argv.iter().enumerate() {
        if matches!(lit(w), "-exec" | "-execdir" | "-ok" | "-okdir") {
            start = Some(i);
            break;
        }
    }
    let Some(s) = start else {
        return Step::Done;
    };
    let mut end = argv.len();
    for (j, w) in argv.iter().enumerate().skip(s + 1) {
        if matches!(lit(w), ";" | "+") {
            end = j;
            break;
        }
    }
    let inner: Vec<Word> = argv.get(s + 1..end).unwrap_or(&[]).to_vec();
    let mut rest = cmd.clone();
    let mut rest_argv: Vec<Word> = argv.get(..s).unwrap_or(&[]).to_vec();
    rest_argv.extend(argv.get(end + 1..).unwrap_or(&[]).iter().cloned());
    rest.argv = rest_argv;
    let roots: Vec<Word> = argv
        .iter()
        .skip(1)
        .take_while(|w| {
            let t = lit(w);
            !(t.starts_with('-') || t == "(" || t == "!" || t == "\\(")
        })
        .cloned()
        .collect();
    let mut spawned = cmd.clone();
    spawned.argv = inner;
    spawned.redirects.clear();
    spawned.stdin_text = None;
    spawned.wrappers.push("find -exec".into());
    spawned.origin = Some(Origin::FindExec);
    spawned.implicit_args = true;
    spawned.implicit_roots = if roots.is_empty() {
        vec![Word::literal(".")]
    } else {
        roots
    };
    if spawned.argv.is_empty() {
        return Step::Unwrapped(Box::new(rest));
    }
    // The find keeps looking for further -exec clauses.
    Step::Spawn(Box::new(rest), Box::new(spawned))
}
