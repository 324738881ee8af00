//! Commands that run somewhere else or arrive hidden (issue 14): the command a container,
//! cluster or remote-shell runner is handed (`docker exec c sh -c '…'`, `kubectl exec -- …`,
//! `vagrant ssh -c …`, `pdsh -w hosts '…'`) is judged as written, the remote context only
//! raising; program names built from expansions are resolved from the line's own literal
//! assignments or rated at least HIGH; downloads later run in the same line, and downloads
//! read through process substitution, are caught across segments.

use super::judge::Judge;
use super::rater::Rater;
use super::{Context, paths};
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, quote_word};

/// Options of `docker|podman|nerdctl exec` that take a value.
const EXEC_VALUED: &[&str] = &[
    "-e",
    "--env",
    "--env-file",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--detach-keys",
];

/// Options of `docker|podman run` (and `compose run`) that take a value.
const RUN_VALUED: &[&str] = &[
    "-e",
    "--env",
    "--env-file",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "-v",
    "--volume",
    "--mount",
    "-p",
    "--publish",
    "--name",
    "--network",
    "--net",
    "--entrypoint",
    "-l",
    "--label",
    "--platform",
    "--cpus",
    "-m",
    "--memory",
    "-h",
    "--hostname",
    "--add-host",
    "--device",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--restart",
    "--pull",
    "--ulimit",
    "--tmpfs",
    "--gpus",
    "--log-driver",
    "--log-opt",
    "--ipc",
    "--pid",
    "--dns",
    "--shm-size",
    "--volumes-from",
    "--runtime",
    "--stop-signal",
    "--health-cmd",
    "--detach-keys",
];

/// The words after the first positional (container, image or service) of `argv[from..]`,
/// skipping options and the values of `valued` options.
fn after_target<'a>(words: &'a [&'a str], valued: &[&str]) -> &'a [&'a str] {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "--" {
            i += 1;
            break;
        }
        if w.starts_with('-') && w.len() > 1 {
            if !w.contains('=') && valued.contains(&w) {
                i += 1;
            }
            i += 1;
            continue;
        }
        break;
    }
    // words[i] is the target; the command follows it.
    words.get(i + 1..).unwrap_or(&[])
}

/// The command line a container, cluster or remote runner is handed, and who runs it.
fn inner_line(prog: &str, words: &[&str]) -> Option<(String, &'static str)> {
    let join = |ws: &[&str]| {
        ws.iter()
            .map(|w| quote_word(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A single argument is a whole command line (`ssh`-style); several are an argv.
    let line = |ws: &[&str]| match ws {
        [one] => one.to_string(),
        many => join(many),
    };
    match prog {
        "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => {
            let mut ws = words;
            if matches!(prog, "docker" | "podman" | "nerdctl") {
                // Global options before the subcommand are rare; `container exec` is exec.
                if ws.first() == Some(&"container") {
                    ws = &ws[1..];
                }
                if ws.first() == Some(&"compose") {
                    ws = &ws[1..];
                    while ws.first().is_some_and(|w| w.starts_with('-')) {
                        let valued = matches!(
                            ws.first(),
                            Some(
                                &("-f"
                                    | "--file"
                                    | "-p"
                                    | "--project-name"
                                    | "--profile"
                                    | "--env-file")
                            )
                        );
                        ws = &ws[if valued { 2.min(ws.len()) } else { 1 }..];
                    }
                }
            }
            let (sub, rest) = ws.split_first()?;
            let cmd = match *sub {
                "exec" => after_target(rest, EXEC_VALUED),
                "run" => after_target(rest, RUN_VALUED),
                _ => return None,
            };
            (!cmd.is_empty()).then(|| (line(cmd), "the container"))
        }
        "kubectl" | "oc" => {
            let sub = words.iter().find(|w| !w.starts_with('-'))?;
            if !matches!(*sub, "exec" | "debug" | "run") {
                return None;
            }
            let dash = words.iter().position(|w| *w == "--")?;
            let cmd = &words[dash + 1..];
            (!cmd.is_empty()).then(|| (line(cmd), "the pod"))
        }
        "vagrant" => {
            if words.first() != Some(&"ssh") {
                return None;
            }
            let i = words.iter().position(|w| *w == "-c" || *w == "--command")?;
            words
                .get(i + 1)
                .map(|c| (c.to_string(), "the virtual machine"))
        }
        "pdsh" | "pssh" | "parallel-ssh" | "clush" | "dsh" => {
            let last = words.last()?;
            (!last.starts_with('-') && words.len() > 1)
                .then(|| (last.to_string(), "the remote hosts"))
        }
        _ => None,
    }
}

/// The body of the heredoc an outer command (`ssh host bash <<'EOF'`) was written with: the
/// lines between its first line and its closing delimiter.
fn heredoc_body(source: &str) -> Option<String> {
    let (first, rest) = source.split_once('\n')?;
    if !first.contains("<<") {
        return None;
    }
    let body = rest
        .trim_end()
        .rsplit_once('\n')
        .map(|(b, _)| b)
        .unwrap_or("");
    (!body.trim().is_empty()).then(|| body.to_string())
}

/// True when the words name a production, system-wide or all-hosts context.
fn wide_context(words: &[&str]) -> bool {
    words.iter().any(|w| {
        let l = w.to_ascii_lowercase();
        l == "--all"
            || l == "-a"
            || l.starts_with("node/")
            || l.contains("kube-system")
            || l.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|p| matches!(p, "prod" | "production" | "prd"))
    })
}

/// Judges the command a container, pod, virtual machine or set of remote hosts is handed.
pub(super) fn judge_remote(
    cmd: &SimpleCommand,
    prog: &str,
    ctx: &Context,
    j: &mut Judge,
    rater: &dyn Rater,
) {
    // `ssh host bash <<'EOF' … EOF`: the heredoc is the script the remote shell runs.
    if matches!(cmd.origin, Some(crate::shell::Origin::Remote))
        && crate::shell::is_shell(prog)
        && let Some(text) = cmd.stdin_text.clone().or_else(|| heredoc_body(&cmd.source))
    {
        rater.judge_inner(
            j,
            &text,
            ctx,
            (RiskTier::Low, "remote_script", "the remote shell"),
        );
        return;
    }
    let words: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
    let Some((line, who)) = inner_line(prog, &words) else {
        return;
    };
    let inner = rater.rate(&line, ctx);
    let mut tier = inner.risk.tier;
    // The remote context only raises: a changing command in production or on every host.
    if tier == RiskTier::Medium && wide_context(&words) {
        tier = RiskTier::High;
    }
    if tier > RiskTier::Low {
        j.raise(
            tier,
            "runs_elsewhere",
            &format!("{who} runs: {}", inner.reason),
        );
        j.no_pattern = true;
    }
    if inner
        .segments
        .iter()
        .any(|s| s.risk.factors.iter().any(|f| f == "secret_access"))
    {
        j.secret = true;
    }
}

/// `alias ll='rm -rf ~'`: an alias is judged as the command it will run.
pub(super) fn judge_alias(
    cmd: &SimpleCommand,
    prog: &str,
    ctx: &Context,
    j: &mut Judge,
    rater: &dyn Rater,
) {
    if prog != "alias" {
        return;
    }
    for w in cmd.args() {
        if let Some((_, body)) = w.text.split_once('=') {
            rater.judge_inner(
                j,
                body,
                ctx,
                (RiskTier::Medium, "alias_defines", "the alias"),
            );
        }
    }
}

/// Words of a command substitution that decode or unscramble hidden text.
const DECODERS: &[&str] = &[
    "base64", "base32", "xxd", "openssl", "rev", "tr", "gunzip", "zcat", "gzip", "printf", "echo",
    "uudecode", "perl", "python", "python3", "ruby", "node", "cat",
];

/// The literal values of bare assignments on the line (`c=rm; $c -rf ~`).
fn literal_assignments(commands: &[SimpleCommand]) -> Vec<(&str, &str)> {
    commands
        .iter()
        .filter(|c| c.argv.is_empty())
        .flat_map(|c| c.assignments.iter())
        .filter(|(_, v)| !v.dynamic)
        .map(|(n, v)| (n.as_str(), v.text.as_str()))
        .collect()
}

/// `raw` with every `$name` / `${name}` replaced by its literal value; `None` when anything
/// stays unresolved.
fn substitute(raw: &str, vars: &[(&str, &str)]) -> Option<String> {
    let raw = raw.trim_matches('"');
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(b) = after.strip_prefix('{') {
            let end = b.find('}')?;
            (&b[..end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let (_, v) = vars.iter().rev().find(|(n, _)| *n == name)?;
        out.push_str(v);
        rest = &after[len..];
    }
    out.push_str(rest);
    (!out.contains(['$', '`', '(', '*', '?', '['])).then_some(out)
}

/// True when the arguments alone are destructive whatever the program (`-rf ~`).
fn destructive_args(cmd: &SimpleCommand, ctx: &Context) -> bool {
    let args = cmd.args();
    let recursive = args.iter().any(|w| {
        let t = w.text.as_str();
        t == "--no-preserve-root"
            || t == "--recursive"
            || (t.starts_with('-') && !t.starts_with("--") && t.contains(['r', 'R']))
    });
    let wide = args.iter().any(|w| {
        let p = paths::classify(&w.text, ctx);
        matches!(
            p.class,
            paths::PathClass::Root
                | paths::PathClass::HomeRoot
                | paths::PathClass::System
                | paths::PathClass::Home
                | paths::PathClass::ShellRc
        )
    });
    recursive && wide
}

/// Program names built from expansions: resolved from the line's literal assignments and
/// judged as the resolved command, otherwise at least HIGH (CRITICAL with destructive
/// arguments).
pub(super) fn judge_dynamic_programs(
    commands: &[SimpleCommand],
    judges: &mut [Judge],
    ctx: &Context,
    rater: &dyn Rater,
) {
    let vars = literal_assignments(commands);
    for (cmd, j) in commands.iter().zip(judges.iter_mut()) {
        if !j.risk().factors.iter().any(|f| f == "dynamic_program") {
            continue;
        }
        let Some(first) = cmd.argv.first() else {
            continue;
        };
        // A lone `*` is how grants and rules spell "any command"; as a command it stays
        // MEDIUM (dynamic program) as before.
        if first.raw == "*" {
            continue;
        }
        // `eval "$(pyenv init -)"`: code a tool prints at run time stays as the shell rules
        // rate it (dynamic code), unless the text is decoded or unscrambled first.
        if matches!(cmd.origin, Some(crate::shell::Origin::Eval))
            && first.substitution
            && !first
                .raw
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|t| DECODERS.contains(&t))
        {
            continue;
        }
        if let Some(program) = substitute(&first.raw, &vars)
            && !program.trim().is_empty()
        {
            let mut line = quote_word(program.trim());
            for a in cmd.args() {
                line.push(' ');
                line.push_str(&a.raw);
            }
            rater.judge_inner(
                j,
                &line,
                ctx,
                (
                    RiskTier::Low,
                    "resolved_program",
                    "the line's own variables",
                ),
            );
            continue;
        }
        let tier = if destructive_args(cmd, ctx) {
            RiskTier::Critical
        } else {
            RiskTier::High
        };
        j.raise(
            tier,
            "unresolved_program",
            "the program name is built at run time (variables, substrings, globs, decoded \
             text), so what runs cannot be known before it runs",
        );
        j.no_pattern = true;
    }
}

/// Programs that fetch something from the network into a file or directory.
fn downloads(cmd: &SimpleCommand, prog: &str) -> bool {
    let first = cmd.args().first().map(|w| w.text.as_str());
    match prog {
        "curl" | "wget" | "aria2c" | "fetch" | "iwr" | "invoke-webrequest" | "http" | "xh" => true,
        "git" | "hg" | "svn" => matches!(first, Some("clone" | "checkout" | "co")),
        "gh" => cmd.args().iter().any(|w| w.text == "clone"),
        _ => false,
    }
}

/// Whether the command runs a file by path, or hands a file (not inline code) to a shell or
/// interpreter.
fn runs_a_file(cmd: &SimpleCommand, prog: &str) -> bool {
    if cmd.program_by_path() {
        return true;
    }
    let interp = crate::shell::is_shell(prog)
        || matches!(prog, "source" | "." | "perl" | "ruby" | "node" | "php")
        || prog.starts_with("python");
    interp
        && cmd
            .args()
            .first()
            .is_some_and(|w| !w.text.starts_with('-') && !w.text.is_empty())
}

/// Words and redirections fed by process substitution from a download (`source <(curl …)`,
/// `bash < <(wget …)`, `curl … > >(bash)`).
fn substituted_download(cmd: &SimpleCommand) -> bool {
    let fed = cmd
        .args()
        .iter()
        .map(|w| w.raw.as_str())
        .chain(cmd.redirects.iter().map(|r| r.target.raw.as_str()));
    fed.into_iter()
        .any(|raw| raw.starts_with("<(") && crate::shell::mentions_download(raw))
}

/// Downloads run later in the same line, and downloads read by a shell through process
/// substitution or piped into PowerShell's `iex`.
pub(super) fn judge_download_then_run(commands: &[SimpleCommand], judges: &mut [Judge]) {
    let mut downloaded = false;
    for (cmd, j) in commands.iter().zip(judges.iter_mut()) {
        let prog = cmd.program();
        let runner = crate::shell::is_shell(&prog)
            || matches!(
                prog.as_str(),
                "source" | "." | "perl" | "ruby" | "node" | "php"
            )
            || prog.starts_with("python");
        if runner && substituted_download(cmd) {
            j.raise(
                RiskTier::Critical,
                "download_to_interpreter",
                "runs code downloaded from the network through process substitution",
            );
            j.no_pattern = true;
        }
        // `curl … > >(bash)`: the download's output is the shell's input.
        if downloads(cmd, &prog)
            && cmd.redirects.iter().any(|r| {
                r.target.raw.starts_with(">(")
                    && r.target
                        .raw
                        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                        .any(|t| crate::shell::is_shell(t) || t.starts_with("python"))
            })
        {
            j.raise(
                RiskTier::Critical,
                "download_to_interpreter",
                "pipes a download into a shell through process substitution",
            );
            j.no_pattern = true;
        }
        if matches!(prog.as_str(), "iex" | "invoke-expression") && cmd.piped_stdin {
            j.raise(
                RiskTier::Critical,
                "download_to_interpreter",
                "runs text piped into PowerShell's Invoke-Expression",
            );
            j.no_pattern = true;
        }
        if downloaded && runs_a_file(cmd, &prog) {
            j.raise(
                RiskTier::High,
                "runs_download",
                "runs a file fetched from the network earlier in the same command",
            );
            j.no_pattern = true;
        }
        if downloads(cmd, &prog) {
            downloaded = true;
        }
    }
}

/// Raises a line whose text starts a busy loop in the background (`while true; do :; done &`).
pub(super) fn busy_background_loop(line: &str) -> bool {
    let compact: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    (compact.contains("while true")
        || compact.contains("while :")
        || compact.contains("while [ 1 ]"))
        && compact.trim_end().ends_with("done &")
        && !compact.contains("sleep")
        && !compact.contains("read ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_lines_of_runners() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        let cases = [
            ("docker", "exec -it -u root api sh -c x", Some("sh -c x")),
            ("docker", "compose exec web ls", Some("ls")),
            ("docker", "run --rm -v /:/h alpine rm x", Some("rm x")),
            ("docker", "ps -a", None),
            ("kubectl", "exec -n prod p -- rm x", Some("rm x")),
            ("kubectl", "get pods", None),
            ("vagrant", "ssh -c uptime", Some("uptime")),
            ("pdsh", "-w n1 uptime", Some("uptime")),
        ];
        for (prog, args, want) in cases {
            let owned = w(args);
            let words: Vec<&str> = owned.iter().map(String::as_str).collect();
            assert_eq!(
                inner_line(prog, &words).map(|l| l.0),
                want.map(str::to_string),
                "{prog} {args}"
            );
        }
    }

    #[test]
    fn substitution_of_literal_variables() {
        let vars = [("x", "r"), ("y", "m")];
        assert_eq!(substitute("$x$y", &vars).as_deref(), Some("rm"));
        assert_eq!(substitute("${x}m", &vars).as_deref(), Some("rm"));
        assert_eq!(substitute("$z", &vars), None);
        assert_eq!(substitute("${x:0:1}", &vars), None);
    }

    #[test]
    fn busy_loops_in_background() {
        assert!(busy_background_loop("while true; do :; done &"));
        assert!(!busy_background_loop("while true; do sleep 5; done &"));
        assert!(!busy_background_loop("while true; do :; done"));
    }
}
