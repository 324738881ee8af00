//! Programs that run the command given as their remaining arguments after options of their
//! own: tracers and profilers (`strace`, `ltrace`, `valgrind`, `perf record|stat|trace`),
//! sandboxes and namespaces (`firejail`, `bwrap`, `unshare`, `nsenter`, `setpriv`, `cgexec`,
//! `prlimit`, `numactl`), proxies (`proxychains`, `torsocks`, `torify`, `tsocks`,
//! `trickle`), and others (`xvfb-run`, `fakeroot`, `eatmydata`, `nocache`, `chronic`,
//! `catchsegv`, `dbus-run-session`, `entr`, `rlwrap`, `sg`, `start-stop-daemon`,
//! `hyperfine`), and `aiperture exec [--] CMD…`. Like `sudo` or `timeout`, they are removed so
//! the command itself is judged.

use super::step::{Step, drop_words, join, lit, skip_opts};
use super::{Origin, SimpleCommand, Word};

/// The step for `prog` when it is one of these programs; `None` otherwise.
pub(super) fn step(cmd: &SimpleCommand, prog: &str) -> Option<Step> {
    let argv = &cmd.argv;
    let valued: &[&str] = match prog {
        "strace" => &[
            "-o", "-e", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X", "-O", "-S",
        ],
        "ltrace" => &[
            "-o", "-e", "-s", "-u", "-n", "-l", "-a", "-A", "-D", "-x", "-L",
        ],
        "valgrind" | "eatmydata" | "nocache" | "catchsegv" | "chronic" | "dbus-run-session"
        | "firejail" | "setpriv" | "torify" => &[],
        "xvfb-run" => &["-n", "-s", "-f", "-e", "-p", "-w", "-l"],
        "unshare" => &[
            "-S", "-G", "-R", "-w", "--setuid", "--setgid", "--root", "--wd",
        ],
        "nsenter" => &[
            "-t", "-S", "-G", "-r", "-w", "--target", "--setuid", "--setgid",
        ],
        "prlimit" => &[],
        "numactl" => &["-N", "-m", "-C", "-i", "-p", "-P"],
        "cgexec" => &["-g"],
        "proxychains" | "proxychains4" => &["-f"],
        "torsocks" => &["-u", "-p", "-a", "-P", "-i"],
        "tsocks" => &[],
        "trickle" => &["-d", "-u", "-w", "-t", "-l", "-n"],
        "fakeroot" => &["-l", "-s", "-i", "-b", "--lib", "--faked"],
        "entr" => &[],
        "rlwrap" => &[
            "-a", "-b", "-C", "-D", "-e", "-f", "-g", "-H", "-I", "-l", "-m", "-M", "-O", "-p",
            "-P", "-q", "-s", "-S", "-t", "-w", "-z",
        ],
        "perf" => return perf(cmd),
        "bwrap" => return Some(bwrap(cmd)),
        "sg" => return Some(sg(cmd)),
        "start-stop-daemon" => return Some(start_stop_daemon(cmd)),
        "hyperfine" => return Some(hyperfine(argv)),
        "aiperture" => return aiperture_exec(cmd),
        _ => return None,
    };
    // Attaching to a running process (`strace -p PID`) runs no command.
    if matches!(prog, "strace" | "ltrace" | "prlimit")
        && argv
            .iter()
            .any(|w| matches!(lit(w), "-p" | "--pid") || lit(w).starts_with("--pid="))
    {
        return Some(Step::Done);
    }
    let i = skip_opts(argv, 1, valued, false);
    if i >= argv.len() {
        return Some(Step::Done);
    }
    Some(Step::Unwrapped(drop_words(cmd, i, prog)))
}

/// `aiperture exec [--] CMD…` runs CMD (gated, but a human's terminal answer or a learned
/// `aiperture *` must not stand in for judging CMD itself). Only a literal `exec` unwraps: a
/// subcommand named by a variable is left to the `aiperture` rules.
fn aiperture_exec(cmd: &SimpleCommand) -> Option<Step> {
    let argv = &cmd.argv;
    let sub = argv.get(1)?;
    if sub.dynamic || lit(sub) != "exec" {
        return None;
    }
    let i = if argv.get(2).is_some_and(|w| lit(w) == "--") {
        3
    } else {
        2
    };
    if i >= argv.len() {
        return Some(Step::Done);
    }
    Some(Step::Unwrapped(drop_words(cmd, i, "aiperture exec")))
}

/// `perf record|stat|trace|c2c|mem|sched [options] [--] CMD…`.
fn perf(cmd: &SimpleCommand) -> Option<Step> {
    let argv = &cmd.argv;
    let sub = argv.get(1).map(lit)?;
    if !matches!(
        sub,
        "record" | "stat" | "trace" | "c2c" | "mem" | "sched" | "kvm" | "lock"
    ) {
        return None;
    }
    let i = match argv.iter().position(|w| lit(w) == "--") {
        Some(dash) => dash + 1,
        None => skip_opts(
            argv,
            2,
            &[
                "-e", "-o", "-F", "-c", "-p", "-t", "-C", "-G", "-j", "-m", "-r", "-I", "-x", "-u",
                "-a", "-b", "-T",
            ],
            false,
        ),
    };
    if argv
        .iter()
        .any(|w| matches!(lit(w), "-p" | "-t" | "-a" | "--pid" | "--tid"))
        || i >= argv.len()
    {
        return Some(Step::Done);
    }
    Some(Step::Unwrapped(drop_words(cmd, i, "perf")))
}

/// `bwrap [options] [--] CMD…`: options take zero to three values.
fn bwrap(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with("--") {
            break;
        }
        i += 1 + match t {
            "--bind" | "--bind-try" | "--ro-bind" | "--ro-bind-try" | "--dev-bind"
            | "--dev-bind-try" | "--symlink" | "--setenv" | "--file" | "--bind-data"
            | "--ro-bind-data" | "--chmod" => 2,
            "--args" | "--userns" | "--userns2" | "--pidns" | "--uid" | "--gid" | "--hostname"
            | "--chdir" | "--unsetenv" | "--lock-file" | "--sync-fd" | "--remount-ro"
            | "--exec-label" | "--file-label" | "--proc" | "--dev" | "--tmpfs" | "--mqueue"
            | "--dir" | "--seccomp" | "--add-seccomp-fd" | "--block-fd" | "--userns-block-fd"
            | "--info-fd" | "--json-status-fd" | "--cap-add" | "--cap-drop" | "--perms"
            | "--size" | "--argv0" => 1,
            _ => 0,
        };
    }
    if i >= argv.len() {
        return Step::Done;
    }
    Step::Unwrapped(drop_words(cmd, i, "bwrap"))
}

/// `sg GROUP -c CMD` or `sg GROUP CMD`.
fn sg(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    match argv.get(2).map(lit) {
        Some("-c") => match argv.get(3) {
            Some(c) => Step::Nested(c.text.clone(), Origin::NestedShell, "sg".into()),
            None => Step::Done,
        },
        Some(_) => Step::Nested(join(&argv[2..]), Origin::NestedShell, "sg".into()),
        None => Step::Done,
    }
}

/// `start-stop-daemon --start --exec PROG [options] -- ARGS…` (also `--startas`).
fn start_stop_daemon(cmd: &SimpleCommand) -> Step {
    let argv = &cmd.argv;
    let mut program = None;
    for (i, w) in argv.iter().enumerate() {
        let t = lit(w);
        let value = match t {
            "-x" | "--exec" | "-a" | "--startas" => argv.get(i + 1).map(lit),
            _ => t
                .strip_prefix("--exec=")
                .or_else(|| t.strip_prefix("--startas=")),
        };
        if value.is_some() {
            program = value;
        }
    }
    let Some(program) = program else {
        return Step::Done;
    };
    let args = argv
        .iter()
        .position(|w| lit(w) == "--")
        .and_then(|d| argv.get(d + 1..))
        .map(join)
        .unwrap_or_default();
    Step::Nested(
        format!("{program} {args}").trim().to_string(),
        Origin::Detached,
        "start-stop-daemon".into(),
    )
}

/// `hyperfine [options] CMD…`: each operand, and `--prepare`/`--setup`/`--cleanup`/
/// `--conclude` values, is a shell command it runs many times.
fn hyperfine(argv: &[Word]) -> Step {
    let mut commands = Vec::new();
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        match t {
            "-p" | "--prepare" | "-s" | "--setup" | "-c" | "--cleanup" | "--conclude" => {
                commands.extend(argv.get(i + 1).map(|w| w.text.clone()));
                i += 2;
            }
            "-w"
            | "--warmup"
            | "-r"
            | "--runs"
            | "-m"
            | "--min-runs"
            | "-M"
            | "--max-runs"
            | "-S"
            | "--shell"
            | "-n"
            | "--command-name"
            | "-L"
            | "--parameter-list"
            | "-D"
            | "--parameter-step-size"
            | "--style"
            | "--sort"
            | "-u"
            | "--time-unit"
            | "--export-asciidoc"
            | "--export-csv"
            | "--export-json"
            | "--export-markdown"
            | "--export-orgmode"
            | "--output"
            | "--input" => i += 2,
            "-P" | "--parameter-scan" => i += 4,
            _ if t.starts_with('-') => i += 1,
            _ => {
                commands.push(w.text.clone());
                i += 1;
            }
        }
    }
    if commands.is_empty() {
        return Step::Done;
    }
    Step::Nested(commands.join("\n"), Origin::NestedShell, "hyperfine".into())
}
