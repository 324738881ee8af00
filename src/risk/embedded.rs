//! Commands run by tools that otherwise only read or transform: `awk` (`system()`, pipes to and
//! from commands, `-l` extensions), GNU `sed` (the `e` command and the `s///e` flag), `tar`
//! (`--to-command`, `-I`/`--use-compress-program`, `--checkpoint-action=exec`, `-F`,
//! `--rsh-command`), `zip -TT`, `less`/`more` (`+!cmd`), `vi`/`vim`/`nvim`/`ex` (`-c`, `+`,
//! `--cmd` with `!` or `system()`), `gdb` (`-ex 'shell …'`, `--args`), and `ssh`/`scp`/`sftp`
//! `-o ProxyCommand=…` (also `LocalCommand`, `KnownHostsCommand`).
//!
//! Without this, `awk 'BEGIN{system("rm -rf ~")}'` was a LOW read-only command whose pattern
//! (`awk *`) ten harmless approvals would have taught aiperture to allow. A command found here
//! is rated at least HIGH and never generalized, and a literal command is judged as written
//! (so the deletion above is CRITICAL).

use super::Context;
use super::judge::Judge;
use super::rater::Rater;
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// What a tool runs: literal command lines, and whether it also runs computed ones.
#[derive(Default)]
struct Runs {
    literal: Vec<String>,
    computed: bool,
    /// A helper program rather than arbitrary commands (`tar -I zstd`): the floor is MEDIUM.
    helper: bool,
    /// Files the tool's own script writes (sed `w FILE`, `s///w FILE`; awk `print > "FILE"`).
    writes: Vec<String>,
    /// The script writes to a file it computes at run time.
    writes_computed: bool,
}

/// Raises `j` for the commands `cmd` runs through one of these tools; a no-op for others.
pub(super) fn judge(
    cmd: &SimpleCommand,
    prog: &str,
    ctx: &Context,
    j: &mut Judge,
    nested: &dyn Rater,
) {
    let args = cmd.args();
    let runs = match prog {
        "awk" | "gawk" | "mawk" | "nawk" => awk(args),
        "sed" | "gsed" => sed(args),
        "tar" | "gtar" | "bsdtar" => tar(args),
        "zip" => valued(args, &["-TT", "--unzip-command"], false),
        "less" | "more" | "most" => Runs {
            literal: args
                .iter()
                .filter_map(|w| w.text.strip_prefix('+'))
                .filter_map(|c| c.trim_start_matches(':').strip_prefix('!'))
                .map(str::to_string)
                .collect(),
            ..Runs::default()
        },
        "vi" | "vim" | "nvim" | "ex" | "view" | "gvim" | "rvim" => vim(args),
        "gdb" => gdb(args),
        "ssh" | "scp" | "sftp" | "autossh" => ssh_options(args),
        _ => return,
    };
    for file in runs.writes.iter().take(8) {
        j.raise(
            RiskTier::Medium,
            "script_writes_file",
            &format!("{prog}'s script writes the file `{file}`"),
        );
        j.no_pattern = true;
        super::rules_fs::write_target(&Word::literal(file), ctx, j);
    }
    if runs.writes_computed {
        j.raise(
            RiskTier::High,
            "script_writes_file",
            &format!("{prog}'s script writes to a file it computes at run time"),
        );
        j.no_pattern = true;
    }
    if runs.literal.is_empty() && !runs.computed {
        return;
    }
    let floor = if runs.helper && !runs.computed {
        RiskTier::Medium
    } else {
        RiskTier::High
    };
    let shown = runs
        .literal
        .first()
        .map(|c| format!(": `{}`", c.chars().take(60).collect::<String>()))
        .unwrap_or_default();
    j.raise(
        floor,
        "embedded_exec",
        &format!("{prog} runs another command{shown}"),
    );
    j.no_pattern = true;
    if !nested.searches_nested() {
        return;
    }
    for line in runs.literal.iter().filter(|l| !l.trim().is_empty()).take(8) {
        nested.judge_inner(j, line, ctx, (floor, "embedded_exec_dangerous", prog));
    }
}

/// The values of options in `names` (`--name=value`, `--name value`, `-Xvalue` for short
/// ones) as literal commands.
fn valued(args: &[Word], names: &[&str], helper: bool) -> Runs {
    let mut runs = Runs {
        helper,
        ..Runs::default()
    };
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        for n in names {
            if t == *n {
                if let Some(v) = args.get(i + 1) {
                    runs.literal.push(v.text.clone());
                }
            } else if let Some(v) = t.strip_prefix(n) {
                if let Some(v) = v.strip_prefix('=') {
                    runs.literal.push(v.to_string());
                } else if !n.starts_with("--") && !v.is_empty() {
                    runs.literal.push(v.to_string());
                }
            }
        }
        i += 1;
    }
    runs
}

/// awk's program text: `-e`/`--source` values, else the first operand (not with `-f`).
fn awk(args: &[Word]) -> Runs {
    let mut texts = Vec::new();
    let mut from_file = false;
    let mut runs = Runs::default();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        match t {
            "-e" | "--source" => {
                texts.extend(args.get(i + 1).map(|w| w.text.clone()));
                i += 2;
                continue;
            }
            "-f" | "--file" | "-i" | "--include" => {
                from_file = true;
                i += 2;
                continue;
            }
            "-l" | "--load" => {
                // A compiled extension: arbitrary native code.
                runs.computed = true;
                i += 2;
                continue;
            }
            "-F" | "-v" | "--field-separator" | "--assign" => {
                i += 2;
                continue;
            }
            "--" => {
                i += 1;
                break;
            }
            _ if t.starts_with('-') && t.len() > 1 => {
                i += 1;
                continue;
            }
            _ => break,
        }
    }
    if texts.is_empty() && !from_file {
        texts.extend(args.get(i).map(|w| w.text.clone()));
    }
    for text in &texts {
        let (files, computed) = awk_output_files(text);
        runs.writes.extend(files);
        runs.writes_computed |= computed;
        let runs_cmds =
            text.contains("system(") || text.contains("system (") || pipes_to_command(text);
        if !runs_cmds {
            continue;
        }
        let literals: Vec<String> = super::code::string_literals(text)
            .into_iter()
            .filter(|l| l.len() > 1)
            .take(16)
            .collect();
        if literals.is_empty() || !all_calls_literal(text) {
            runs.computed = true;
        }
        runs.literal.extend(literals);
    }
    runs
}

/// The index of the character that closes the string or regular expression opened at `open`
/// by `delim` (backslash escapes skipped), or the end of the text.
fn closing(chars: &[char], open: usize, delim: char) -> usize {
    let mut i = open + 1;
    while let Some(&d) = chars.get(i) {
        if d == '\\' {
            i += 1;
        } else if d == delim {
            break;
        }
        i += 1;
    }
    i
}

/// Whether a `/` after `prev` (the last non-blank character) opens a regular expression in
/// awk (where an operand is expected) rather than dividing.
fn regex_expected(prev: char) -> bool {
    prev == '\0' || "(,{;!~&|=?:".contains(prev)
}

/// `print … | "cmd"`, `"cmd" | getline` or a gawk coprocess (`|&`): a single `|` outside
/// strings and regular expressions (`||` is "or", `/a|b/` an alternation).
fn pipes_to_command(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut prev_significant = '\0';
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => i = closing(&chars, i, '"'),
            // A regular expression where an operand is expected; otherwise division.
            '/' if regex_expected(prev_significant) => i = closing(&chars, i, '/'),
            '|' => {
                if chars.get(i + 1) == Some(&'|') {
                    i += 1;
                } else if prev_significant != '|' {
                    return true;
                }
            }
            _ => {}
        }
        if !c.is_whitespace() {
            prev_significant = c;
        }
        i += 1;
    }
    false
}

/// The files an awk program prints to (`print > "f"`, `printf … >> "f"`), and whether it
/// prints to a computed file name (`print > $2`). A `>` counts as a redirection only in a
/// statement that starts with `print`/`printf`; strings and regular expressions are skipped.
fn awk_output_files(text: &str) -> (Vec<String>, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut files = Vec::new();
    let mut computed = false;
    let mut stmt = String::new();
    let mut parens = 0usize;
    let mut i = 0;
    let mut prev_significant = '\0';
    while let Some(&c) = chars.get(i) {
        match c {
            '(' => {
                parens += 1;
                stmt.push(c);
            }
            ')' => {
                parens = parens.saturating_sub(1);
                stmt.push(c);
            }
            '"' => i = closing(&chars, i, '"'),
            // A regular expression where an operand is expected; otherwise division.
            '/' if regex_expected(prev_significant) => i = closing(&chars, i, '/'),
            ';' | '{' | '}' | '\n' => {
                stmt.clear();
                parens = 0;
            }
            // In a print statement, `>` outside parentheses redirects; inside, it compares.
            // `>=` compares, even in a print statement.
            '>' if chars.get(i + 1) == Some(&'=') => {
                stmt.push_str(">=");
                i += 1;
            }
            '>' if parens == 0 && stmt.trim_start().starts_with("print") => {
                if chars.get(i + 1) == Some(&'>') {
                    i += 1;
                }
                let mut k = i + 1;
                while chars.get(k).is_some_and(|c| c.is_whitespace()) {
                    k += 1;
                }
                if chars.get(k) == Some(&'"') {
                    let mut name = String::new();
                    k += 1;
                    while let Some(&d) = chars.get(k) {
                        if d == '"' {
                            break;
                        }
                        name.push(d);
                        k += 1;
                    }
                    if !matches!(name.as_str(), "/dev/stdout" | "/dev/stderr" | "/dev/null") {
                        files.push(name);
                    }
                    i = k;
                } else {
                    computed = true;
                }
            }
            _ => stmt.push(c),
        }
        if !c.is_whitespace() {
            prev_significant = c;
        }
        i += 1;
    }
    (files, computed)
}

/// Whether every `system(` call takes a string literal directly.
fn all_calls_literal(text: &str) -> bool {
    text.match_indices("system").all(|(at, _)| {
        text.get(at + "system".len()..)
            .map(|rest| rest.trim_start().trim_start_matches('(').trim_start())
            .is_some_and(|rest| rest.starts_with('"'))
    })
}

/// sed scripts (`-e`, `--expression`, else the first operand) with an `e` command or an
/// `s///e` flag (GNU sed).
fn sed(args: &[Word]) -> Runs {
    let mut scripts = Vec::new();
    let mut from_file = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t == "-e" || t == "--expression" {
            scripts.extend(args.get(i + 1).map(|w| w.text.clone()));
            i += 2;
            continue;
        }
        if let Some(s) = t.strip_prefix("--expression=") {
            scripts.push(s.to_string());
        } else if t == "-f" || t == "--file" || t.starts_with("--file=") {
            from_file = true;
            i += 1 + usize::from(t == "-f" || t == "--file");
            continue;
        } else if t == "-l" || t == "--line-length" {
            i += 2;
            continue;
        } else if t == "--" {
            i += 1;
            break;
        } else if !t.starts_with('-') || t == "-" {
            break;
        }
        i += 1;
    }
    if scripts.is_empty() && !from_file {
        scripts.extend(args.get(i).map(|w| w.text.clone()));
    }
    let mut runs = Runs::default();
    for script in &scripts {
        for stmt in script.split(['\n', ';']) {
            let body = strip_sed_address(stmt);
            if let Some(rest) = body.strip_prefix('e') {
                if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                    let command = rest.trim();
                    if command.is_empty() {
                        runs.computed = true;
                    } else {
                        runs.literal.push(command.to_string());
                    }
                }
            } else if body.starts_with('s') && s_flags(body).contains('e') {
                runs.computed = true;
            } else if let Some(file) = body
                .strip_prefix(['w', 'W'])
                .filter(|r| r.starts_with(char::is_whitespace))
            {
                runs.writes.push(file.trim().to_string());
            }
            if body.starts_with('s')
                && let Some(file) = s_write_file(body)
            {
                runs.writes.push(file);
            }
        }
    }
    runs
}

/// A sed command without its address (`1`, `$`, `/re/`, `a,b`, `first~step`, `!`).
fn strip_sed_address(stmt: &str) -> &str {
    let mut s = stmt.trim_start();
    for _ in 0..2 {
        if let Some(rest) = s.strip_prefix('/') {
            s = rest.find('/').and_then(|e| rest.get(e + 1..)).unwrap_or("");
        } else {
            s = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '$' || c == '~');
        }
        match s.strip_prefix(',') {
            Some(rest) => s = rest,
            None => break,
        }
    }
    s.trim_start().trim_start_matches('!').trim_start()
}

/// The file of an `s` command's `w` flag (`s/a/b/gw out.txt` → `out.txt`).
fn s_write_file(body: &str) -> Option<String> {
    let mut chars = body.char_indices().skip(1);
    let (_, delim) = chars.next()?;
    let mut seen = 0;
    let mut escaped = false;
    for (at, c) in chars {
        if seen == 2 {
            let rest = body.get(at..)?;
            let flags_end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let flags = rest.get(..flags_end)?;
            let w = flags.find('w')?;
            // Everything after `w` to the end of the command is the file name.
            let file = rest.get(w + 1..)?.trim();
            return (!file.is_empty()).then(|| file.to_string());
        }
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            seen += 1;
        }
    }
    None
}

/// The flags of an `s` command (`s/a/b/ge` → `ge`).
fn s_flags(body: &str) -> String {
    let mut chars = body.chars().skip(1);
    let Some(delim) = chars.next() else {
        return String::new();
    };
    let mut seen = 0;
    let mut escaped = false;
    let mut flags = String::new();
    for c in chars {
        if seen == 2 {
            if c.is_ascii_alphanumeric() {
                flags.push(c);
                continue;
            }
            break;
        }
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            seen += 1;
        }
    }
    flags
}

/// tar's command options; `-I`/`--use-compress-program` name a helper program.
fn tar(args: &[Word]) -> Runs {
    let mut runs = valued(
        args,
        &[
            "--to-command",
            "--info-script",
            "--new-volume-script",
            "-F",
            "--rsh-command",
            "--rmt-command",
        ],
        false,
    );
    for w in args {
        if let Some(v) = w.text.strip_prefix("--checkpoint-action=exec=") {
            runs.literal.push(v.to_string());
        }
    }
    let helpers = valued(args, &["-I", "--use-compress-program"], true);
    if runs.literal.is_empty() {
        return helpers;
    }
    runs.literal.extend(helpers.literal);
    runs
}

/// Editor commands given on the command line that reach a shell.
fn vim(args: &[Word]) -> Runs {
    let mut cmds = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if matches!(t, "-c" | "--cmd") {
            cmds.extend(args.get(i + 1).map(|w| w.text.clone()));
            i += 2;
            continue;
        }
        if let Some(c) = t.strip_prefix('+')
            && !c.chars().all(|c| c.is_ascii_digit())
        {
            cmds.push(c.to_string());
        }
        i += 1;
    }
    let mut runs = Runs::default();
    for c in cmds {
        let c = c.trim_start_matches(':').trim_start();
        let c = c.trim_start_matches(|ch: char| ch.is_ascii_digit() || ",.$%".contains(ch));
        if let Some(rest) = c.strip_prefix('!') {
            runs.literal.push(rest.to_string());
        } else if let Some(rest) = c.strip_prefix("r !").or_else(|| c.strip_prefix("w !")) {
            runs.literal.push(rest.to_string());
        } else if c.contains("system(") || c.starts_with("term") || c.starts_with("!") {
            runs.computed = true;
        }
    }
    runs
}

/// `gdb -ex 'shell CMD'` / `-ex '!CMD'`, and the program of `--args`.
fn gdb(args: &[Word]) -> Runs {
    let mut runs = Runs::default();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t == "--args" {
            let rest: Vec<&str> = args
                .get(i + 1..)
                .unwrap_or(&[])
                .iter()
                .map(|w| w.text.as_str())
                .collect();
            if !rest.is_empty() {
                // The program being debugged runs as it would without gdb.
                runs.literal.push(rest.join(" "));
                runs.helper = runs.literal.len() == 1 && !runs.computed;
            }
            break;
        }
        let value = if matches!(t, "-ex" | "-iex" | "--eval-command" | "--init-eval-command") {
            i += 1;
            args.get(i).map(|w| w.text.as_str())
        } else {
            t.strip_prefix("--eval-command=")
        };
        if let Some(v) = value {
            let v = v.trim_start();
            if let Some(c) = v.strip_prefix("shell ").or_else(|| v.strip_prefix('!')) {
                runs.literal.push(c.to_string());
            } else if v.starts_with("pipe ") || v.starts_with('|') || v.starts_with("python") {
                runs.computed = true;
            }
        }
        i += 1;
    }
    runs
}

/// `-o ProxyCommand=…` (also `LocalCommand`, `KnownHostsCommand`; any case, `=` or a space).
fn ssh_options(args: &[Word]) -> Runs {
    let mut runs = Runs::default();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        let opt = if t == "-o" {
            i += 1;
            args.get(i).map(|w| w.text.as_str())
        } else {
            t.strip_prefix("-o")
        };
        if let Some(o) = opt {
            let (key, value) = o
                .split_once(['=', ' '])
                .map(|(k, v)| (k.trim(), v.trim()))
                .unwrap_or((o, ""));
            if ["proxycommand", "localcommand", "knownhostscommand"]
                .contains(&key.to_ascii_lowercase().as_str())
                && !value.is_empty()
                && !value.eq_ignore_ascii_case("none")
            {
                runs.literal.push(value.to_string());
            }
        }
        i += 1;
    }
    runs
}
