//! Which files a shell command line runs, as written (pure: no I/O).

use super::{is_runner, literal, segment_of};
use crate::risk::Assessment;
use crate::shell::{self, SimpleCommand, Word};

/// The files a command line runs, per segment: each entry lists alternatives, of which the
/// first that exists is the one run (`make`'s default makefiles); paths are as written
/// (relative to the working directory, or to `make -C DIR`). Cheap when nothing can run a
/// file: the line is parsed again only when [`may_run_file`] says so.
pub fn executed_files(command: &str, a: &Assessment) -> Vec<(Option<usize>, Vec<String>)> {
    if !may_run_file(command, a) {
        return Vec::new();
    }
    let parsed = shell::parse(command);
    let mut out = Vec::new();
    for (i, cmd) in parsed.commands.iter().enumerate() {
        let files = runs(cmd);
        if files.is_empty() {
            continue;
        }
        let seg = segment_of(&parsed.commands, a, i);
        out.extend(files.into_iter().map(|f| (seg, f)));
    }
    out
}

/// True when a segment's program is a shell, an interpreter, `source` or `make`, or may have
/// been named by path (`./x.sh`, `/tmp/x`: the line holds `/` followed by the program's name,
/// compared in lower case as programs are resolved). `ls src/a` and `git status` are not.
pub fn may_run_file(command: &str, a: &Assessment) -> bool {
    if a.segments.iter().any(|s| is_runner(&s.program)) {
        return true;
    }
    if !command.contains('/') {
        return false;
    }
    let lower = command.to_lowercase();
    a.segments
        .iter()
        .any(|s| s.program.is_empty() || lower.contains(&format!("/{}", s.program)))
}

/// Where an interpreter takes its code from.
enum Source<'a> {
    /// A file operand.
    File(&'a Word),
    /// A `-c`/`-e` string or a module: no file.
    Code,
    /// Standard input.
    Stdin,
}

/// The files one simple command runs (each a list of alternatives).
fn runs(cmd: &SimpleCommand) -> Vec<Vec<String>> {
    let Some(first) = cmd.argv.first() else {
        return Vec::new();
    };
    let prog = cmd.program();
    let args = cmd.args();
    let source = if shell::is_shell(&prog) {
        operand(
            args,
            &["-o", "+o", "-O", "+O", "--rcfile", "--init-file"],
            |o| !o.starts_with("--") && o.contains('c'),
        )
    } else if prog.starts_with("python") || prog.starts_with("pypy") {
        operand(args, &["-W", "-X", "-Q"], |o| {
            !o.starts_with("--") && (o.contains('c') || o.contains('m'))
        })
    } else if prog == "node" || prog == "nodejs" {
        operand(
            args,
            &[
                "-r",
                "--require",
                "--import",
                "--loader",
                "-C",
                "--conditions",
            ],
            |o| {
                matches!(o, "--eval" | "--print")
                    || (!o.starts_with("--") && (o.contains('e') || o.contains('p')))
            },
        )
    } else if prog == "ruby" {
        operand(args, &["-I", "-r", "-C", "-E"], |o| {
            !o.starts_with("--") && o.contains('e')
        })
    } else if prog == "perl" {
        operand(args, &["-I"], |o| {
            !o.starts_with("--") && (o.contains('e') || o.contains('E'))
        })
    } else if prog == "source" || prog == "." {
        return args
            .first()
            .and_then(literal)
            .map(|p| vec![p])
            .into_iter()
            .collect();
    } else if prog == "make" || prog == "gmake" {
        return makefiles(args);
    } else {
        // A program named by path: `./x.sh`, `/tmp/x`, `bin/run`.
        return (first.text.contains('/') && !first.dynamic)
            .then(|| vec![first.text.clone()])
            .into_iter()
            .collect();
    };
    match source {
        Source::File(w) => literal(w).map(|p| vec![p]).into_iter().collect(),
        Source::Code => Vec::new(),
        Source::Stdin => cmd
            .redirects
            .iter()
            .rev()
            .find(|r| r.op == "<" && r.fd.as_deref().is_none_or(|fd| fd == "0"))
            .and_then(|r| literal(&r.target))
            .map(|p| vec![p])
            .into_iter()
            .collect(),
    }
}

/// An interpreter's first operand after its options: `takes_value` options skip the next
/// word, `code` options mean the code is given inline.
fn operand<'a>(args: &'a [Word], takes_value: &[&str], code: impl Fn(&str) -> bool) -> Source<'a> {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t == "--" {
            return args.get(i + 1).map_or(Source::Stdin, Source::File);
        }
        if t == "-" {
            return Source::Stdin;
        }
        let option = (t.starts_with('-') || t.starts_with('+')) && t.len() > 1;
        if !option {
            return Source::File(w);
        }
        if takes_value.contains(&t) {
            i += 2;
            continue;
        }
        if code(t) {
            return Source::Code;
        }
        i += 1;
    }
    Source::Stdin
}

/// The makefiles `make` reads: every `-f F` (relative to `-C DIR`), else the first of
/// `GNUmakefile`, `makefile`, `Makefile` in that directory.
fn makefiles(args: &[Word]) -> Vec<Vec<String>> {
    let mut dir: Option<String> = None;
    let mut files: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        let next = || args.get(i + 1).and_then(literal);
        let (value, step) = if t == "-f" || t == "--file" || t == "--makefile" {
            (next().map(|v| ("f", v)), 2)
        } else if t == "-C" || t == "--directory" {
            (next().map(|v| ("C", v)), 2)
        } else if let Some(v) = t
            .strip_prefix("--file=")
            .or_else(|| t.strip_prefix("--makefile="))
        {
            (Some(("f", v.to_string())), 1)
        } else if let Some(v) = t.strip_prefix("--directory=") {
            (Some(("C", v.to_string())), 1)
        } else if let Some(v) = t.strip_prefix("-f").filter(|v| !v.is_empty()) {
            (Some(("f", v.to_string())), 1)
        } else if let Some(v) = t.strip_prefix("-C").filter(|v| !v.is_empty()) {
            (Some(("C", v.to_string())), 1)
        } else {
            (None, 1)
        };
        match value {
            // `make -C a -C b` goes to a/b.
            Some(("C", v)) => {
                dir = Some(match dir {
                    Some(d) if !v.starts_with('/') => format!("{d}/{v}"),
                    _ => v,
                })
            }
            Some((_, v)) => files.push(v),
            None => {}
        }
        i += step;
    }
    let under = |f: &str| match &dir {
        Some(d) if !f.starts_with('/') => format!("{d}/{f}"),
        _ => f.to_string(),
    };
    if files.is_empty() {
        return vec![
            ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .map(|f| under(f))
                .collect(),
        ];
    }
    files.iter().map(|f| vec![under(f)]).collect()
}
