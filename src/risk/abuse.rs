//! Second-pass floors (issue 14), applied to every segment after its family's rules; they may
//! only raise. Each family is a static table matched on parsed words (no regular expression,
//! nothing compiled per call): datastore and framework resets, cloud and cluster privilege
//! and exposure, credential and history harvesting, persistence and defence evasion,
//! resource exhaustion, supply chain, and raw device writes through any tool.

use super::Context;
use super::invocation::Invocation;
use super::judge::Judge;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;

/// Framework and datastore commands that wipe or rebuild a database: a word equal to one of
/// these, on any program.
pub(super) const RESET_WORDS: &[&str] = &[
    "db:drop",
    "db:reset",
    "db:purge",
    "db:wipe",
    "db:migrate:reset",
    "migrate:fresh",
    "migrate:reset",
    "migrate:refresh",
    "schema:drop",
    "doctrine:database:drop",
    "doctrine:schema:drop",
    "flushall",
    "flushdb",
    "pg_dropcluster",
];

/// Word pairs (in order, not necessarily adjacent) that wipe a database.
pub(super) const RESET_PAIRS: &[(&str, &str)] = &[
    ("manage.py", "flush"),
    ("manage.py", "reset_db"),
    ("migrate", "reset"),
    ("downgrade", "base"),
    ("migrate:rollback", "--all"),
    ("migrate:undo:all", ""),
    ("db", "--force-reset"),
    ("del", "--prefix"),
    ("del", "--from-key"),
    ("deleterange", ""),
];

/// Cloud CLIs whose privilege and exposure words are judged.
pub(super) const CLOUD_CLIS: &[&str] = &["aws", "gcloud", "gsutil", "az", "kubectl", "oc", "bq"];

/// Subcommands that grant privilege, open access or schedule key loss.
pub(super) const PRIVILEGE_VERBS: &[&str] = &[
    "attach-user-policy",
    "attach-role-policy",
    "attach-group-policy",
    "put-user-policy",
    "put-role-policy",
    "put-group-policy",
    "update-assume-role-policy",
    "create-access-key",
    "create-login-profile",
    "put-bucket-acl",
    "put-bucket-policy",
    "put-object-acl",
    "delete-public-access-block",
    "delete-bucket-policy",
    "authorize-security-group-ingress",
    "schedule-key-deletion",
    "disable-key",
    "add-iam-policy-binding",
    "set-iam-policy",
    "clusterrolebinding",
    "rolebinding",
    "modify-db-instance",
];

/// Values that make a grant or a rule open to the world or all-powerful.
pub(super) const OPEN_VALUES: &[&str] = &[
    "0.0.0.0/0",
    "::/0",
    "*",
    "allusers",
    "allauthenticatedusers",
    "public-read",
    "public-read-write",
    "cluster-admin",
    "administratoraccess",
    "roles/owner",
    "roles/editor",
    "owner",
    "contributor",
    "container",
    "blob",
    "internet",
];

/// Reading subcommand prefixes of cloud CLIs (`list-…`, `describe-…`, `get-…`).
const CLOUD_READS: &[&str] = &["list", "describe", "get", "show", "ls", "view", "diff"];

/// Programs that dump a platform's configuration or a container's environment, with the
/// words that make them do it.
pub(super) const CONFIG_DUMPS: &[(&str, &[&str])] = &[
    ("heroku", &["config", "config:get"]),
    ("dokku", &["config", "config:show"]),
];

/// Words of a grep-like filter that look for secrets in an environment dump.
pub(super) const SECRET_FILTERS: &[&str] = &[
    "token", "secret", "key", "pass", "auth", "cred", "aws_", "api", "private",
];

/// Variables whose values switch history off or TLS verification off.
pub(super) const EVASION_VARS: &[(&str, &[&str])] = &[
    ("HISTFILE", &["", "/dev/null"]),
    ("HISTSIZE", &["0"]),
    ("HISTFILESIZE", &["0"]),
    ("SAVEHIST", &["0"]),
    ("NODE_TLS_REJECT_UNAUTHORIZED", &["0"]),
    ("GIT_SSL_NO_VERIFY", &["1", "true", "yes"]),
    ("PYTHONHTTPSVERIFY", &["0"]),
    ("CURL_INSECURE", &["1", "true"]),
    ("NPM_CONFIG_STRICT_SSL", &["false"]),
];

/// Options that run another coding agent with its permission prompts switched off.
pub(super) const AGENT_SKIP_FLAGS: &[&str] = &[
    "--dangerously-skip-permissions",
    "--allow-dangerously-skip-permissions",
    "--dangerously-bypass-approvals-and-sandbox",
    "--yolo",
    "--approval-mode=yolo",
    "--permission-mode=bypasspermissions",
    "bypasspermissions",
    "--trust-all-tools",
    "--allow-all-tools",
    "--always-approve",
];

/// Settings keys that turn TLS checks off or trust a host blindly (a moved package index is
/// judged by [`supply_chain`]).
pub(super) const CONFIG_KEYS: &[&str] = &[
    "strict-ssl",
    "trusted-host",
    "global.trusted-host",
    "cafile",
    "http.sslverify",
];

/// Package managers judged for supply-chain sources.
pub(super) const PACKAGE_MANAGERS: &[&str] = &[
    "pip", "pip3", "pipx", "uv", "npm", "pnpm", "yarn", "bun", "gem", "cargo", "go", "poetry",
    "composer", "conda", "mamba",
];

/// Tools that write to the device they are given (beyond `dd`, judged by the disk rules).
pub(super) const DEVICE_WRITERS: &[&str] = &[
    "tar",
    "ddrescue",
    "cp",
    "rsync",
    "mv",
    "install",
    "tee",
    "cpio",
    "dcfldd",
    "dc3dd",
    "pv",
    "scp",
    "cat",
    "badblocks",
    "flashrom",
    "bmaptool",
    "etcher",
];

/// Interpreters whose inline code is checked for fork bombs, busy loops and huge allocations.
pub(super) const INTERPRETERS: &[&str] = &[
    "python", "python3", "perl", "ruby", "node", "php", "bun", "deno",
];

/// Applies every second-pass floor to one segment.
pub(super) fn floor(inv: &Invocation, ctx: &Context, j: &mut Judge) {
    let (cmd, prog) = (inv.cmd, inv.program);
    if matches!(
        prog,
        "echo" | "printf" | "grep" | "rg" | "man" | "which" | "type"
    ) && !grep_env(cmd)
    {
        return;
    }
    let words: Vec<&str> = inv.words().iter().map(String::as_str).collect();
    // A dry run or a help page changes nothing.
    if words
        .iter()
        .any(|w| w.starts_with("--dry-run") || *w == "--dryrun" || *w == "--help" || *w == "-h")
    {
        return;
    }
    resets(prog, &words, j);
    cloud(prog, &words, j);
    harvest(cmd, prog, &words, j);
    evasion(inv, &words, j);
    exhaustion(cmd, prog, &words, ctx, j);
    supply_chain(prog, &words, j);
    devices(prog, &words, j);
}

fn resets(prog: &str, words: &[&str], j: &mut Judge) {
    let all: Vec<&str> = std::iter::once(prog).chain(words.iter().copied()).collect();
    let reset = all.iter().any(|w| RESET_WORDS.contains(w))
        || RESET_PAIRS.iter().any(|(a, b)| {
            all.iter()
                .position(|w| w == a || w.ends_with(&format!("/{a}")))
                .is_some_and(|i| b.is_empty() || all[i + 1..].contains(b))
        });
    if reset && !readonly_like(prog) {
        j.raise(
            RiskTier::High,
            "database_reset",
            "drops, flushes or rebuilds a database",
        );
        j.no_pattern = true;
    }
}

fn readonly_like(prog: &str) -> bool {
    super::readonly::is_read_only(prog) && !matches!(prog, "tar" | "cat")
}

fn cloud(prog: &str, words: &[&str], j: &mut Judge) {
    if !CLOUD_CLIS.contains(&prog) {
        return;
    }
    let positional: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .take(4)
        .collect();
    if positional
        .iter()
        .any(|w| CLOUD_READS.iter().any(|r| w.starts_with(r)) && !w.starts_with("get-login"))
    {
        return;
    }
    let verb = positional.iter().find(|w| PRIVILEGE_VERBS.contains(w));
    let values = |w: &&str| {
        let v = w.rsplit(['=', ':', ',']).next().unwrap_or(w);
        OPEN_VALUES.contains(&v) || OPEN_VALUES.contains(w) || w.contains("administratoraccess")
    };
    // Values of options (`--cidr 0.0.0.0/0`, `--role=Owner`), and grants to everyone.
    let open = words.windows(2).any(|p| {
        p[0].starts_with('-') && !p[0].contains('=') && !p[1].starts_with('-') && values(&p[1])
    }) || words.iter().any(|w| {
        (w.starts_with('-') && w.contains('=') && values(w))
            || w.starts_with("allusers")
            || w.starts_with("allauthenticatedusers")
    });
    let changes = positional.iter().any(|w| {
        [
            "create",
            "add",
            "set",
            "update",
            "apply",
            "put",
            "authorize",
            "ch",
            "attach",
            "modify",
        ]
        .iter()
        .any(|v| w.starts_with(v) || w.contains(&format!("-{v}")))
    });
    let from_url = matches!(prog, "kubectl" | "oc")
        && positional
            .first()
            .is_some_and(|w| matches!(*w, "apply" | "create" | "replace"))
        && words
            .iter()
            .any(|w| w.starts_with("http://") || w.starts_with("https://"));
    let to_zero = matches!(prog, "kubectl" | "oc")
        && positional.first() == Some(&"scale")
        && words.contains(&"--replicas=0");
    let keys = positional.windows(2).any(|p| p == ["keys", "create"]);
    if let Some(v) = verb {
        j.raise(
            RiskTier::High,
            "cloud_privilege",
            &format!("`{v}` grants privilege, opens access or schedules the loss of a key"),
        );
    } else if open && changes {
        j.raise(
            RiskTier::High,
            "cloud_exposure",
            "opens a resource to the whole internet or grants an all-powerful role",
        );
    } else if from_url {
        j.raise(
            RiskTier::High,
            "manifest_from_url",
            "applies a manifest fetched from a URL to the cluster",
        );
    } else if to_zero {
        j.raise(
            RiskTier::High,
            "scaled_to_zero",
            "scales a workload to zero replicas (an outage)",
        );
    } else if keys {
        j.raise(
            RiskTier::High,
            "cloud_privilege",
            "creates a long-lived credential for a service account",
        );
    } else {
        return;
    }
    j.no_pattern = true;
}

/// `printenv | grep -i token`: a grep-like stage filtering an environment dump for secrets.
fn grep_env(cmd: &SimpleCommand) -> bool {
    cmd.upstream.iter().any(|u| {
        matches!(
            u.as_str(),
            "env" | "printenv" | "set" | "export" | "declare"
        )
    }) && cmd.args().iter().any(|w| {
        let l = w.text.to_ascii_lowercase();
        !l.starts_with('-') && SECRET_FILTERS.iter().any(|s| l.contains(s))
    })
}

fn harvest(cmd: &SimpleCommand, prog: &str, words: &[&str], j: &mut Judge) {
    let why = if grep_env(cmd) {
        Some("filters the environment for secrets")
    } else if prog == "aws"
        && words.first() == Some(&"configure")
        && (words.get(1) == Some(&"export-credentials")
            || words.get(1) == Some(&"get")
                && words
                    .iter()
                    .any(|w| w.contains("secret") || w.contains("session_token")))
    {
        Some("prints a cloud secret key")
    } else if prog == "git"
        && words
            .windows(2)
            .any(|p| p == ["credential", "fill"] || p == ["credential-store", "get"])
    {
        Some("asks git's credential helper for a stored password")
    } else if matches!(prog, "docker" | "podman")
        && words.first() == Some(&"inspect")
        && words.iter().any(|w| w.contains(".env"))
    {
        Some("dumps a container's environment, which holds its secrets")
    } else if CONFIG_DUMPS.iter().any(|(p, subs)| {
        *p == prog
            && words
                .iter()
                .filter(|w| !w.starts_with('-'))
                .take(2)
                .any(|w| subs.contains(w))
            && !words
                .iter()
                .any(|w| w.starts_with("config:set") || *w == "config:unset")
    }) {
        Some("dumps a platform's configuration, which holds its secrets")
    } else {
        None
    };
    if let Some(why) = why {
        j.raise_secret(RiskTier::High, "credential_harvest", why);
    }
}

fn evasion(inv: &Invocation, words: &[&str], j: &mut Judge) {
    let (cmd, prog) = (inv.cmd, inv.program);
    let assigned = inv
        .env()
        .iter()
        .map(|(n, v)| (n.clone(), v.text.to_ascii_lowercase()))
        .chain(
            cmd.args()
                .iter()
                .filter(|_| matches!(prog, "export" | "declare" | "typeset" | "setenv"))
                .filter_map(|w| {
                    w.text
                        .split_once('=')
                        .map(|(n, v)| (n.to_string(), v.to_ascii_lowercase()))
                }),
        )
        .any(|(n, v)| {
            EVASION_VARS
                .iter()
                .any(|(name, vals)| n == *name && vals.contains(&v.as_str()))
        });
    let first = words.first().copied().unwrap_or("");
    let second = words.get(1).copied().unwrap_or("");
    let why = if assigned
        || (prog == "unset" && words.iter().any(|w| w.starts_with("hist")))
        || (prog == "set" && words.windows(2).any(|p| p == ["+o", "history"]))
        || (prog == "history" && words.iter().any(|w| *w == "-c" || *w == "-cw"))
    {
        Some("switches off shell history or TLS verification")
    } else if prog == "journalctl"
        && words
            .iter()
            .any(|w| w.starts_with("--vacuum") || *w == "--rotate" || *w == "--flush")
    {
        Some("wipes the system journal")
    } else if matches!(prog, "systemctl" | "launchctl")
        && !words.contains(&"help")
        && words.iter().any(|w| {
            matches!(
                *w,
                "enable" | "link" | "load" | "bootstrap" | "submit" | "preset"
            )
        })
    {
        Some("installs a service or timer that starts again by itself")
    } else if prog == "schtasks" && words.iter().any(|w| matches!(*w, "/create" | "/change")) {
        Some("installs a scheduled task")
    } else if prog == "reg" && matches!(first, "add" | "delete" | "import" | "copy") {
        Some("changes the Windows registry")
    } else if prog.starts_with("set-mppreference") || prog.starts_with("add-mppreference") {
        Some("changes or switches off Windows Defender")
    } else if prog == "netsh" && words.iter().any(|w| *w == "off" || *w == "disable") {
        Some("switches the Windows firewall off")
    } else if matches!(prog, "spctl" | "csrutil")
        && words
            .iter()
            .any(|w| matches!(*w, "disable" | "--master-disable" | "--global-disable"))
    {
        Some("switches a macOS protection off")
    } else if matches!(
        prog,
        "npm" | "pnpm" | "yarn" | "pip" | "pip3" | "git" | "bun"
    ) && first == "config"
        && words.iter().any(|w| {
            CONFIG_KEYS
                .iter()
                .any(|k| *w == *k || w.ends_with(&format!(".{k}")))
        })
        && !matches!(second, "get" | "list" | "ls" | "--get" | "--list" | "-l")
        && words.len() >= 3
    {
        Some("moves the package index or switches TLS verification off")
    } else if words.iter().any(|w| AGENT_SKIP_FLAGS.contains(w)) {
        Some("runs a coding agent with its permission checks switched off")
    } else {
        None
    };
    if let Some(why) = why {
        j.raise(RiskTier::High, "defence_evasion", why);
        j.no_pattern = true;
    }
}

/// Whether `code` (inline interpreter code) forks in a loop, spins forever or allocates a
/// huge block.
fn code_exhausts(code: &str) -> Option<(RiskTier, &'static str)> {
    let c = code.to_ascii_lowercase();
    let looping = c.contains("while") || c.contains("loop") || c.contains("for(;;)");
    if c.contains("fork") && looping {
        return Some((RiskTier::Critical, "forks in a loop (fork bomb)"));
    }
    let forever = [
        "while true",
        "while(1)",
        "while (1)",
        "while(true)",
        "while (true)",
        "loop {",
        "for(;;)",
    ]
    .iter()
    .any(|p| c.contains(p));
    if forever && !c.contains("sleep") && !c.contains("break") {
        return Some((RiskTier::High, "spins in an endless loop"));
    }
    // `10**12`, `1e12` sizes.
    let huge = c.match_indices("**").any(|(i, _)| {
        let digits: String = c[i + 2..]
            .chars()
            .take_while(|d| d.is_ascii_digit())
            .collect();
        digits.parse::<u32>().is_ok_and(|e| e >= 10)
    }) || c.match_indices("1e").any(|(i, _)| {
        let digits: String = c[i + 2..]
            .chars()
            .take_while(|d| d.is_ascii_digit())
            .collect();
        digits.parse::<u32>().is_ok_and(|e| e >= 10)
            && !c[..i].ends_with(|x: char| x.is_ascii_alphanumeric())
    });
    huge.then_some((RiskTier::High, "allocates a huge block of memory"))
}

/// Bytes of a size like `500G`, `10T`, `1024M`.
fn size_bytes(s: &str) -> Option<u64> {
    let s = s.trim_end_matches(['b', 'B', 'i']);
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        't' | 'T' => (&s[..s.len() - 1], 1 << 40),
        'p' | 'P' => (&s[..s.len() - 1], 1 << 50),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n.saturating_mul(mult))
}

fn exhaustion(cmd: &SimpleCommand, prog: &str, words: &[&str], ctx: &Context, j: &mut Judge) {
    let base = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if INTERPRETERS.contains(&prog) || INTERPRETERS.contains(&base) {
        let code: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
        if let Some((tier, why)) = code_exhausts(&code.join(" ")) {
            j.raise(tier, "resource_exhaustion", why);
            j.no_pattern = true;
        }
    }
    if prog == "fallocate" {
        let big = words.windows(2).any(|p| {
            matches!(p[0], "-l" | "--length") && size_bytes(p[1]).is_some_and(|b| b >= 10 << 30)
        });
        if big {
            j.raise(
                RiskTier::High,
                "resource_exhaustion",
                "reserves a file large enough to fill the disk",
            );
        }
        if let Some(target) = cmd.args().last() {
            super::writes::write_target(target, ctx, j);
        }
    }
}

fn host_is_ip(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', ':', '@']).next().unwrap_or("");
    !host.is_empty() && host.chars().all(|c| c.is_ascii_digit() || c == '.') && host.contains('.')
}

fn supply_chain(prog: &str, words: &[&str], j: &mut Judge) {
    if !PACKAGE_MANAGERS.contains(&prog) {
        return;
    }
    let plain = words.iter().any(|w| w.contains("http://"));
    let raw_ip = words.iter().any(|w| w.contains("://") && host_is_ip(w));
    let installs = words
        .iter()
        .take(3)
        .any(|w| matches!(*w, "install" | "i" | "add" | "get"));
    let tarball = installs
        && words.iter().any(|w| {
            w.starts_with("https://")
                && [
                    ".tgz", ".tar.gz", ".whl", ".zip", ".tar.bz2", ".gem", ".crate",
                ]
                .iter()
                .any(|e| w.ends_with(e))
        });
    let moved = words.first() == Some(&"config")
        && words.get(1) == Some(&"set")
        && words.iter().any(|w| {
            ["registry", "index-url", "trusted-host", "npmregistryserver"]
                .iter()
                .any(|k| w.ends_with(k))
        })
        && !words.iter().any(|w| {
            w.contains("registry.npmjs.org")
                || w.contains("pypi.org")
                || w.contains("registry.yarnpkg.com")
        });
    let why = if plain || raw_ip {
        "installs from a plain-HTTP or raw-IP source anyone on the path can swap"
    } else if tarball {
        "installs a package straight from a URL, outside the registry"
    } else if moved {
        "switches the package registry to another host"
    } else {
        return;
    };
    j.raise(RiskTier::High, "supply_chain", why);
    j.no_pattern = true;
}

/// A whole-disk or partition device path (`/dev/sda`, `/dev/nvme0n1`, `/dev/disk2`).
pub(super) fn disk_device(p: &str) -> bool {
    let Some(name) = p.strip_prefix("/dev/") else {
        return false;
    };
    [
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-", "mapper/", "sr",
    ]
    .iter()
    .any(|pre| name.starts_with(pre))
}

fn devices(prog: &str, words: &[&str], j: &mut Judge) {
    if !DEVICE_WRITERS.contains(&prog) {
        return;
    }
    let positional: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let written = match prog {
        // The source of a copy is read; the last operand is written.
        "cp" | "rsync" | "mv" | "install" | "ddrescue" | "scp" | "bmaptool" => {
            positional.len() >= 2 && positional.last().is_some_and(|w| disk_device(w))
        }
        "tar" => {
            let create = words
                .first()
                .is_some_and(|w| !w.starts_with("--") && w.contains('c'))
                || words.iter().any(|w| *w == "--create" || *w == "-c");
            create
                && words
                    .iter()
                    .any(|w| disk_device(w.trim_start_matches("--file=")))
        }
        "cat" | "pv" => false,
        _ => words
            .iter()
            .any(|w| disk_device(w.trim_start_matches("of=").trim_start_matches("-o"))),
    };
    if written {
        j.raise(
            RiskTier::Critical,
            "disk_write",
            "writes over a raw disk device",
        );
        j.no_pattern = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausting_code() {
        assert_eq!(
            code_exhausts("import os\nwhile True: os.fork()").map(|x| x.0),
            Some(RiskTier::Critical)
        );
        assert!(code_exhausts("while(1){}").is_some());
        assert!(code_exhausts("x = 'a' * 10**12").is_some());
        assert!(code_exhausts("print(sum(range(100)))").is_none());
        assert!(code_exhausts("while True:\n  time.sleep(1)").is_none());
    }

    #[test]
    fn sizes_and_devices() {
        assert_eq!(size_bytes("500G"), Some(500 << 30));
        assert_eq!(size_bytes("10M"), Some(10 << 20));
        assert!(disk_device("/dev/sda"));
        assert!(disk_device("/dev/nvme0n1"));
        assert!(!disk_device("/dev/null"));
        assert!(!disk_device("/dev/stderr"));
        assert!(host_is_ip("http://198.51.100.7/x"));
        assert!(!host_is_ip("https://pypi.org/simple"));
    }
}
