//! Options and environment variables that swap the code a command runs.
//!
//! `make -f /tmp/x.mk`, `npm test --script-shell=/tmp/x.sh`, `cargo test --config
//! 'target.x.runner="/tmp/x"'`, `pytest -p /tmp/plugin`, `git rebase -x CMD`, `rg --pre CMD`,
//! `sort -o ~/.bashrc`, `RUSTC_WRAPPER=/tmp/x cargo test`: each runs code, or writes a file,
//! that the words a human approved do not show. [`find`] reads the table in [`table`] (data,
//! one row per option) and reports every such option a simple command carries; [`judge`] rates
//! them: never generalized into a pattern, and no pattern ever matches a command carrying one
//! (`pattern::pattern_safe`), at least MEDIUM, HIGH when the value points outside the project
//! (temp, home, elsewhere), a named file judged as a write and a named command judged as a
//! command. [`var`] answers the same for environment variables.

mod judge;
mod table;
mod vars;

pub(super) use judge::{judge, judge_value};

use crate::shell::{SimpleCommand, Word};

/// The `subcommands` marker for options that are only global: they stand before the
/// subcommand (`git -c k=v status`, where `git log -c` means something else).
pub(super) const GLOBALS: &str = "<globals>";

/// What an option or variable changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// Which code, config, plugin, shell, interpreter, wrapper or makefile is loaded.
    Code,
    /// Which project directory or manifest the program works on.
    Project,
    /// Where packages, modules or API calls go (a registry, index, proxy or endpoint).
    Registry,
    /// Its value is a command line that the program runs.
    Runs,
    /// Its value is a file or directory the program writes.
    Writes,
    /// Its value is code given inline.
    Inline,
    /// It changes the machine's own settings (its clock, its name).
    System,
}

impl Swap {
    /// The factor raised for it.
    pub fn factor(self) -> &'static str {
        match self {
            Swap::Code => "swaps_code",
            Swap::Project => "swaps_project",
            Swap::Registry => "swaps_registry",
            Swap::Runs => "runs_by_option",
            Swap::Writes => "writes_by_option",
            Swap::Inline => "inline_code_option",
            Swap::System => "changes_system",
        }
    }

    fn says(self) -> &'static str {
        match self {
            Swap::Code => "changes which code, config or plugin it loads",
            Swap::Project => "points it at another project directory",
            Swap::Registry => "changes where it gets packages or sends requests",
            Swap::Runs => "makes it run a command",
            Swap::Writes => "makes it write a file",
            Swap::Inline => "gives it code to run",
            Swap::System => "makes it change the machine's settings",
        }
    }
}

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value {
    /// The next word, `--name=value`, or glued to a short option (`-fFILE`).
    Next,
    /// Only attached (`-Opager`, `--name=value`, `-javaagent:x.jar`); alone it has none.
    Attached,
    /// No value (a switch, or a subcommand verb such as `npm exec`: the rest of the words).
    None,
    /// The rest of the words are its value (`fd -x rm {}`: a command line).
    Rest,
}

/// One option of a program.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opt {
    pub name: &'static str,
    pub swap: Swap,
    pub value: Value,
}

/// The options of a group of programs, for some subcommands (empty: all).
#[derive(Debug, Clone, Copy)]
pub(super) struct ProgramOptions {
    pub programs: &'static [&'static str],
    pub subcommands: &'static [&'static str],
    /// Short options may be bundled (`make -sf x.mk`, `sort -uo out`).
    pub clusters: bool,
    pub options: &'static [Opt],
}

/// One environment variable (or `PREFIX*`).
#[derive(Debug, Clone, Copy)]
pub struct Var {
    /// The name, or a prefix ending in `*`.
    pub name: &'static str,
    /// What it changes.
    pub swap: Swap,
    /// Loader, shell start-up or language preload: HIGH wherever it points.
    pub loader: bool,
}

impl Var {
    const fn loader(name: &'static str) -> Var {
        Var {
            name,
            swap: Swap::Code,
            loader: true,
        }
    }
    const fn code(name: &'static str) -> Var {
        Var {
            name,
            swap: Swap::Code,
            loader: false,
        }
    }
    const fn registry(name: &'static str) -> Var {
        Var {
            name,
            swap: Swap::Registry,
            loader: false,
        }
    }
    const fn project(name: &'static str) -> Var {
        Var {
            name,
            swap: Swap::Project,
            loader: false,
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.name,
        }
    }
}

/// The table row for an environment variable, if it changes what programs run.
/// Case-sensitive except that upper-case spellings of `npm_config_*` are in the table too.
pub fn var(name: &str) -> Option<&'static Var> {
    vars::VARS.iter().find(|v| v.matches(name))
}

/// A code-swapping option found in a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The option as the table spells it (`--script-shell`, `-f`, `exec`, `SHELL=`).
    pub option: String,
    /// What it changes.
    pub swap: Swap,
    /// Its value, when it has one (a command line for [`Swap::Runs`] verbs: the rest).
    pub value: Option<Word>,
}

/// Most hits reported for one command.
const MAX_HITS: usize = 16;

/// Every code-swapping option `cmd` carries (at most 16), in order.
pub fn find(cmd: &SimpleCommand) -> Vec<Hit> {
    let mut hits = find_all(cmd);
    hits.truncate(MAX_HITS);
    hits
}

/// [`find`] over the command's program and the program a runner starts.
fn find_all(cmd: &SimpleCommand) -> Vec<Hit> {
    let mut hits = find_in(cmd);
    // The program a runner starts (`python -m pytest`, `uv run pytest`, `npx eslint`) has its
    // own options: `python -m pytest -p /tmp/x` is `pytest -p /tmp/x`.
    if let Some(inner) = inner_program(cmd) {
        hits.extend(find_in(&inner));
    }
    hits
}

/// Options a runner takes with a value, skipped when looking for the program it runs.
const RUNNER_VALUED: &[&str] = &[
    "--with",
    "--python",
    "-p",
    "--package",
    "--from",
    "--directory",
    "--project",
    "--env-file",
    "-c",
    "--call",
    "--cwd",
    "-C",
    "--dir",
    "--index",
    "--index-url",
    "--extra-index-url",
];

/// The program a runner starts, as a command of its own (its words and the rest).
fn inner_program(cmd: &SimpleCommand) -> Option<SimpleCommand> {
    let prog = cmd.program();
    let args = cmd.args();
    let words: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let after = |skip: usize| -> Option<usize> {
        let mut i = skip;
        while let Some(w) = words.get(i) {
            if *w == "--" {
                return Some(i + 1).filter(|k| *k < words.len());
            }
            if !w.starts_with('-') {
                return Some(i);
            }
            i += if RUNNER_VALUED.contains(w) { 2 } else { 1 };
        }
        None
    };
    let start = match prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.') {
        "python" | "pypy" => {
            let m = words.iter().position(|w| *w == "-m")?;
            m + 1
        }
        "npx" | "bunx" | "pnpx" | "uvx" | "pipx"
            if prog != "pipx" || words.first() == Some(&"run") =>
        {
            after(usize::from(prog == "pipx"))?
        }
        "uv" | "poetry" | "pdm" | "hatch" | "rye" if words.first() == Some(&"run") => after(1)?,
        "pnpm" | "yarn" | "bun" | "npm"
            if matches!(words.first(), Some(&("exec" | "dlx" | "x"))) =>
        {
            after(1)?
        }
        // `yarn eslint …`, `pnpm vitest …`: a name that is no subcommand of theirs runs that
        // binary (a subcommand such as `add` has no rows, so looking costs nothing).
        "pnpm" | "yarn" | "bun" => after(usize::from(words.first() == Some(&"run")))?,
        _ => return None,
    };
    let mut inner = cmd.clone();
    inner.argv = args.get(start..)?.to_vec();
    (!inner.argv.is_empty() && inner.program() != prog).then_some(inner)
}

/// The code-swapping options of one command's own program.
fn find_in(cmd: &SimpleCommand) -> Vec<Hit> {
    let prog = cmd.program();
    let args = cmd.args();
    let mut hits = Vec::new();
    if args.is_empty() && !cmd.implicit_args {
        return hits;
    }
    special(&prog, args, cmd.implicit_args, &mut hits);
    for row in table::PROGRAMS
        .iter()
        .filter(|r| r.programs.contains(&prog.as_str()))
    {
        let Some(range) = scope_of(row, &prog, cmd) else {
            continue;
        };
        scan(args, range, row.options, row.clusters, false, &mut hits);
    }
    if any_program_options_apply(&prog) {
        scan(
            args,
            0..args.len(),
            table::ANY_PROGRAM,
            false,
            true,
            &mut hits,
        );
    }
    // Uses that swap nothing, judged against the program the option belongs to.
    hits.retain(|h| !benign(&prog, h));
    hits.truncate(MAX_HITS);
    hits
}

/// Whether the options every program may have (`--config`, `--plugin`, …) are looked for in
/// `prog`'s arguments: not for read-only programs (`ls --config x` loads nothing).
pub fn any_program_options_apply(prog: &str) -> bool {
    !super::readonly::is_read_only(prog)
}

/// The first code-swapping option `cmd` carries, if any (the pattern matcher's test).
pub fn first(cmd: &SimpleCommand) -> Option<Hit> {
    find(cmd).into_iter().next()
}

/// Which argument indexes a row's options are looked for in (`None`: the row does not apply).
fn scope_of(
    row: &ProgramOptions,
    prog: &str,
    cmd: &SimpleCommand,
) -> Option<std::ops::Range<usize>> {
    let n = cmd.args().len();
    if row.subcommands.is_empty() {
        return Some(0..n);
    }
    // The subcommand's index among args (argv minus the program).
    let sub_at = if prog == "git" {
        super::rules_git::subcommand_index(cmd).1.map(|i| i - 1)
    } else {
        cmd.args().iter().position(|w| !w.text.starts_with('-'))
    };
    if row.subcommands == [GLOBALS] {
        return Some(0..sub_at.unwrap_or(n));
    }
    if let [sub, marker] = row.subcommands
        && *marker == GLOBALS
    {
        // Options of a subcommand that has its own subcommands (`docker compose -f x ps`):
        // between the two.
        let at = sub_at?;
        if cmd.args().get(at).map(|w| w.text.as_str()) != Some(*sub) {
            return None;
        }
        let next = cmd
            .args()
            .iter()
            .skip(at + 1)
            .position(|w| !w.text.starts_with('-'))
            .map(|p| p + at + 1)
            .unwrap_or(n);
        return Some(at + 1..next);
    }
    let at = sub_at?;
    let sub = cmd.args().get(at)?;
    row.subcommands
        .contains(&sub.text.as_str())
        .then_some(at + 1..n)
}

/// Looks for `options` among `args[range]`.
fn scan(
    args: &[Word],
    range: std::ops::Range<usize>,
    options: &[Opt],
    clusters: bool,
    require_value: bool,
    hits: &mut Vec<Hit>,
) {
    let first_positional = args
        .get(range.clone())
        .and_then(|ws| ws.iter().position(|w| !w.text.starts_with('-')))
        .map(|p| p + range.start);
    let mut i = range.start;
    while i < range.end && hits.len() < MAX_HITS {
        let Some(w) = args.get(i) else { break };
        let t = w.text.as_str();
        // Words after `--` are looked at too: `npm test -- --config x` hands them to a test
        // runner that loads that file.
        for o in options {
            if let Some(value) = matches_option(o, t, args, i, first_positional, clusters, w) {
                // `brew --config` prints; only `--config VALUE` loads something.
                if require_value && value.as_ref().is_none_or(|v| v.text.starts_with('-')) {
                    break;
                }
                hits.push(Hit {
                    option: o.name.to_string(),
                    swap: o.swap,
                    value,
                });
                break;
            }
        }
        i += 1;
    }
}

/// Whether word `t` (at `i`) is option `o`; `Some(value)` when it is.
fn matches_option(
    o: &Opt,
    t: &str,
    args: &[Word],
    i: usize,
    first_positional: Option<usize>,
    clusters: bool,
    w: &Word,
) -> Option<Option<Word>> {
    let next = || args.get(i + 1).cloned();
    let rest_from = |k: usize| {
        let words: Vec<&str> = args
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .map(|w| w.text.as_str())
            .skip_while(|w| *w == "--")
            .collect();
        Word {
            text: words.join(" "),
            raw: words.join(" "),
            dynamic: args.get(k..).unwrap_or(&[]).iter().any(|w| w.dynamic),
            substitution: false,
        }
    };
    let glued = |v: &str| Word {
        text: v.to_string(),
        raw: v.to_string(),
        dynamic: w.dynamic,
        substitution: w.substitution,
    };
    let name = o.name;
    if !name.starts_with('-') {
        // A subcommand verb (`npm exec`, `git submodule foreach`): only as the first operand.
        return (first_positional == Some(i) && t == name).then(|| Some(rest_from(i + 1)));
    }
    match o.value {
        Value::None => (t == name).then_some(None),
        Value::Rest => (t == name).then(|| Some(rest_from(i + 1))),
        Value::Attached => {
            if t == name {
                return Some(None);
            }
            let v = t.strip_prefix(name)?;
            if name.ends_with(['=', ':', '.']) {
                return Some(Some(glued(v)));
            }
            let v = v
                .strip_prefix('=')
                .or_else(|| (!name.starts_with("--")).then_some(v))?;
            Some(Some(glued(v)))
        }
        Value::Next => {
            if t == name {
                return Some(next());
            }
            if let Some(v) = t.strip_prefix(name) {
                if let Some(v) = v.strip_prefix('=') {
                    return Some(Some(glued(v)));
                }
                let short = name.len() == 2 && !name.starts_with("--");
                if short && !v.is_empty() {
                    return Some(Some(glued(v)));
                }
            }
            if clusters && name.len() == 2 && !name.starts_with("--") {
                let letter = name.chars().nth(1)?;
                let letters = t.strip_prefix('-').filter(|l| !l.starts_with('-'))?;
                let at = letters.find(letter)?;
                let before = letters.get(..at)?;
                if !before.chars().all(|c| c.is_ascii_alphabetic()) {
                    return None;
                }
                let after = letters.get(at + letter.len_utf8()..).unwrap_or("");
                return Some(if after.is_empty() {
                    next()
                } else {
                    Some(glued(after))
                });
            }
            None
        }
    }
}

/// Programs whose swapping words are not options: make's variable overrides, xxd's, uniq's
/// and split's output operands, trap's action, hostname's new name, archivers that extract
/// and compressors that replace files in place.
fn special(prog: &str, args: &[Word], implicit_args: bool, hits: &mut Vec<Hit>) {
    match prog {
        "make" | "gmake" | "bmake" | "remake" => {
            for w in args.iter().take(64) {
                let Some((name, value)) = w.text.split_once('=') else {
                    continue;
                };
                if w.text.starts_with('-') || !make_variable_name(name) {
                    continue;
                }
                let command_like = var(name).is_some()
                    || value.contains(['/', ' ', '\t', '$', '`', ';', '|', '&'])
                    || name.ends_with("SHELLFLAGS");
                if command_like {
                    hits.push(Hit {
                        option: format!("{name}="),
                        swap: Swap::Code,
                        value: Some(Word {
                            text: value.to_string(),
                            raw: value.to_string(),
                            dynamic: w.dynamic,
                            substitution: w.substitution,
                        }),
                    });
                }
            }
        }
        "xxd" => {
            let operands: Vec<&Word> = args
                .iter()
                .filter(|w| !w.text.starts_with('-') || w.text == "-")
                .collect();
            // Values of -c/-g/-l/-o/-s/-n are counted as operands here only when glued; a
            // separate numeric value is not a path anyway, so look for the last operand.
            let files: Vec<&&Word> = operands
                .iter()
                .filter(|w| !w.text.chars().all(|c| c.is_ascii_digit() || c == 'x'))
                .collect();
            if files.len() >= 2
                && let Some(out) = files.get(1)
            {
                hits.push(Hit {
                    option: "outfile".into(),
                    swap: Swap::Writes,
                    value: Some((**out).clone()),
                });
            }
        }
        "uniq" | "split" => {
            // `uniq IN OUT` writes OUT; `split IN PREFIX` writes PREFIXaa, PREFIXab, …
            let ops: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
            if prog == "uniq"
                && let Some(out) = ops.get(1)
            {
                hits.push(written(out, "outfile"));
            } else if prog == "split" {
                hits.push(match ops.get(1) {
                    Some(prefix) => written(prefix, "prefix"),
                    None => Hit {
                        option: "split".into(),
                        swap: Swap::Writes,
                        value: None,
                    },
                });
            }
        }
        "hostname"
            if args.iter().any(|w| {
                !w.text.starts_with('-')
                    || matches!(w.text.as_str(), "-F" | "--file" | "-b" | "--boot")
            }) =>
        {
            hits.push(Hit {
                option: "hostname".into(),
                swap: Swap::System,
                value: args.iter().find(|w| !w.text.starts_with('-')).cloned(),
            });
        }
        "tar" | "gtar" | "bsdtar" => {
            // Extracting writes the archive's files (where the archive says, under the working
            // directory or `-C`): `tar xf a.tar`, `tar -xzf`, `tar --extract`.
            let first = args.first().map(|w| w.text.as_str()).unwrap_or("");
            let old_style = !first.starts_with('-')
                && first.contains('x')
                && first.chars().all(|c| c.is_ascii_alphabetic());
            let extracts = old_style
                || args.iter().any(|w| {
                    let t = w.text.as_str();
                    matches!(t, "--extract" | "--get")
                        || (t.starts_with('-') && !t.starts_with("--") && t.contains('x'))
                });
            if extracts {
                hits.push(Hit {
                    option: "extract".into(),
                    swap: Swap::Writes,
                    value: None,
                });
            }
        }
        "unzip" | "7z" | "7za" | "unrar" => {
            let lists = args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "-l" | "-t" | "-v" | "-p" | "-Z" | "-z" | "l" | "t"
                )
            });
            if !lists {
                hits.push(Hit {
                    option: "extract".into(),
                    swap: Swap::Writes,
                    value: None,
                });
            }
        }
        "gzip" | "gunzip" | "bzip2" | "bunzip2" | "xz" | "unxz" | "zstd" | "unzstd" | "lz4"
        | "compress" | "uncompress" => {
            // They replace each file named with its (de)compressed form unless told to write
            // to standard output or only to test or list.
            let to_stdout = args.iter().any(|w| {
                let t = w.text.as_str();
                matches!(
                    t,
                    "--stdout" | "--to-stdout" | "--list" | "--test" | "--help" | "--version"
                ) || (t.starts_with('-')
                    && !t.starts_with("--")
                    && t.contains(['c', 'l', 't', 'h', 'V']))
            });
            // Files given at run time (`xargs gzip`, `parallel gzip ::: …`) count too.
            let files = implicit_args || args.iter().any(|w| !w.text.starts_with('-'));
            if files && !to_stdout {
                hits.push(Hit {
                    option: "in place".into(),
                    swap: Swap::Writes,
                    value: None,
                });
            }
        }
        "trap" => {
            let ops: Vec<&Word> = args
                .iter()
                .skip_while(|w| w.text == "--")
                .filter(|w| !matches!(w.text.as_str(), "-p" | "-l" | "-P"))
                .collect();
            if ops.len() >= 2
                && let Some(action) = ops.first()
                && action.text != "-"
                && !action.text.is_empty()
            {
                hits.push(Hit {
                    option: "action".into(),
                    swap: Swap::Runs,
                    value: Some((*action).clone()),
                });
            }
        }
        _ => {}
    }
}

/// A hit for an operand the program writes.
fn written(w: &Word, what: &str) -> Hit {
    Hit {
        option: what.to_string(),
        swap: Swap::Writes,
        value: Some(w.clone()),
    }
}

fn make_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Uses of a table option that swap nothing: `pytest -p no:NAME` disables a plugin; a
/// formatter named by a plain word is one shipped with the linter.
pub(super) fn benign(prog: &str, hit: &Hit) -> bool {
    let v = hit.value.as_ref().map(|v| v.text.as_str()).unwrap_or("");
    let plain_name = !v.is_empty()
        && !hit.value.as_ref().is_some_and(|w| w.dynamic)
        && !v.contains(['/', '\\', '~', '$'])
        && !v.starts_with('.');
    // Standard output is no file.
    if hit.swap == Swap::Writes && matches!(v, "-" | "/dev/stdout" | "/dev/stderr" | "/dev/null") {
        return true;
    }
    // A registry or interpreter named by a configured name or version, not a URL or path.
    if matches!(hit.swap, Swap::Registry) && plain_name && !v.contains("://") {
        return true;
    }
    if matches!(hit.option.as_str(), "--python" | "-p")
        && matches!(prog, "uv" | "uvx" | "pipx" | "poetry" | "pdm" | "hatch")
        && plain_name
    {
        return true;
    }
    match (prog, hit.option.as_str()) {
        ("pytest" | "py.test", "-p") => v.starts_with("no:"),
        ("eslint" | "stylelint", "-f" | "--format") => {
            !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        _ => false,
    }
}

/// One option of the table, for the documentation and the property tests.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The program (`*`: any program that is not read-only).
    pub program: &'static str,
    /// The subcommands it applies to (empty: all; `<globals>`: before the subcommand).
    pub subcommands: &'static [&'static str],
    /// The option as spelled (a word without `-` is a subcommand verb).
    pub option: &'static str,
    /// What it changes.
    pub swap: Swap,
    /// Whether it takes a value.
    pub takes_value: bool,
}

/// Every option of the table, and every variable.
pub fn table_rows() -> (Vec<Row>, Vec<&'static Var>) {
    let mut opts = Vec::new();
    for row in table::PROGRAMS {
        for p in row.programs {
            for o in row.options {
                opts.push(Row {
                    program: p,
                    subcommands: row.subcommands,
                    option: o.name,
                    swap: o.swap,
                    takes_value: o.value != Value::None,
                });
            }
        }
    }
    for o in table::ANY_PROGRAM {
        opts.push(Row {
            program: "*",
            subcommands: &[],
            option: o.name,
            swap: o.swap,
            takes_value: o.value != Value::None,
        });
    }
    (opts, vars::VARS.iter().collect())
}

#[cfg(test)]
mod tests;
