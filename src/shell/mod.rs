//! Shell front end: parses a command string into its simple commands (pure, no I/O).
//!
//! [`parse`] runs tree-sitter-bash over the text, walks the tree iteratively (no recursion on
//! input-controlled depth), and returns every simple command that would run: those in lists
//! and pipelines, inside `$( )`, backticks and process substitution, in function bodies, and,
//! after [`unwrap`], the commands hidden behind wrappers (`sudo`, `env`, `timeout`, `xargs`,
//! …), nested shells (`bash -c`, `eval`, `su -c`, `ssh host cmd`, a heredoc or pipe fed to a
//! shell) and `find -exec`. Arguments are kept as data: nothing in an `echo` text, a commit
//! message or a quoted heredoc becomes a command. The parser knows no policy.

mod continuation;
mod fold;
mod repair;
mod runners;
mod sessions;
mod shells;
mod step;
mod unwrap;
mod walk;
mod words;

pub use shells::{is_shell, runs_input_as_code};
pub use words::{quote_word, resolve_program, runs_by_path, unescape_ansi_c};

/// Longest command text we parse; longer input is reported as [`Limit::TooLong`].
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// Deepest nesting of substitutions, nested shells and wrappers we follow.
pub const MAX_DEPTH: usize = 12;
/// Most simple commands we return for one input.
pub const MAX_COMMANDS: usize = 512;
/// Most bytes handed to the parser for one input, nested texts included (`eval eval …`
/// re-parses its words at every level): past it, analysis stops as [`Limit::TooDeep`].
pub const MAX_PARSED_BYTES: usize = 2 * MAX_INPUT_BYTES;

/// One shell word: its literal value (quotes removed) and whether it depends on expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    /// The value after quote removal; expansions are kept as written (`$HOME/x`).
    pub text: String,
    /// The word as written in the source.
    pub raw: String,
    /// True when the value depends on a parameter, arithmetic or command expansion.
    pub dynamic: bool,
    /// True when the word contains a command or process substitution.
    pub substitution: bool,
}

impl Word {
    /// A literal word (no expansion).
    pub fn literal(text: &str) -> Self {
        Word {
            text: text.to_string(),
            raw: quote_word(text),
            dynamic: false,
            substitution: false,
        }
    }
}

/// One redirection of a simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The operator: `>`, `>>`, `<`, `&>`, `>&`, `<<`, `<<<`, `>|`, `<>`, …
    pub op: String,
    /// The file descriptor written before the operator, if any.
    pub fd: Option<String>,
    /// The target word (for heredocs: the delimiter).
    pub target: Word,
}

impl Redirect {
    /// True when the redirection writes to its target (`>`, `>>`, `&>`, `>|`, `<>`, …)
    /// rather than reading or duplicating a descriptor.
    pub fn writes(&self) -> bool {
        let op = self.op.as_str();
        let dup = (op == ">&" || op == "<&" || op == ">&-")
            && (self.target.text.chars().all(|c| c.is_ascii_digit()) || self.target.text == "-");
        !dup && op.contains('>')
    }
}

/// How a simple command was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written directly in the command line (a list, pipeline, subshell, function body…).
    Direct,
    /// Inside `$( )`, backticks or process substitution.
    Substitution,
    /// The text of `bash -c`, `sh -c`, `su -c`, `watch`, `env -S`, `flock -c`.
    NestedShell,
    /// The arguments of `eval`.
    Eval,
    /// A remote command of `ssh host cmd`.
    Remote,
    /// A heredoc, here-string or piped text fed to a shell as its script.
    ShellStdin,
    /// The command of `find -exec/-execdir/-ok`.
    FindExec,
    /// The command of `xargs`.
    Xargs,
    /// A command started in a terminal or session that outlives the call (`tmux new -d`,
    /// `screen -dm`, `dtach`, `abduco`, `systemd-run`).
    Detached,
    /// Text typed into another terminal session or fed to a program by an automation script
    /// (`tmux send-keys`, `screen -X stuff`, `expect -c 'spawn …'`).
    Typed,
}

impl Origin {
    /// A short name used in factors and explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Direct => "direct",
            Origin::Substitution => "substitution",
            Origin::NestedShell => "nested_shell",
            Origin::Eval => "eval",
            Origin::Remote => "remote",
            Origin::ShellStdin => "shell_stdin",
            Origin::FindExec => "find_exec",
            Origin::Xargs => "xargs",
            Origin::Detached => "detached",
            Origin::Typed => "typed",
        }
    }
}

/// One simple command after unwrapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    /// The outermost command's text as written (for display).
    pub source: String,
    /// `NAME=value` assignments written before the command (and `env` assignments).
    pub assignments: Vec<(String, Word)>,
    /// The arguments, program first, after unwrapping wrappers. Empty for a bare
    /// assignment or redirection.
    pub argv: Vec<Word>,
    /// The wrappers removed, outermost first (`sudo`, `env`, `timeout`, `bash -c`, …).
    pub wrappers: Vec<String>,
    /// The redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Text fed to standard input by a heredoc, a here-string or a pipe from `echo`/`printf`.
    pub stdin_text: Option<String>,
    /// True when standard input comes from an earlier pipeline stage.
    pub piped_stdin: bool,
    /// Programs of the previous pipeline stage (resolved names).
    pub upstream: Vec<String>,
    /// True when the command runs in the background (`&`).
    pub background: bool,
    /// True when the command receives extra arguments at run time (`xargs`, `find -exec {}`).
    pub implicit_args: bool,
    /// For `find -exec`: the directories `find` searches (the `{}` targets live under them).
    pub implicit_roots: Vec<Word>,
    /// How the command was reached.
    pub origin: Option<Origin>,
    /// Nesting depth (0 = top level).
    pub depth: usize,
    /// The enclosing function's name, for commands in a function body.
    pub in_function: Option<String>,
}

impl SimpleCommand {
    /// The resolved program name (`rm` for `/bin/rm`, `\rm`, `"rm"`), lower-cased; empty if none.
    pub fn program(&self) -> String {
        self.argv
            .first()
            .map(|w| resolve_program(&w.text))
            .unwrap_or_default()
    }

    /// True when the program is a file named by its path (`./git`, `bin/test`), not a
    /// program looked up on `PATH` or in a system directory; see [`runs_by_path`].
    pub fn program_by_path(&self) -> bool {
        self.argv
            .first()
            .is_some_and(|w| !w.dynamic && runs_by_path(&w.text))
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[Word] {
        self.argv.get(1..).unwrap_or(&[])
    }

    /// The command normalized for display and pattern matching: privilege wrappers kept as a
    /// prefix, other wrappers dropped, words re-quoted, redirections appended.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for w in &self.wrappers {
            if unwrap::is_privilege_wrapper(w) {
                parts.push(w.clone());
            }
        }
        for (name, value) in &self.assignments {
            parts.push(format!("{name}={}", value.raw));
        }
        for (i, w) in self.argv.iter().enumerate() {
            if i == 0 && !w.dynamic {
                parts.push(quote_word(&resolve_display_program(&w.text)));
            } else if w.dynamic || (w.raw == w.text && !w.raw.is_empty() && is_bare(&w.raw)) {
                // As written: keeps `~` and globs meaning what they meant.
                parts.push(w.raw.clone());
            } else {
                parts.push(quote_word(&w.text));
            }
        }
        for r in &self.redirects {
            if r.op.starts_with("<<") {
                continue;
            }
            let fd = r.fd.clone().unwrap_or_default();
            let target = if r.target.dynamic {
                r.target.raw.clone()
            } else {
                quote_word(&r.target.text)
            };
            parts.push(format!("{fd}{}{target}", r.op));
        }
        parts.join(" ")
    }
}

/// A word that reads the same unquoted (no quoting, escapes or operators).
fn is_bare(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '\'' | '"'
                    | '\\'
                    | '$'
                    | '`'
                    | ';'
                    | '&'
                    | '|'
                    | '<'
                    | '>'
                    | '('
                    | ')'
                    | '{'
                    | '}'
                    | '#'
            )
    })
}

/// Program names are shown as their basename (`/usr/bin/git` → `git`) in their own case; a
/// file named by its path (`./git`) keeps its path, since it is not that program.
fn resolve_display_program(text: &str) -> String {
    let t = text.trim_start_matches('\\');
    if runs_by_path(t) {
        return t.to_string();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Why analysis stopped short of the whole input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The input is longer than [`MAX_INPUT_BYTES`].
    TooLong,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_COMMANDS`] simple commands.
    TooMany,
}

impl Limit {
    /// A short name used in factors.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::TooLong => "command_too_long",
            Limit::TooDeep => "nesting_too_deep",
            Limit::TooMany => "too_many_commands",
        }
    }
}

/// A function defined in the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    /// True when its body calls itself in a pipeline or in the background (a fork bomb).
    pub self_spawning: bool,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Every simple command, in source order of discovery.
    pub commands: Vec<SimpleCommand>,
    /// True when the parser found a syntax error (analysis is partial).
    pub parse_error: bool,
    /// Set when a limit stopped the analysis.
    pub limit: Option<Limit>,
    /// Functions defined in the command line.
    pub functions: Vec<FunctionDef>,
    /// Bytes handed to the parser in all, the line's and every nested text's (the risk
    /// classifier charges them to its work budget).
    pub parsed_bytes: usize,
}

/// Parses `command` into its simple commands, unwrapping wrappers and nested shells.
/// Never panics; bounded by [`MAX_INPUT_BYTES`], [`MAX_DEPTH`] and [`MAX_COMMANDS`].
pub fn parse(command: &str) -> Parsed {
    if command.len() > MAX_INPUT_BYTES {
        return Parsed {
            limit: Some(Limit::TooLong),
            ..Parsed::default()
        };
    }
    memo::parsed(command, parse_uncached)
}

/// One check parses its command in several places (the risk rating, a learned pattern's match,
/// the read-only baseline); the parse is a pure function of the text, so each thread keeps its
/// last few results and the tree-sitter parser itself.
mod memo {
    use super::Parsed;
    use std::cell::RefCell;

    /// Results kept per thread: enough for a check's command and the commands nested in it.
    const KEPT: usize = 4;

    thread_local! {
        static RECENT: RefCell<Vec<(String, Parsed)>> = const { RefCell::new(Vec::new()) };
        static PARSER: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
    }

    /// `command`'s parse: a copy of a recent result, else `parse(command, parser)`'s, kept.
    pub(super) fn parsed(
        command: &str,
        parse: fn(&str, &mut tree_sitter::Parser) -> Parsed,
    ) -> Parsed {
        let hit = RECENT.with(|r| {
            r.try_borrow().ok().and_then(|r| {
                r.iter()
                    .find(|(text, _)| text == command)
                    .map(|(_, p)| p.clone())
            })
        });
        if let Some(p) = hit {
            return p;
        }
        let out = with_parser(|parser| parse(command, parser));
        RECENT.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                if r.len() >= KEPT {
                    r.remove(0);
                }
                r.push((command.to_string(), out.clone()));
            }
        });
        out
    }

    /// Runs `f` with this thread's parser (a fresh one when it is in use: a parse inside a
    /// parse never shares it).
    fn with_parser(f: impl FnOnce(&mut tree_sitter::Parser) -> Parsed) -> Parsed {
        let kept = PARSER.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()));
        let mut parser = kept.unwrap_or_default();
        let out = f(&mut parser);
        PARSER.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                *p = Some(parser);
            }
        });
        out
    }
}

/// [`parse`] without the per-thread memo, on `parser`.
fn parse_uncached(command: &str, parser: &mut tree_sitter::Parser) -> Parsed {
    let mut out = Parsed::default();
    // A kept parser may hold a halted parse's state (a timeout): start clean.
    parser.reset();
    if parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .is_err()
    {
        out.parse_error = true;
        return out;
    }
    let mut queue: Vec<unwrap::Job> = vec![unwrap::Job::Text {
        text: command.to_string(),
        depth: 0,
        origin: Origin::Direct,
        wrappers: Vec::new(),
        source: None,
        assignments: Vec::new(),
    }];
    let mut parses = 0usize;
    while let Some(job) = queue.pop() {
        if out.commands.len() >= MAX_COMMANDS {
            out.limit = Some(Limit::TooMany);
            break;
        }
        match job {
            unwrap::Job::Text {
                text,
                depth,
                origin,
                wrappers,
                source,
                assignments,
            } => {
                parses += 1;
                out.parsed_bytes = out.parsed_bytes.saturating_add(text.len());
                if depth > MAX_DEPTH || parses > 64 || out.parsed_bytes > MAX_PARSED_BYTES {
                    out.limit = Some(Limit::TooDeep);
                    continue;
                }
                let joined = continuation::join_after_dollar(&text);
                let walked = walk::walk(
                    parser,
                    joined.as_deref().unwrap_or(&text),
                    unwrap::effective_program,
                );
                out.parse_error |= walked.parse_error;
                if walked.too_deep {
                    out.limit = Some(Limit::TooDeep);
                }
                out.functions.extend(walked.functions);
                // Push in reverse so commands come out in source order.
                for mut cmd in walked.commands.into_iter().rev() {
                    cmd.depth += depth;
                    if cmd.origin != Some(Origin::Substitution) {
                        cmd.origin = Some(origin);
                    }
                    let mut w = wrappers.clone();
                    w.append(&mut cmd.wrappers);
                    cmd.wrappers = w;
                    if let Some(src) = &source {
                        cmd.source = src.clone();
                    }
                    // Variables set on the wrapper reach every command it runs.
                    if !assignments.is_empty() {
                        let mut inherited = assignments.clone();
                        inherited.append(&mut cmd.assignments);
                        cmd.assignments = inherited;
                    }
                    queue.push(unwrap::Job::Command(Box::new(cmd)));
                }
            }
            unwrap::Job::Command(cmd) => {
                if cmd.depth > MAX_DEPTH {
                    out.limit = Some(Limit::TooDeep);
                    continue;
                }
                for j in unwrap::unwrap(*cmd).into_iter().rev() {
                    queue.push(j);
                }
            }
            unwrap::Job::Final(cmd) => out.commands.push(*cmd),
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// True when shell text mentions a network download program as a word (`curl`, `wget`, …).
pub fn mentions_download(raw: &str) -> bool {
    fold::downloads(raw)
}
