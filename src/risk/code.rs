//! Interpreters: `python -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`, heredocs and pipes
//! fed to them, and the dangerous calls inside that code (with shell strings they run).

use super::Context;
use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use super::paths::{self, PathClass};
use super::rater::Rater;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;
use crate::shell::is_shell;

/// The interpreter family of a program name (`python3.12` → python).
fn family(prog: &str) -> Option<&'static str> {
    let p = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    match p {
        "python" | "pypy" | "py" => Some("python"),
        "node" | "nodejs" | "deno" | "bun" => Some("node"),
        "perl" => Some("perl"),
        "ruby" | "jruby" => Some("ruby"),
        "php" => Some("php"),
        "lua" | "luajit" => Some("lua"),
        "osascript" => Some("osascript"),
        "pwsh" | "powershell" => Some("powershell"),
        _ => None,
    }
}

/// Calls that delete files.
const DELETE_CALLS: &[&str] = &[
    "shutil.rmtree",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    ".unlink(",
    ".rmdir(",
    "rmtree(",
    "fileutils.rm",
    "file.delete",
    "rm_rf",
    "rm_r(",
    "fs.rmsync",
    "fs.rmdirsync",
    "fs.unlinksync",
    "fs.rm(",
    "fs.rmdir(",
    "fs.unlink(",
    "fs.promises.rm",
    "rimraf",
    "unlink(",
    "rmdir(",
    "remove-item",
    ".rmsync(",
    "unlink ",
    "rmtree ",
    ".rmdirsync(",
    ".unlinksync(",
    ".rm(",
    "os.truncate",
    "file.unlink",
    "dir.rmdir",
    "fs::remove",
];

/// Calls that run other programs or code.
const EXEC_CALLS: &[&str] = &[
    "os.system",
    "os.popen",
    "subprocess",
    "pty.spawn",
    "os.exec",
    "os.spawn",
    "child_process",
    "execsync",
    "spawnsync",
    "execfilesync",
    "exec(",
    "system(",
    "popen(",
    "kernel.exec",
    "io.popen",
    "%x(",
    "%x{",
    "qx(",
    "qx{",
    "shell_exec",
    "passthru",
    "proc_open",
    "eval(",
    "deno.command",
    "bun.spawn",
    "$.spawn",
    "invoke-expression",
    "iex ",
    "do shell script",
    "__import__('os')",
    "__import__(\"os\")",
    "runtime.getruntime",
];

/// Calls that reach the network.
const NET_CALLS: &[&str] = &[
    "urllib",
    "requests.",
    "http.client",
    "socket",
    "fetch(",
    "http.request",
    "https.request",
    "net.connect",
    "net::http",
    "open-uri",
    "lwp::",
    "io::socket",
    "curl_exec",
    "axios",
    "invoke-webrequest",
    "xmlhttprequest",
];

/// The programs these rules judge (the registry's data): the shells
/// ([`crate::shell::is_shell`]) and the interpreters, also with a version suffix
/// (`python3.12`). `bun` and `deno` are also package managers: their package subcommands are
/// judged by the package rules from here.
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "yash",
        "busybox-sh",
    ],
    versioned: &[
        "python", "pypy", "py", "node", "nodejs", "deno", "bun", "perl", "ruby", "jruby", "php",
        "lua", "luajit", "osascript", "pwsh", "powershell",
    ],
    prefixes: &[],
    value_options: &[],
};

/// Handles interpreters. Returns true when the program is one.
pub(super) fn judge(inv: &Invocation, ctx: &Context, j: &mut Judge, nested: &dyn Rater) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    if is_shell(prog) {
        // A shell that was not unwrapped: runs a script file or an interactive shell.
        if cmd.piped_stdin {
            pipe_to_interpreter(cmd, j);
        } else if cmd
            .args()
            .iter()
            .any(|w| w.dynamic && runs_download(&w.raw))
        {
            // `bash <(curl -s https://x)`: the same as piping the download into the shell.
            j.raise(
                RiskTier::Critical,
                "download_to_interpreter",
                "runs shell code downloaded from the network",
            );
            j.no_pattern = true;
        } else if cmd.args().iter().any(|w| !w.text.starts_with('-')) {
            j.raise(RiskTier::Medium, "script", "runs a shell script");
        } else {
            j.raise(RiskTier::Medium, "shell", "starts a shell");
            j.no_pattern = true;
        }
        return true;
    }
    let Some(fam) = family(prog) else {
        return false;
    };
    let args = cmd.args();
    let code_flags: &[&str] = match fam {
        "python" => &["-c"],
        "node" => &["-e", "--eval", "-p", "--print", "eval"],
        "perl" => &["-e", "-E"],
        "ruby" => &["-e"],
        "php" => &["-r"],
        "lua" => &["-e"],
        "osascript" => &["-e"],
        "powershell" => &[
            "-c",
            "-command",
            "-Command",
            "-encodedcommand",
            "-EncodedCommand",
            "-e",
        ],
        _ => &[],
    };
    let mut code: Option<String> = None;
    let mut script = false;
    let mut module = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if code_flags.contains(&t) {
            code = Some(args.get(i + 1).map(|w| w.text.clone()).unwrap_or_default());
            break;
        }
        // -c'code' / -ne 'code' clusters.
        if fam != "python"
            && t.starts_with('-')
            && !t.starts_with("--")
            && t.len() > 2
            && code_flags
                .iter()
                .any(|f| f.len() == 2 && t.ends_with(&f[1..]))
        {
            code = Some(args.get(i + 1).map(|w| w.text.clone()).unwrap_or_default());
            break;
        }
        if fam == "python" && t == "-m" {
            module = true;
            break;
        }
        if !t.starts_with('-') {
            script = t != "-";
            break;
        }
        i += 1;
    }
    if code.is_none() && !script && !module {
        if let Some(text) = &cmd.stdin_text {
            code = Some(text.clone());
            j.note("heredoc_code", "runs code fed on standard input");
        } else if cmd.piped_stdin {
            pipe_to_interpreter(cmd, j);
            return true;
        } else if args.is_empty() {
            j.raise(
                RiskTier::Medium,
                "interpreter",
                "starts an interactive interpreter",
            );
            return true;
        }
    }
    if let Some(c) = code {
        inline_code(&c, fam, ctx, j, nested);
        return true;
    }
    if module {
        j.raise(RiskTier::Medium, "run_module", "runs a module");
    } else if args
        .iter()
        .any(|w| matches!(w.text.as_str(), "--version" | "-V" | "--help" | "-h"))
        && args.len() == 1
    {
        j.note("version", "prints version or help");
    } else {
        j.raise(RiskTier::Medium, "run_script", "runs a script");
        if matches!(prog, "bun" | "deno") {
            // Also package managers: `bun publish` publishes as `npm publish` does.
            super::rules_pkg::runtime_package(cmd, prog, j);
        }
    }
    true
}

/// True when a substituted word (`<(…)`, `$(…)`) fetches from the network.
fn runs_download(raw: &str) -> bool {
    (raw.contains("<(") || raw.contains("$(") || raw.contains('`'))
        && raw
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|t| {
                matches!(
                    t,
                    "curl" | "wget" | "fetch" | "nc" | "ncat" | "socat" | "xh" | "aria2c"
                )
            })
}

/// A shell or interpreter reading its program from a pipe: critical when the pipe carries a
/// download (the classic `curl … | sh`), high otherwise.
fn pipe_to_interpreter(cmd: &SimpleCommand, j: &mut Judge) {
    let download = cmd.upstream.iter().any(|p| {
        matches!(
            p.as_str(),
            "curl" | "wget" | "fetch" | "http" | "xh" | "aria2c" | "nc" | "ncat" | "socat"
        )
    });
    if download {
        j.raise(
            RiskTier::Critical,
            "download_to_interpreter",
            "pipes a download straight into an interpreter",
        );
    } else {
        j.raise(
            RiskTier::High,
            "pipe_to_interpreter",
            "pipes generated text into an interpreter",
        );
    }
    j.no_pattern = true;
}

/// Rates inline code for an interpreter family.
fn inline_code(code: &str, fam: &str, ctx: &Context, j: &mut Judge, nested: &dyn Rater) {
    j.raise(RiskTier::Medium, "inline_code", "runs inline code");
    j.no_pattern = true;
    let lower = code.to_lowercase();
    let deletes = DELETE_CALLS.iter().any(|c| lower.contains(c));
    let mut execs = EXEC_CALLS.iter().any(|c| lower.contains(c));
    if matches!(fam, "ruby" | "perl") && code.contains('`') {
        execs = true;
    }
    if NET_CALLS.iter().any(|c| lower.contains(c)) {
        j.raise(
            RiskTier::Medium,
            "code_network",
            "the code uses the network",
        );
        j.sends = true;
    }
    if lower.contains("open(")
        && (lower.contains("'w'")
            || lower.contains("\"w\"")
            || lower.contains("'a'")
            || lower.contains("\"a\""))
        || lower.contains("writefilesync")
        || lower.contains("write_text")
        || lower.contains("file.write")
    {
        j.raise(RiskTier::Medium, "code_write", "the code writes files");
    }
    let literals = string_literals(code);
    // Code built only from literals, with nothing read from input or the environment: its
    // targets and commands are what the literals say.
    let literal_only = !NET_CALLS.iter().any(|c| lower.contains(c))
        && !lower.contains("://")
        && !lower.contains("iex")
        && ![
            "argv",
            "environ",
            "process.env",
            "input(",
            "stdin",
            "getenv",
            "format",
            "${",
            "f\"",
            "f'",
            "%s",
            "expanduser",
            "home",
        ]
        .iter()
        .any(|d| lower.contains(d));
    let build_only = literal_only
        && !literals.is_empty()
        && literals.iter().all(|l| {
            !l.contains(['*', '?', '$'])
                && (is_module_name(l) || paths::classify(l, ctx).class == PathClass::BuildOutput)
        })
        && literals
            .iter()
            .any(|l| paths::classify(l, ctx).class == PathClass::BuildOutput);
    if deletes && build_only && !execs {
        j.raise(
            RiskTier::Medium,
            "code_delete_build_output",
            "the code deletes build output inside the project",
        );
    } else if deletes {
        j.raise(RiskTier::High, "code_delete", "the code deletes files");
        for lit in &literals {
            if lit.starts_with('/') || lit.starts_with('~') || lit == "." || lit == ".." {
                let mut k = Judge::default();
                super::rules_fs::delete_target(
                    &crate::shell::Word::literal(lit),
                    true,
                    ctx,
                    &mut k,
                );
                if k.tier == RiskTier::Critical {
                    j.raise(
                        RiskTier::Critical,
                        "code_delete_critical",
                        "the code deletes system, home or outside-project paths",
                    );
                }
            }
        }
    }
    if execs && literal_only && !deletes && nested.searches_nested() && !literals.is_empty() {
        // `subprocess.run(["git", "status"])`: rated as the command its literals spell.
        let joined = literals
            .iter()
            .take(16)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let worst = literals
            .iter()
            .take(16)
            .chain(std::iter::once(&joined))
            .filter(|l| l.len() >= 2)
            .map(|l| nested.rate(l, ctx).risk.tier)
            .max()
            .unwrap_or(RiskTier::High);
        if worst <= RiskTier::Medium {
            j.raise(
                RiskTier::Medium,
                "code_exec_literal",
                &format!("the code runs `{joined}`"),
            );
            execs = false;
        }
    }
    if execs {
        j.raise(RiskTier::High, "code_exec", "the code runs other programs");
        if nested.searches_nested() {
            let mut candidates: Vec<String> = literals.iter().take(16).cloned().collect();
            if literals.len() > 1 {
                candidates.push(
                    literals
                        .iter()
                        .take(16)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            for lit in candidates.iter() {
                if lit.len() < 2 {
                    continue;
                }
                nested.judge_inner(
                    j,
                    lit,
                    ctx,
                    (RiskTier::High, "code_exec_dangerous", "the code"),
                );
            }
            // Ruby/Perl backticks.
            if let Some(bt) = backtick_body(code) {
                let inner = nested.rate(&bt, ctx);
                if inner.risk.tier > RiskTier::High {
                    j.raise(
                        inner.risk.tier,
                        "code_exec_dangerous",
                        &format!("the code runs: {}", inner.reason),
                    );
                }
            }
        }
    }
    for lit in &literals {
        if (lit.contains('/') || lit.starts_with('.')) && lit.len() < 4096 {
            let info = paths::classify(lit, ctx);
            if info.class == PathClass::Protected {
                j.raise(
                    RiskTier::Critical,
                    "self_protection",
                    "the code touches aiperture's files or hook settings",
                );
            } else if info.secret {
                j.raise(RiskTier::High, "secret_access", "the code reads a secret");
                j.secret = true;
            }
        }
    }
}

fn backtick_body(code: &str) -> Option<String> {
    let start = code.find('`')?;
    let rest = code.get(start + 1..)?;
    let end = rest.find('`')?;
    rest.get(..end).map(str::to_string)
}

/// Quoted string literals in code (single, double and backtick quotes; simple escapes).
pub(super) fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let mut s = String::new();
            let mut closed = false;
            while let Some(d) = chars.next() {
                if d == '\\' {
                    if let Some(e) = chars.next() {
                        s.push(e);
                    }
                    continue;
                }
                if d == c {
                    closed = true;
                    break;
                }
                s.push(d);
            }
            if closed {
                out.push(s);
            }
            if out.len() > 64 {
                break;
            }
        }
    }
    out
}

/// Module names inline code imports by string (`require('fs')`), which are not paths.
fn is_module_name(s: &str) -> bool {
    matches!(
        s,
        "fs" | "fs/promises"
            | "node:fs"
            | "path"
            | "shutil"
            | "os"
            | "pathlib"
            | "rimraf"
            | "fileutils"
    )
}
