//! Shells: which programs are shells, the text they run (`bash -c TEXT` with any flag
//! cluster, a shell fed a heredoc, a here-string or a pipe) and shells that run their input's
//! text as commands under `xargs` or `find -exec`.

use super::fold::{code_text, downloads};
use super::step::{Step, lit};
use super::words::resolve_program;
use super::{Origin, SimpleCommand};

/// True for a shell whose `-c` code starts with the arguments it is given at run time, under
/// `xargs` or `find -exec` (`xargs -I{} sh -c '{}'`, `sh -c '"$1"' _ {}`): it runs its input's
/// text as commands, as piping a file into a shell does.
pub fn runs_input_as_code(cmd: &SimpleCommand) -> bool {
    if !cmd.implicit_args
        || !cmd
            .argv
            .first()
            .is_some_and(|w| is_shell(&resolve_program(lit(w))))
    {
        return false;
    }
    let Some(c) = cmd.argv.iter().position(|w| {
        let t = lit(w);
        t == "-c" || (t.starts_with('-') && !t.starts_with("--") && t.contains('c'))
    }) else {
        return false;
    };
    cmd.argv.get(c + 1).is_some_and(|code| {
        let head = code.text.trim_start().trim_start_matches(['"', '\'']);
        ["{}", "$1", "$@", "$*", "${1}", "${@}", "eval"]
            .iter()
            .any(|p| head.starts_with(p))
    })
}

/// Shells whose `-c` text or standard input we parse.
pub fn is_shell(p: &str) -> bool {
    matches!(
        p,
        "sh" | "bash"
            | "zsh"
            | "dash"
            | "ksh"
            | "mksh"
            | "ash"
            | "fish"
            | "csh"
            | "tcsh"
            | "yash"
            | "busybox-sh"
    )
}

/// `bash -c TEXT`, `sh -ec TEXT`, `bash -s <<EOF`, `echo cmd | sh`.
pub(super) fn shell_wrapper(cmd: &SimpleCommand, prog: &str) -> Step {
    let argv = &cmd.argv;
    let mut i = 1;
    let mut has_c = false;
    let mut stdin_script = false;
    while let Some(w) = argv.get(i) {
        let t = lit(w);
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-o" || t == "+o" || t == "-O" || t == "+O" || t == "--rcfile" || t == "--init-file"
        {
            i += 2;
            continue;
        }
        if t == "--command" {
            has_c = true;
            i += 1;
            break;
        }
        if let Some(flags) = t.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            if flags.contains('c') {
                has_c = true;
            }
            if flags.contains('s') {
                stdin_script = true;
            }
            i += 1;
            if has_c {
                break;
            }
            continue;
        }
        if t.starts_with("--") || t.starts_with('+') {
            i += 1;
            continue;
        }
        break;
    }
    if has_c {
        return match argv.get(i) {
            Some(text) => {
                let mut dynamic = false;
                let code = code_text(text, &mut dynamic);
                // `xargs -I{} sh -c '{}'`: the code is the input's text; the shell is left for
                // the classifier to rate as such (see `runs_input_as_code`).
                if runs_input_as_code(cmd) {
                    return Step::Done;
                }
                let name = if dynamic && downloads(&text.raw) {
                    format!("{prog} -c (download)")
                } else if dynamic {
                    format!("{prog} -c (dynamic)")
                } else {
                    format!("{prog} -c")
                };
                Step::Nested(code, Origin::NestedShell, name)
            }
            None => Step::Done,
        };
    }
    let script_arg = argv.get(i).is_some() && !stdin_script;
    if !script_arg && let Some(text) = &cmd.stdin_text {
        return Step::Nested(text.clone(), Origin::ShellStdin, format!("{prog} <stdin"));
    }
    Step::Done
}
