//! System rules: aiperture self-protection, databases, cloud and clusters, containers,
//! processes, services, users and privileges, keychains and environment dumps, package
//! managers and build tools; plus the read-only command table.

use super::Context;
use super::judge::Judge;
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// Commands that only read (rated low when no other rule applies).
const READ_ONLY: &[&str] = &[
    "ls",
    "cat",
    "head",
    "tail",
    "less",
    "more",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "echo",
    "printf",
    "pwd",
    "which",
    "type",
    "whereis",
    "file",
    "stat",
    "du",
    "df",
    "date",
    "whoami",
    "id",
    "uname",
    "hostname",
    "printenv",
    "tree",
    "diff",
    "cmp",
    "comm",
    "jq",
    "yq",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "true",
    "false",
    "test",
    "[",
    "[[",
    "sleep",
    "seq",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shasum",
    "md5",
    "cksum",
    "b2sum",
    "base64",
    "base32",
    "xxd",
    "hexdump",
    "od",
    "strings",
    "column",
    "fold",
    "nl",
    "paste",
    "join",
    "tac",
    "rev",
    "man",
    "help",
    "info",
    "ps",
    "pgrep",
    "free",
    "uptime",
    "lsof",
    "netstat",
    "ss",
    "cd",
    "pushd",
    "popd",
    "dirs",
    "fd",
    "fzf",
    "bat",
    "exa",
    "eza",
    "lsd",
    "awk",
    "gawk",
    "mawk",
    "sed",
    "tldr",
    "look",
    "locate",
    "pstree",
    "top",
    "htop",
    "vmstat",
    "iostat",
    "w",
    "who",
    "last",
    "groups",
    "nproc",
    "arch",
    "lscpu",
    "lsblk",
    "lsusb",
    "lspci",
    "env",
    "history",
    "alias",
    "export",
    "set",
    "shopt",
    "declare",
    "local",
    "readonly",
    "typeset",
    "unset",
    "command",
    "hash",
    "unalias",
    "source",
    ".",
    "read",
    "wait",
    "jobs",
    "fg",
    "bg",
    "trap",
    "umask",
    "ulimit",
    "getconf",
    "locale",
    "tput",
    "clear",
    "reset",
    "stty",
    "tty",
    "expr",
    "bc",
    "dc",
    "factor",
    "numfmt",
    "units",
    "cal",
    "ncal",
    "zcat",
    "gzcat",
    "bzcat",
    "xzcat",
    "zless",
    "zgrep",
    "zdiff",
    "lz4cat",
    "zstdcat",
    "unzip",
    "tar",
    "gzip",
    "gunzip",
    "zip",
    "7z",
    "xz",
    "bzip2",
    "zstd",
    "shellcheck",
    "hadolint",
    "pandoc",
    "iconv",
    "dos2unix",
    "unix2dos",
    "split",
    "csplit",
    "expand",
    "unexpand",
    "fmt",
    "pr",
    "ptx",
    "tsort",
    "shuf",
    "xargs",
    ":",
    "colordiff",
    "delta",
    "difft",
    "vimdiff",
    "git-lfs",
    "gitk",
    "tig",
    "say",
    "open",
    "xdg-open",
    "pbpaste",
    "pbcopy",
    "xclip",
    "xsel",
    "wl-copy",
    "wl-paste",
    "ldd",
    "nm",
    "objdump",
    "readelf",
    "otool",
    "size",
    "file",
    "mdls",
    "sw_vers",
    "system_profiler",
    "sysctl",
    "ioreg",
    "dmesg",
    "journalctl",
    "lsmod",
    "uptime",
    "sha224sum",
    "sha384sum",
    "tee",
    "yes",
    "nohup",
    "time",
    "timeout",
    "watch",
    "envsubst",
    "getent",
    "finger",
    "users",
    "logname",
    "ping",
    "dig",
    "host",
    "nslookup",
    "whois",
    "traceroute",
    "identify",
    "exiftool",
    "mediainfo",
    "ffprobe",
    "pdftotext",
    "pdfinfo",
    "sqlite3",
    "cloc",
    "tokei",
    "scc",
    "rga",
    "ugrep",
    "sd",
    "choose",
    "xsv",
    "mlr",
    "csvlook",
    "dasel",
    "gron",
    "fx",
    "htmlq",
    "pup",
    "xmllint",
    "xq",
    "tomlq",
    "glow",
    "mdcat",
];

/// True when `prog` is in the read-only table.
pub(super) fn is_read_only(prog: &str) -> bool {
    READ_ONLY.contains(&prog)
}

/// Rates an environment assignment (`NAME=value cmd`, `export NAME=…`, bare `NAME=…`).
pub(super) fn assignment(name: &str, value: &Word, j: &mut Judge) {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("AIPERTURE") {
        j.raise(
            RiskTier::Critical,
            "self_protection",
            "changes aiperture's own settings through the environment",
        );
        j.no_pattern = true;
    } else if matches!(
        upper.as_str(),
        "LD_PRELOAD"
            | "LD_LIBRARY_PATH"
            | "LD_AUDIT"
            | "DYLD_INSERT_LIBRARIES"
            | "DYLD_LIBRARY_PATH"
            | "BASH_ENV"
            | "ENV"
            | "PROMPT_COMMAND"
            | "PYTHONSTARTUP"
            | "NODE_OPTIONS"
            | "PERL5OPT"
            | "RUBYOPT"
            | "GIT_SSH_COMMAND"
            | "GIT_SSH"
            | "GIT_EXTERNAL_DIFF"
            | "GIT_EDITOR"
            | "GIT_PAGER"
            | "GIT_ASKPASS"
            | "SSH_ASKPASS"
            | "SUDO_ASKPASS"
            | "IFS"
            | "GIT_CONFIG_GLOBAL"
            | "GIT_CONFIG_PARAMETERS"
    ) {
        j.raise(
            RiskTier::High,
            "code_injection_env",
            "sets an environment variable that makes programs load or run other code",
        );
        j.no_pattern = true;
    } else if upper == "PATH" {
        j.raise(RiskTier::Medium, "path_change", "changes PATH");
    } else if upper == "HISTFILE" || upper == "HISTSIZE" {
        j.raise(
            RiskTier::Medium,
            "history_tampering",
            "changes shell history",
        );
    }
    let _ = value;
}

/// True when a word names an environment variable likely to hold a secret.
fn secret_var(text: &str) -> bool {
    let up = text.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|s| up.contains(s))
}

/// System, data and cloud programs. Returns true when handled.
pub(super) fn judge(cmd: &SimpleCommand, prog: &str, _ctx: &Context, j: &mut Judge) -> bool {
    let args = cmd.args();
    let words: Vec<String> = args.iter().map(|w| w.text.to_ascii_lowercase()).collect();
    let has = |s: &str| words.iter().any(|w| w == s);
    let positional: Vec<&str> = positionals(&words);
    let first = positional.first().copied().unwrap_or("");
    match prog {
        "aiperture" => {
            let sub = first;
            let second = positional.get(1).copied().unwrap_or("");
            let tamper = matches!(
                sub,
                "approve" | "deny" | "revoke" | "grant" | "bootstrap" | "setup" | "hook"
            ) || (sub == "config"
                && matches!(second, "set" | "unset" | "reset" | "edit"))
                || (sub == "audit" && matches!(second, "reset" | "prune" | "delete" | "reseal"))
                || (sub == "serve");
            if tamper {
                j.raise(
                    RiskTier::Critical,
                    "self_protection",
                    "an agent may not approve, deny, grant, revoke or reconfigure aiperture itself",
                );
                j.no_pattern = true;
            } else {
                j.note("read_only", "queries aiperture");
            }
            true
        }
        // Databases.
        "psql" | "mysql" | "mariadb" | "sqlite3" | "duckdb" | "clickhouse-client"
        | "clickhouse" | "cqlsh" | "mongo" | "mongosh" | "sqlcmd" | "cockroach" | "pgcli"
        | "mycli" | "litecli" | "usql" | "bq" | "snowsql" => {
            let mut sql = String::new();
            for (i, w) in args.iter().enumerate() {
                let t = w.text.as_str();
                if matches!(
                    t,
                    "-c" | "--command" | "-e" | "--execute" | "--eval" | "-q" | "--query" | "-Q"
                ) {
                    if let Some(v) = args.get(i + 1) {
                        sql.push_str(&v.text);
                        sql.push('\n');
                    }
                } else if let Some(v) = t
                    .strip_prefix("--command=")
                    .or_else(|| t.strip_prefix("--execute="))
                    .or_else(|| t.strip_prefix("--eval="))
                {
                    sql.push_str(v);
                    sql.push('\n');
                }
            }
            if matches!(prog, "sqlite3" | "duckdb" | "litecli") {
                // sqlite3 DB "SQL"
                let ops: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
                if let Some(s) = ops.get(1) {
                    sql.push_str(&s.text);
                }
            }
            if let Some(t) = &cmd.stdin_text {
                sql.push_str(t);
            }
            j.raise(RiskTier::Medium, "database", "connects to a database");
            if cmd.piped_stdin && cmd.stdin_text.is_none() {
                j.raise(
                    RiskTier::High,
                    "pipe_to_database",
                    "pipes generated SQL into a database client",
                );
            }
            if words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "-readonly" | "--readonly" | "-safe" | "--read-only" | "-r"
                ) && matches!(prog, "sqlite3" | "duckdb" | "litecli")
            }) {
                j.note("read_only_database", "opens the database read-only");
            } else {
                sql_risk(&sql, j);
            }
            true
        }
        "dropdb" | "dropuser" | "mysqladmin" if prog != "mysqladmin" || has("drop") => {
            j.raise(RiskTier::High, "database_drop", "drops a database or user");
            j.no_pattern = true;
            true
        }
        "redis-cli" | "valkey-cli" | "keydb-cli" => {
            if words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "flushall" | "flushdb" | "shutdown" | "config" | "del" | "unlink" | "debug"
                )
            }) {
                j.raise(
                    RiskTier::High,
                    "database_flush",
                    "flushes or deletes data in Redis",
                );
                j.no_pattern = true;
            } else {
                j.raise(RiskTier::Medium, "database", "talks to Redis");
            }
            true
        }
        // Containers and clusters.
        "kubectl" | "oc" | "k9s" | "kubectx" | "kubens" => {
            if has("--help") || has("-h") || first == "help" {
                j.note("help", "prints help");
                return true;
            }
            if words.iter().any(|w| w.starts_with("--dry-run")) {
                j.raise(
                    RiskTier::Medium,
                    "cluster_dry_run",
                    "previews a cluster change",
                );
                return true;
            }
            match first {
                "delete" | "drain" | "cordon" | "replace" | "taint" => destroy(
                    j,
                    "cluster_destroy",
                    "deletes or disrupts cluster resources",
                ),
                "apply" | "create" | "edit" | "patch" | "scale" | "rollout" | "set" | "label"
                | "annotate" | "expose" | "run" | "autoscale" | "exec" | "cp" | "port-forward"
                | "attach" | "debug" => {
                    if has("--force") && first == "replace" {
                        destroy(j, "cluster_destroy", "")
                    }
                    j.raise(
                        RiskTier::Medium,
                        "cluster_change",
                        "changes cluster resources",
                    );
                }
                "get" | "describe" | "logs" | "top" | "explain" | "version" | "api-resources"
                | "api-versions" | "cluster-info" | "config" | "auth" | "diff" | "events"
                | "wait" => {
                    if first == "config"
                        && matches!(
                            positional.get(1).copied(),
                            Some(
                                "set-credentials"
                                    | "set-cluster"
                                    | "set-context"
                                    | "delete-context"
                                    | "delete-cluster"
                                    | "use-context"
                            )
                        )
                    {
                        j.raise(RiskTier::Medium, "cluster_config", "changes kubeconfig");
                    } else if first == "get"
                        && (positional.contains(&"secret") || positional.contains(&"secrets"))
                        && words.windows(2).any(|p| {
                            matches!(p.first().map(|s| s.as_str()), Some("-o" | "--output"))
                                && p.get(1)
                                    .map(|v| !matches!(v.as_str(), "name" | "wide"))
                                    .unwrap_or(false)
                        })
                        || words.iter().any(|w| {
                            (w.starts_with("-o=")
                                || w.starts_with("--output=")
                                || w.starts_with("-ojson")
                                || w.starts_with("-oyaml")
                                || w.starts_with("-ojsonpath"))
                                && (positional.contains(&"secret")
                                    || positional.contains(&"secrets"))
                        })
                    {
                        j.raise(RiskTier::High, "secret_access", "reads cluster secrets");
                        j.secret = true;
                        j.no_pattern = true;
                    } else {
                        j.note("read_only", "reads cluster state");
                    }
                }
                _ => j.raise(RiskTier::Medium, "cluster", "runs a cluster command"),
            }
            true
        }
        "helm" => {
            if words
                .iter()
                .any(|w| w.starts_with("--dry-run") || w == "--help" || w == "-h")
            {
                j.raise(
                    RiskTier::Medium,
                    "cluster_dry_run",
                    "previews a release change",
                );
                return true;
            }
            match first {
                "uninstall" | "delete" | "rollback" => {
                    destroy(j, "cluster_destroy", "removes or rolls back a release")
                }
                "list" | "ls" | "status" | "get" | "show" | "search" | "template" | "lint"
                | "version" | "history" | "env" | "repo" => j.note("read_only", "reads releases"),
                _ => j.raise(
                    RiskTier::Medium,
                    "cluster_change",
                    "installs or upgrades a release",
                ),
            }
            true
        }
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" | "serverless" | "sls" => {
            let destroy_flag = has("-destroy") || has("--destroy");
            match first {
                "destroy" | "remove" => destroy(j, "infra_destroy", "destroys infrastructure"),
                "apply" | "up" | "deploy" if destroy_flag => {
                    destroy(j, "infra_destroy", "destroys infrastructure")
                }
                "apply" | "up" | "deploy" => {
                    if has("-auto-approve") || has("--yes") || has("-y") || has("--auto-approve") {
                        j.raise(
                            RiskTier::High,
                            "infra_apply_unreviewed",
                            "applies infrastructure changes without review",
                        );
                    } else {
                        j.raise(RiskTier::Medium, "infra_apply", "changes infrastructure");
                    }
                }
                "state"
                    if matches!(
                        positional.get(1).copied(),
                        Some("rm" | "mv" | "push" | "replace-provider")
                    ) =>
                {
                    destroy(j, "infra_state", "edits infrastructure state")
                }
                "taint" | "import" | "force-unlock" | "workspace"
                    if first != "workspace"
                        || matches!(positional.get(1).copied(), Some("delete")) =>
                {
                    j.raise(RiskTier::High, "infra_state", "edits infrastructure state")
                }
                "plan" | "validate" | "fmt" | "show" | "output" | "graph" | "providers"
                | "version" | "preview" | "list" | "diff" | "synth" | "ls" => {
                    j.note("read_only", "reads infrastructure")
                }
                _ => j.raise(RiskTier::Medium, "infra", "runs an infrastructure command"),
            }
            true
        }
        "aws" | "gcloud" | "gsutil" | "az" | "doctl" | "flyctl" | "fly" | "heroku" | "vercel"
        | "netlify" | "firebase" | "wrangler" | "railway" | "linode-cli" | "hcloud" | "oci"
        | "ibmcloud" | "s3cmd" => {
            cloud(prog, &words, &positional, j);
            true
        }
        "docker" | "podman" | "nerdctl" | "docker-compose" | "colima" => {
            docker(prog, &words, &positional, j);
            true
        }
        // Processes and the machine.
        "kill" => {
            let targets: Vec<&str> = words
                .iter()
                .filter(|w| {
                    !w.starts_with('-')
                        || w.chars().skip(1).all(|c| c.is_ascii_digit())
                            && w.len() > 1
                            && !w.starts_with("-s")
                })
                .map(|s| s.as_str())
                .collect();
            let all = targets.iter().any(|t| *t == "-1" || *t == "1" || *t == "0");
            if has("-l") || has("-L") {
                j.note("read_only", "lists signals");
            } else if all && targets.len() == 1
                || words.iter().any(|w| w == "-1")
                    && words.len() >= 2
                    && words.last().map(|l| l == "-1").unwrap_or(false)
            {
                j.raise(
                    RiskTier::Critical,
                    "kill_all",
                    "kills every process (or init)",
                );
            } else {
                j.raise(RiskTier::Medium, "kill", "kills a process");
            }
            j.no_pattern = true;
            true
        }
        "pkill" | "killall" | "skill" | "slay" | "xkill" => {
            if has("-l") || has("--list") || has("--help") || has("-v") && words.len() == 1 {
                j.note("read_only", "lists signals");
                return true;
            }
            j.raise(RiskTier::High, "kill_by_name", "kills processes by name");
            j.no_pattern = true;
            true
        }
        "shutdown" | "reboot" | "halt" | "poweroff" | "init" | "telinit" => {
            if has("--help") || has("-h") && prog != "shutdown" {
                j.note("help", "");
            } else {
                destroy(j, "shutdown", "shuts down or reboots the machine");
            }
            true
        }
        "systemctl" | "service" | "launchctl" | "rc-service" | "sv" => {
            match first {
                "status" | "list" | "list-units" | "list-unit-files" | "show" | "cat"
                | "is-active" | "is-enabled" | "is-failed" | "print" | "blame" => {
                    j.note("read_only", "reads service state")
                }
                "poweroff" | "reboot" | "halt" | "kexec" | "suspend" | "hibernate"
                | "emergency" | "rescue" => {
                    destroy(j, "shutdown", "shuts down or reboots the machine")
                }
                "stop" | "disable" | "mask" | "kill" | "unload" | "bootout" | "remove" => {
                    destroy(j, "service_stop", "stops or disables a system service")
                }
                _ => j.raise(RiskTier::Medium, "service_change", "changes a service"),
            }
            true
        }
        "crontab" | "at" | "batch" => {
            if has("-l") {
                j.note("read_only", "lists scheduled jobs");
            } else if has("-r") {
                destroy(j, "crontab_remove", "removes all scheduled jobs");
            } else {
                destroy(j, "persistence", "installs scheduled jobs (persistence)");
            }
            true
        }
        "dscl" | "sysadminctl" | "pwpolicy"
            if !words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "-create"
                        | "create"
                        | "-delete"
                        | "delete"
                        | "-append"
                        | "append"
                        | "-merge"
                        | "merge"
                        | "-passwd"
                        | "passwd"
                        | "-change"
                        | "change"
                        | "-adduser"
                        | "-deleteuser"
                        | "-addgroup"
                        | "-setpolicy"
                        | "-resetpassword"
                )
            }) =>
        {
            j.note("read_only", "reads directory services");
            true
        }
        "useradd" | "userdel" | "usermod" | "adduser" | "deluser" | "groupadd" | "groupdel"
        | "groupmod" | "passwd" | "chpasswd" | "chsh" | "chfn" | "dscl" | "sysadminctl"
        | "pwpolicy" | "gpasswd" | "newgrp" => {
            let admin = words
                .iter()
                .any(|w| matches!(w.as_str(), "sudo" | "wheel" | "admin" | "root" | "docker"));
            if admin {
                j.raise(
                    RiskTier::Critical,
                    "privilege_grant",
                    "adds a user to an administrator group",
                );
            } else {
                destroy(j, "user_change", "changes users, groups or passwords");
            }
            true
        }
        "visudo" | "sudoedit" => {
            j.raise(RiskTier::Critical, "sudoers", "edits sudo rules");
            j.no_pattern = true;
            true
        }
        "mount" | "umount" | "swapoff" | "swapon" | "losetup" | "cryptsetup" | "lvremove"
        | "vgremove" | "pvremove" | "zpool" | "zfs" | "mdadm" | "modprobe" | "insmod" | "rmmod"
        | "sysctl"
            if changes_system(prog, &words) =>
        {
            destroy(
                j,
                "system_change",
                "changes mounts, disks, kernel modules or kernel settings",
            );
            true
        }
        "iptables" | "ip6tables" | "nft" | "ufw" | "firewall-cmd" | "pfctl" | "route"
        | "ifconfig" | "ip"
            if changes_network(prog, first, &positional, &words) =>
        {
            destroy(
                j,
                "network_config",
                "changes firewall or network configuration",
            );
            true
        }
        "security" => {
            let reveal = (words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "find-generic-password" | "find-internet-password"
                )
            }) && words.iter().any(|w| w == "-w" || w == "-g"))
                || (first == "dump-keychain" && words.iter().any(|w| w == "-d" || w == "-r"))
                || matches!(
                    first,
                    "export"
                        | "delete-keychain"
                        | "delete-generic-password"
                        | "delete-internet-password"
                        | "set-keychain-password"
                        | "unlock-keychain"
                        | "add-trusted-cert"
                        | "authorizationdb"
                );
            if reveal {
                j.raise(
                    RiskTier::High,
                    "keychain_access",
                    "reads secrets from or changes the keychain",
                );
                j.secret = true;
                j.no_pattern = true;
            } else {
                j.note("keychain_query", "queries keychain metadata");
            }
            true
        }
        "secret-tool" | "pass" | "gopass" | "op" | "bw" | "lpass" | "keyring" | "gpg" | "gpg2"
        | "age" | "vault" | "sops" | "chamber" => {
            let reading = words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "show"
                        | "get"
                        | "read"
                        | "export-secret-keys"
                        | "--export-secret-keys"
                        | "-d"
                        | "--decrypt"
                        | "decrypt"
                        | "exec"
                        | "run"
                        | "inject"
                )
            }) && !words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "list" | "ls" | "lookup" | "vault" | "account" | "whoami" | "status"
                )
            });
            if words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "delete" | "destroy" | "rm" | "remove" | "purge" | "revoke" | "disable"
                )
            }) {
                destroy(j, "secret_destroy", "deletes or revokes secrets");
                return true;
            }
            if reading || positional.len() == 1 && prog == "pass" {
                j.raise(
                    RiskTier::High,
                    "secret_access",
                    "reads secrets from a password manager or vault",
                );
                j.secret = true;
            } else {
                j.raise(RiskTier::Medium, "secret_tool", "uses a secrets tool");
            }
            j.no_pattern = true;
            true
        }
        "env" | "printenv" | "set" | "export" | "declare" | "typeset" | "local" | "readonly"
        | "unset" => {
            if prog != "env" && prog != "printenv" && prog != "set" {
                for w in args.iter().filter(|w| !w.text.starts_with('-')) {
                    let (name, value) = w.text.split_once('=').unwrap_or((w.text.as_str(), ""));
                    assignment(name, &Word::literal(value), j);
                }
            }
            if prog == "unset"
                || (prog != "env"
                    && prog != "printenv"
                    && prog != "set"
                    && !args.is_empty()
                    && !has("-p")
                    && !has("-x"))
            {
                if j.tier == RiskTier::Low {
                    j.note("read_only", "sets shell variables");
                }
                return true;
            }
            if prog == "printenv" && args.iter().any(|w| secret_var(&w.text)) {
                j.raise(
                    RiskTier::High,
                    "secret_env",
                    "prints a secret environment variable",
                );
                j.secret = true;
                j.no_pattern = true;
            } else if args.is_empty()
                || (prog == "export" && has("-p"))
                || (prog == "declare" && (has("-p") || has("-x")))
            {
                j.raise(
                    RiskTier::Medium,
                    "env_dump",
                    "prints the environment, which may hold tokens",
                );
                j.secret = true;
            } else {
                j.note("read_only", "");
            }
            true
        }
        "echo" | "printf" => {
            if args
                .iter()
                .any(|w| w.dynamic && secret_var(&w.raw) && w.raw.contains('$'))
            {
                j.raise(
                    RiskTier::High,
                    "secret_env",
                    "prints a secret environment variable",
                );
                j.secret = true;
                j.no_pattern = true;
            } else {
                j.note("read_only", "prints text");
            }
            true
        }
        "history" => {
            if has("-c") || has("-d") || has("-w") {
                j.raise(
                    RiskTier::Medium,
                    "history_tampering",
                    "clears shell history",
                );
                j.no_pattern = true;
            } else {
                j.note("read_only", "shows history");
            }
            true
        }
        // Package managers and build tools.
        "npm" | "pnpm" | "yarn" | "bun" | "cargo" | "pip" | "pip3" | "pipx" | "uv" | "poetry"
        | "gem" | "bundle" | "go" | "composer" | "mvn" | "gradle" | "dotnet" | "nuget"
        | "twine" | "hatch" | "pdm" | "conda" | "mamba" | "brew" | "apt" | "apt-get" | "dnf"
        | "yum" | "pacman" | "apk" | "zypper" | "port" | "snap" | "flatpak" | "choco"
        | "winget" | "scoop" | "nix" | "nix-env" | "rustup" | "deno" | "swift" | "stack"
        | "cabal" | "mix" | "lein" | "sbt" => {
            package_manager(prog, &words, &positional, j);
            true
        }
        "npx" | "bunx" | "pnpx" | "uvx" | "pipx-run" => {
            j.raise(
                RiskTier::Medium,
                "run_package",
                "downloads and runs a package",
            );
            true
        }
        "make" | "just" | "ninja" | "cmake" | "meson" | "bazel" | "rake" | "task" | "invoke"
        | "tox" | "nox" | "pytest" | "jest" | "vitest" | "mocha" | "tsc" | "eslint"
        | "prettier" | "ruff" | "black" | "mypy" | "pyright" | "flake8" | "pylint" | "isort"
        | "rustc" | "gcc" | "g++" | "clang" | "clang++" | "cc" | "c++" | "javac" | "java"
        | "kotlinc" | "scalac" | "ghc" | "zig" | "nim" | "crystal" | "elixir" | "erl" | "dart"
        | "flutter" | "xcodebuild" | "swiftc" | "rails" | "django-admin" | "manage.py"
        | "webpack" | "vite" | "next" | "nuxt" | "turbo" | "nx" | "lerna" | "rollup"
        | "esbuild" | "parcel" | "biome" | "golangci-lint" | "gofmt" | "rustfmt"
        | "clippy-driver" | "stylelint" | "phpunit" | "rspec" | "cucumber" | "playwright"
        | "cypress" | "pre-commit" | "husky" | "bats" | "shfmt" | "terraform-docs" | "tflint" => {
            let destructive = words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "db:drop"
                        | "db:reset"
                        | "db:schema:load"
                        | "flush"
                        | "reset_db"
                        | "migrate:fresh"
                        | "migrate:reset"
                        | "db:purge"
                )
            });
            if destructive {
                destroy(j, "database_reset", "drops or resets a database");
            } else {
                j.raise(
                    RiskTier::Medium,
                    "build",
                    "runs a build, test or project tool",
                );
            }
            true
        }
        "gh" | "glab" | "hub" => {
            let sub = positional.get(1).copied().unwrap_or("");
            if matches!(
                sub,
                "delete" | "close" | "merge" | "archive" | "transfer" | "rename"
            ) && first != "gist"
                || matches!(first, "api")
                    && words
                        .iter()
                        .any(|w| matches!(w.as_str(), "delete" | "-xdelete" | "--method=delete"))
            {
                destroy(
                    j,
                    "forge_destroy",
                    "deletes, merges or archives on the code host",
                );
            } else if matches!(sub, "list" | "view" | "status" | "diff" | "checks" | "ls")
                || matches!(first, "status" | "search" | "browse" | "help" | "version")
                || first == "auth" && sub == "status"
            {
                j.note("read_only", "reads from the code host");
            } else if first == "auth" && sub == "token" {
                j.raise(RiskTier::High, "secret_access", "prints an access token");
                j.secret = true;
                j.no_pattern = true;
            } else {
                j.raise(
                    RiskTier::Medium,
                    "forge_write",
                    "changes something on the code host",
                );
            }
            true
        }
        _ => false,
    }
}

fn destroy(j: &mut Judge, factor: &str, reason: &str) {
    j.raise(RiskTier::High, factor, reason);
    j.no_pattern = true;
}

/// SQL statements that destroy data.
fn sql_risk(sql: &str, j: &mut Judge) {
    if sql.is_empty() {
        return;
    }
    let lower = sql.to_lowercase();
    for stmt in lower.split(';') {
        let s = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.starts_with("drop database")
            || s.starts_with("drop schema")
            || s.contains("dropdatabase(")
        {
            j.raise(RiskTier::Critical, "sql_drop_database", "drops a database");
        } else if s.starts_with("drop ") || s.contains(".drop(") || s.contains("dropcollection") {
            j.raise(RiskTier::High, "sql_drop", "drops a database object");
        } else if s.starts_with("truncate") {
            j.raise(RiskTier::High, "sql_truncate", "empties a table");
        } else if (s.starts_with("delete from") || s.starts_with("delete "))
            && !s.contains(" where ")
        {
            j.raise(
                RiskTier::High,
                "sql_delete_all",
                "deletes every row (DELETE without WHERE)",
            );
        } else if s.starts_with("update ") && !s.contains(" where ") {
            j.raise(
                RiskTier::High,
                "sql_update_all",
                "updates every row (UPDATE without WHERE)",
            );
        } else if s.starts_with("alter ") && s.contains(" drop ") {
            j.raise(
                RiskTier::High,
                "sql_alter_drop",
                "drops a column or constraint",
            );
        } else if s.contains("deletemany({})") || s.contains("remove({})") {
            j.raise(RiskTier::High, "sql_delete_all", "deletes every document");
        } else if s.starts_with("grant ")
            || s.starts_with("revoke ")
            || s.starts_with("create user")
            || s.starts_with("alter user")
        {
            j.raise(
                RiskTier::High,
                "sql_privilege",
                "changes database privileges",
            );
        } else if s.starts_with("insert")
            || s.starts_with("update")
            || s.starts_with("delete")
            || s.starts_with("create")
            || s.starts_with("alter")
        {
            j.raise(RiskTier::Medium, "sql_write", "writes to the database");
        }
    }
    if j.tier >= RiskTier::High {
        j.no_pattern = true;
    }
}

fn cloud(prog: &str, words: &[String], positional: &[&str], j: &mut Judge) {
    let is_verb = |w: &str, v: &str| w == v || w.starts_with(&format!("{v}-"));
    let destructive = positional.iter().any(|w| {
        [
            "delete",
            "remove",
            "destroy",
            "terminate",
            "purge",
            "deregister",
            "drop",
            "wipe",
            "reset",
        ]
        .iter()
        .any(|v| is_verb(w, v))
            || matches!(*w, "rm" | "rb" | "apps:destroy" | "destroy")
    }) || words
        .iter()
        .any(|w| w == "--delete" || w == "--force-delete");
    let help = words.iter().any(|w| w == "--help" || w == "-h") || positional.contains(&"help");
    let dry = words.iter().any(|w| w.starts_with("--dry-run"));
    let read = positional.iter().any(|w| {
        [
            "describe", "list", "get", "head", "show", "lookup", "search", "check", "wait",
            "validate",
        ]
        .iter()
        .any(|v| is_verb(w, v))
            || matches!(
                *w,
                "ls" | "whoami"
                    | "info"
                    | "status"
                    | "logs"
                    | "cat"
                    | "version"
                    | "tail"
                    | "inspect"
            )
    });
    let reveals = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "get-secret-value"
                | "print-access-token"
                | "get-session-token"
                | "get-login-password"
                | "get-access-token"
                | "export-credentials"
                | "print-identity-token"
                | "get-authorization-token"
                | "--with-decryption"
                | "auth:token"
        )
    }) || (positional.contains(&"secrets") && positional.contains(&"access"));
    let _ = prog;
    if help {
        j.note("help", "prints help");
    } else if destructive && !dry {
        destroy(j, "cloud_destroy", "deletes or terminates cloud resources");
    } else if reveals {
        j.raise(
            RiskTier::High,
            "secret_access",
            "prints cloud secrets or credentials",
        );
        j.secret = true;
        j.no_pattern = true;
    } else if read || dry {
        j.note("read_only", "reads cloud resources");
    } else {
        j.raise(RiskTier::Medium, "cloud_change", "changes cloud resources");
    }
}

fn docker(_prog: &str, words: &[String], positional: &[&str], j: &mut Judge) {
    let first = positional.first().copied().unwrap_or("");
    let second = positional.get(1).copied().unwrap_or("");
    let has = |s: &str| words.iter().any(|w| w == s);
    let all = has("-a") || has("--all") || has("-af") || has("-fa") || has("--volumes");
    match (first, second) {
        ("system", "prune")
        | ("volume", "prune")
        | ("volume", "rm")
        | ("image", "prune")
        | ("container", "prune")
        | ("builder", "prune")
        | ("network", "prune")
        | ("buildx", "prune") => {
            if all || first == "volume" {
                destroy(
                    j,
                    "container_prune",
                    "deletes containers, images or volumes",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "container_prune",
                    "removes unused containers or images",
                );
            }
        }
        ("compose", "down") if has("-v") || has("--volumes") || has("--rmi") => {
            destroy(j, "container_prune", "removes containers and their volumes")
        }
        ("rm", _) | ("rmi", _) | ("container", "rm") | ("image", "rm")
            if has("-f") || has("--force") || has("-fv") || has("-vf") || has("-nf") =>
        {
            destroy(
                j,
                "container_force_remove",
                "force-removes running containers or used images",
            );
        }
        ("rm", _)
        | ("rmi", _)
        | ("kill", _)
        | ("stop", _)
        | ("compose", "down")
        | ("compose", "rm")
        | ("compose", "stop")
        | ("container", "rm")
        | ("image", "rm") => {
            j.raise(
                RiskTier::Medium,
                "container_remove",
                "stops or removes containers or images",
            );
            j.no_pattern = true;
        }
        ("run", _) | ("create", _) | ("compose", "run") | ("compose", "up") | ("exec", _) => {
            let privileged = words.iter().any(|w| {
                w == "--privileged"
                    || w.starts_with("--cap-add")
                    || w == "--pid=host"
                    || w == "--net=host"
                    || w == "--network=host"
                    || w.starts_with("/:/")
                    || w.starts_with("/var/run/docker.sock")
                    || w.starts_with("--security-opt")
            });
            let root_mount = words.windows(2).any(|p| {
                matches!(
                    p.first().map(|s| s.as_str()),
                    Some("-v" | "--volume" | "--mount")
                ) && p
                    .get(1)
                    .map(|v| {
                        v.starts_with("/:")
                            || v.contains("source=/,")
                            || v.starts_with("/etc:")
                            || v.starts_with("/var/run/docker.sock")
                            || v.starts_with("~/.ssh")
                    })
                    .unwrap_or(false)
            });
            if privileged || root_mount {
                destroy(
                    j,
                    "container_privileged",
                    "runs a privileged container or mounts the host",
                );
            } else {
                j.raise(RiskTier::Medium, "container_run", "runs a container");
            }
        }
        ("ps", _)
        | ("images", _)
        | ("logs", _)
        | ("inspect", _)
        | ("version", _)
        | ("info", _)
        | ("stats", _)
        | ("top", _)
        | ("port", _)
        | ("diff", _)
        | ("history", _)
        | ("search", _)
        | ("compose", "ps")
        | ("compose", "logs")
        | ("compose", "config")
        | ("image", "ls")
        | ("container", "ls")
        | ("volume", "ls")
        | ("network", "ls")
        | ("context", "ls")
        | ("", _) => {
            j.note("read_only", "reads container state");
        }
        _ => j.raise(RiskTier::Medium, "container", "runs a container command"),
    }
}

fn package_manager(prog: &str, words: &[String], positional: &[&str], j: &mut Judge) {
    let first = positional.first().copied().unwrap_or("");
    let dry = words
        .iter()
        .any(|w| w.starts_with("--dry-run") || w == "-n" && prog == "cargo");
    let owner_list = first == "owner"
        && !words.iter().any(|w| {
            matches!(
                w.as_str(),
                "add" | "rm" | "remove" | "--add" | "--remove" | "-a" | "-r"
            )
        });
    let publish = !dry
        && !owner_list
        && matches!(
            first,
            "publish"
                | "upload"
                | "push"
                | "release"
                | "deprecate"
                | "unpublish"
                | "yank"
                | "owner"
        )
        || (prog == "twine" && first == "upload")
        || (prog == "gem" && first == "push");
    if publish {
        destroy(
            j,
            "publish",
            "publishes a package (irreversible and public)",
        );
        return;
    }
    if matches!(
        first,
        "uninstall" | "remove" | "purge" | "autoremove" | "erase"
    ) && matches!(
        prog,
        "apt"
            | "apt-get"
            | "dnf"
            | "yum"
            | "pacman"
            | "brew"
            | "snap"
            | "port"
            | "zypper"
            | "apk"
            | "choco"
            | "winget"
    ) {
        j.raise(
            RiskTier::Medium,
            "package_remove",
            "removes system packages",
        );
        return;
    }
    let read = matches!(
        first,
        "list"
            | "ls"
            | "show"
            | "info"
            | "view"
            | "search"
            | "outdated"
            | "audit"
            | "why"
            | "explain"
            | "version"
            | "--version"
            | "help"
            | "config"
            | "doctor"
            | "check"
            | "tree"
            | "metadata"
            | "env"
            | "freeze"
            | "depends"
            | "rdepends"
            | "policy"
            | "query"
            | "fmt"
            | "vet"
            | "clippy"
            | "doc"
            | "pkgid"
            | "locate-project"
            | "search-registry"
    ) || words.is_empty()
        || (first.is_empty()
            && words
                .iter()
                .all(|w| matches!(w.as_str(), "--version" | "-v" | "-V" | "--help" | "-h")));
    if read && first != "config" {
        j.note("read_only", "reads package information");
    } else {
        j.raise(
            RiskTier::Medium,
            "package",
            "installs packages or runs project scripts",
        );
    }
}

/// False for the read-only forms of system tools (`sysctl -a`, bare `mount`).
fn changes_system(prog: &str, words: &[String]) -> bool {
    match prog {
        "sysctl" => words.iter().any(|w| w.contains('=') || w == "-w"),
        "mount" => positionals(words).len() >= 2,
        _ => true,
    }
}

/// False for the read-only forms of network tools (`ip addr`, `ifconfig`, `iptables -L`).
fn changes_network(prog: &str, first: &str, positional: &[&str], words: &[String]) -> bool {
    let has = |s: &str| words.iter().any(|w| w == s);
    match prog {
        "ip" | "route" => {
            words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "add"
                        | "del"
                        | "delete"
                        | "set"
                        | "flush"
                        | "change"
                        | "replace"
                        | "append"
                        | "prepend"
                        | "exec"
                        | "attach"
                        | "detach"
                        | "-net"
                        | "-host"
                )
            }) && !(prog == "ip" && first == "monitor")
        }
        "ifconfig" => positional.len() > 1,
        "iptables" | "ip6tables" => !(has("-l") || has("-L") || has("-S")),
        _ => true,
    }
}

/// Options of cloud, cluster and infrastructure CLIs that take a separate value.
const VALUE_OPTS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--cluster",
    "-o",
    "--output",
    "-l",
    "--selector",
    "--kubeconfig",
    "-c",
    "--container",
    "--region",
    "--profile",
    "--query",
    "--endpoint-url",
    "--subscription",
    "-g",
    "--resource-group",
    "--name",
    "--format",
    "--project",
    "--zone",
    "--filter",
    "--account",
    "--configuration",
    "-s",
    "--server",
    "--token",
    "--user",
    "--as",
    "-f",
    "--filename",
    "--kube-context",
    "--values",
    "--set",
    "--version",
    "--app",
    "-a",
    "--var",
    "-var",
    "--var-file",
    "-var-file",
    "--cli-input-json",
    "--instance-ids",
    "--bucket",
    "--key",
    "--names",
    "--resource-type",
    "--hostname",
    "--secret",
    "--repo",
    "-r",
    "--limit",
    "--label",
    "--location",
    "--image",
    "--type",
    "--tag",
    "-t",
    "--workdir",
    "-w",
    "-e",
    "--env",
    "-u",
    "--network",
    "-v",
    "--volume",
    "--mount",
    "-p",
    "--publish",
    "--entrypoint",
    "--netns",
    "-netns",
    "--file",
    "--env-file",
    "--platform",
    "--target",
];

/// Positional words (lower-cased), skipping option values of [`VALUE_OPTS`].
fn positionals(words: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        if w.starts_with('-') {
            i += if VALUE_OPTS.contains(&w.as_str()) {
                2
            } else {
                1
            };
            continue;
        }
        out.push(w.as_str());
        i += 1;
    }
    out
}

/// True for SQL statement keywords used as a command (`DROP TABLE x;` typed at a shell).
pub(super) fn sql_keyword(prog: &str) -> bool {
    matches!(
        prog,
        "drop" | "truncate" | "delete" | "update" | "alter" | "grant" | "revoke" | "insert"
    )
}

/// Rates SQL typed as a command line.
pub(super) fn bare_sql(cmd: &SimpleCommand, j: &mut Judge) {
    let text: Vec<&str> = cmd.argv.iter().map(|w| w.text.as_str()).collect();
    j.raise(RiskTier::Medium, "sql_text", "SQL typed as a command");
    sql_risk(&text.join(" "), j);
}

/// Subcommands and options of unknown CLIs that name destruction (`borg delete`,
/// `kafka-topics --delete`, `rpk topic delete`, `deck reset`).
pub(super) fn destructive_verb(cmd: &SimpleCommand) -> Option<String> {
    const VERBS: &[&str] = &[
        "delete",
        "destroy",
        "drop",
        "purge",
        "remove",
        "rm",
        "rmi",
        "prune",
        "reset",
        "wipe",
        "erase",
        "truncate",
        "flush",
        "flushall",
        "terminate",
        "revoke",
        "nuke",
        "obliterate",
        "rdelete",
        "compact",
        "break-lock",
        "kill",
        "teardown",
        "down",
        "uninstall",
        "deregister",
        "unregister",
        "decommission",
        "clear",
        "clean",
        "expire",
        "evict",
    ];
    for (i, w) in cmd.args().iter().enumerate() {
        let t = w.text.to_ascii_lowercase();
        if let Some(flag) = t.strip_prefix("--") {
            let base = flag.split('=').next().unwrap_or("");
            let head = base.split('-').next().unwrap_or("");
            if matches!(
                head,
                "delete"
                    | "drop"
                    | "purge"
                    | "remove"
                    | "wipe"
                    | "truncate"
                    | "reset"
                    | "destroy"
                    | "erase"
            ) && !base.ends_with("dry-run")
            {
                return Some(format!("--{base}"));
            }
            continue;
        }
        if t.starts_with('-') || w.dynamic {
            continue;
        }
        // Only the first few positional words are subcommands.
        if i > 3 {
            break;
        }
        let head = t.split(['-', ':', '_']).next().unwrap_or("");
        if VERBS.contains(&t.as_str())
            || (t.contains('-') && VERBS.contains(&head) && head.len() > 2)
        {
            let word = if VERBS.contains(&t.as_str()) {
                t.as_str()
            } else {
                head
            };
            if matches!(
                word,
                "clean"
                    | "clear"
                    | "down"
                    | "kill"
                    | "compact"
                    | "expire"
                    | "evict"
                    | "uninstall"
                    | "rm"
                    | "remove"
            ) {
                // Recoverable housekeeping on most tools: medium, not high.
                continue;
            }
            return Some(t);
        }
    }
    None
}
