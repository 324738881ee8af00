//! What a simple command's arguments name, for every segment whatever its program: secrets
//! and aiperture's protected files read through an argument (`cat ~/.ssh/id_rsa`, `base64
//! ~/.aws/credentials`), told apart from arguments that are data (an `echo` text, a `grep`
//! pattern, a commit message) or only metadata (`ls -l`, `stat`).

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use crate::shell::SimpleCommand;

/// Programs whose rules already judge the secrets they name (keychains, vaults, state).
fn handled_secret_tools(prog: &str) -> bool {
    matches!(
        prog,
        "security"
            | "sops"
            | "terraform"
            | "tofu"
            | "terragrunt"
            | "pass"
            | "gopass"
            | "op"
            | "vault"
            | "age"
    )
}

/// Programs whose arguments are text, not paths.
pub(super) fn data_args(prog: &str) -> bool {
    matches!(
        prog,
        "echo"
            | "printf"
            | "true"
            | "false"
            | ":"
            | "say"
            | "notify-send"
            | "logger"
            | "expr"
            | "let"
            | "test"
            | "["
            | "[["
            | "sleep"
            | "seq"
            | "banner"
            | "figlet"
            | "cowsay"
            | "export"
            | "declare"
            | "local"
            | "readonly"
            | "typeset"
            | "unset"
            | "alias"
            | "set"
            | "shopt"
            | "trap"
            | "read"
            | "which"
            | "type"
            | "whereis"
            | "command"
            | "hash"
            | "man"
            | "help"
            | "info"
            | "tldr"
            | "apropos"
            | "whatis"
    )
}

/// Programs that only look at metadata of their path arguments.
fn metadata_only(prog: &str) -> bool {
    matches!(
        prog,
        "ls" | "stat"
            | "file"
            | "du"
            | "realpath"
            | "readlink"
            | "dirname"
            | "basename"
            | "exa"
            | "eza"
            | "lsd"
            | "tree"
            | "find"
            | "fd"
            | "locate"
            | "test"
            | "["
    )
}

/// Index of arguments that are patterns/scripts rather than paths (first positional of
/// grep-like tools, awk, sed, jq) — returned as a set of argv indices to skip.
fn pattern_positions(cmd: &SimpleCommand, prog: &str) -> Vec<usize> {
    let mut skip = Vec::new();
    let first_positional_is_pattern = matches!(
        prog,
        "grep"
            | "egrep"
            | "fgrep"
            | "rg"
            | "ag"
            | "ack"
            | "awk"
            | "gawk"
            | "mawk"
            | "sed"
            | "jq"
            | "yq"
            | "git-grep"
            | "zgrep"
            | "pcregrep"
            | "ugrep"
            | "sd"
    );
    let mut explicit = false;
    let mut i = 1;
    let argv = &cmd.argv;
    while let Some(w) = argv.get(i) {
        let t = w.text.as_str();
        if matches!(
            t,
            "-e" | "-f"
                | "--regexp"
                | "--file"
                | "-m"
                | "--message"
                | "-name"
                | "-iname"
                | "-path"
                | "-ipath"
                | "-regex"
                | "-iregex"
                | "-wholename"
                | "--include"
                | "--exclude"
                | "-g"
                | "--glob"
                | "--expression"
        ) || option_is_credential_use(prog, t)
        {
            skip.push(i + 1);
            if matches!(t, "-e" | "--regexp" | "--expression") {
                explicit = true;
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    if first_positional_is_pattern
        && !explicit
        && let Some((idx, _)) = argv
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, w)| !w.text.starts_with('-'))
    {
        skip.push(idx);
    }
    skip
}

/// Looks at every literal argument that names a secret or a protected path.
pub(super) fn scan_args(cmd: &SimpleCommand, prog: &str, ctx: &Context, j: &mut Judge) {
    super::rules_secrets::home_search(cmd, prog, ctx, j);
    if data_args(prog) || handled_secret_tools(prog) {
        return;
    }
    if prog == "cp" {
        let ops: Vec<&crate::shell::Word> = cmd
            .args()
            .iter()
            .filter(|w| !w.text.starts_with('-'))
            .collect();
        if paths::env_from_template(&ops, ctx) {
            return;
        }
    }
    let skip = pattern_positions(cmd, prog);
    let meta = metadata_only(prog);
    for (i, w) in cmd.argv.iter().enumerate().skip(1) {
        if skip.contains(&i) {
            continue;
        }
        let mut t = w.text.as_str();
        if let Some((k, v)) = t.split_once('=')
            && k.starts_with('-')
        {
            t = v;
        } else if t.starts_with('-') {
            continue;
        }
        let t = t.trim_start_matches('@');
        // host:path → path
        let t = match t.split_once(':') {
            Some((h, p)) if !h.contains('/') && !h.is_empty() && !t.contains("://") => p,
            _ => t,
        };
        if t.is_empty() || t.len() > 4096 {
            continue;
        }
        // Reading a coding runtime's settings (`jq . ~/.claude/settings.json`) is a read of a
        // sensitive file, not an edit of the gate: MEDIUM and never generalized. aiperture's
        // own files stay critical; writes are judged by the write rules.
        if !w.dynamic
            && super::readonly::is_read_only(prog)
            && !matches!(prog, "sed" | "tee" | "dd" | "find" | "sort")
            && paths::is_runtime_settings(t, ctx)
        {
            j.raise(
                RiskTier::Medium,
                "reads_runtime_settings",
                "reads a coding runtime's settings (permissions and hooks)",
            );
            j.no_pattern = true;
            continue;
        }
        read_target(t, w.dynamic, ctx, j, meta);
    }
}

/// Checks a path that is read (or named): secrets and protected files.
pub(super) fn read_target(path: &str, dynamic: bool, ctx: &Context, j: &mut Judge, meta: bool) {
    if path.is_empty() {
        return;
    }
    let info = paths::classify(path, ctx);
    if dynamic && info.unresolved {
        if paths::is_secret(path) {
            j.raise_secret(
                RiskTier::High,
                "secret_access",
                "reads a secret (keys, credentials, .env)",
            );
        }
        return;
    }
    if info.real.is_some() {
        j.no_pattern = true;
    }
    if info.class == PathClass::Protected {
        j.raise(
            RiskTier::Critical,
            "self_protection",
            "touches aiperture's own database, key or config, or a runtime's hook settings",
        );
        j.no_pattern = true;
        return;
    }
    if info.secret {
        j.no_pattern = true;
        if meta {
            j.raise(
                RiskTier::Medium,
                "secret_path",
                "looks at a secret file's metadata",
            );
        } else {
            j.raise(
                RiskTier::High,
                "secret_access",
                "reads a secret (keys, credentials, .env)",
            );
            j.secret = true;
        }
    }
    if info.class == PathClass::NetSocket {
        j.raise(
            RiskTier::Critical,
            "network_socket",
            "opens a raw network connection through /dev/tcp or /dev/udp",
        );
        j.sends = true;
    }
}

/// Options whose file value is used for authentication, not read out (`ssh -i key`,
/// `curl --cert c.pem`, `docker --env-file`).
fn option_is_credential_use(prog: &str, opt: &str) -> bool {
    match prog {
        "ssh" | "scp" | "sftp" | "ssh-add" | "ssh-copy-id" | "autossh" | "mosh" => opt == "-i",
        "curl" | "wget" | "http" | "xh" => matches!(
            opt,
            "--cert"
                | "-E"
                | "--key"
                | "--cacert"
                | "--capath"
                | "--ca-certificate"
                | "--certificate"
                | "--private-key"
                | "--proxy-cert"
                | "--proxy-key"
        ),
        "docker" | "podman" | "docker-compose" | "nerdctl" => opt == "--env-file",
        "openssl" => matches!(opt, "-CAfile" | "-cert" | "-CApath"),
        _ => false,
    }
}

/// Maps Unicode dashes to `-` so `‐‐force` is read as `--force`.
pub(super) fn norm_dashes(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => '-',
            c => c,
        })
        .collect()
}
