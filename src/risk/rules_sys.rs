//! System rules: aiperture self-protection, databases, cloud and clusters, containers,
//! processes, services, users and privileges, keychains and environment dumps, package
//! managers and build tools; plus the read-only command table.

use super::Context;
use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// Rates an environment assignment (`NAME=value cmd`, `export NAME=…`, bare `NAME=…`, and
/// the names `printf -v`, `read` and `mapfile` set). The variables that change what programs
/// load or run are data (`swaps::table::VARS`).
pub(super) fn assignment(name: &str, value: &Word, ctx: &Context, j: &mut Judge) {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("AIPERTURE") {
        j.raise(
            RiskTier::Critical,
            "self_protection",
            "changes aiperture's own settings through the environment",
        );
        j.no_pattern = true;
    } else if upper == "PATH" {
        j.raise(RiskTier::Medium, "path_change", "changes PATH");
        j.no_pattern = true;
        super::swaps::judge_value(super::swaps::Swap::Code, "`PATH=`", "", Some(value), ctx, j);
    } else if let Some(var) = super::swaps::var(name).or_else(|| super::swaps::var(&upper)) {
        if harmless_loader_value(&upper, value) {
            // `IFS=, read`, `NODE_OPTIONS=--max-old-space-size=4096`: the value loads nothing.
            j.raise(
                RiskTier::Medium,
                "env_tuning",
                &format!("sets {name} to a value that loads no code"),
            );
            j.no_pattern = true;
        } else if var.loader {
            j.raise(
                RiskTier::High,
                "code_injection_env",
                &format!("sets {name}, an environment variable that makes programs load or run other code"),
            );
            j.no_pattern = true;
        } else {
            super::swaps::judge_value(var.swap, &format!("`{name}=`"), "", Some(value), ctx, j);
        }
    } else if upper == "HISTFILE" || upper == "HISTSIZE" {
        j.raise(
            RiskTier::Medium,
            "history_tampering",
            "changes shell history",
        );
    }
}

/// `NODE_OPTIONS` options that only tune the runtime (memory, warnings, source maps).
const NODE_TUNING: &[&str] = &[
    "--max-old-space-size",
    "--max-semi-space-size",
    "--stack-size",
    "--enable-source-maps",
    "--no-warnings",
    "--no-deprecation",
    "--trace-warnings",
    "--trace-deprecation",
    "--unhandled-rejections",
    "--dns-result-order",
    "--openssl-legacy-provider",
    "--max-http-header-size",
    "--trace-uncaught",
    "--expose-gc",
];

/// True for loader variables whose literal value cannot load code: `IFS` set to separators,
/// `NODE_OPTIONS` holding only tuning options.
fn harmless_loader_value(upper: &str, value: &Word) -> bool {
    if value.dynamic {
        return false;
    }
    match upper {
        "IFS" => value
            .text
            .chars()
            .all(|c| !c.is_alphanumeric() && !matches!(c, '/' | '.' | '$' | '`')),
        "NODE_OPTIONS" => value.text.split_whitespace().all(|opt| {
            let name = opt.split('=').next().unwrap_or(opt);
            NODE_TUNING.contains(&name)
        }),
        _ => false,
    }
}

/// The variables a builtin sets without `NAME=` syntax: `printf -v NAME`, `read [-a] NAME…`,
/// `mapfile`/`readarray [NAME]`, `getopts SPEC NAME`. Their values come from input, so they
/// are dynamic.
pub(super) fn builtin_assignments(cmd: &SimpleCommand, prog: &str) -> Vec<String> {
    let args = cmd.args();
    let text = |i: usize| args.get(i).map(|w| w.text.clone());
    let mut names = Vec::new();
    match prog {
        "printf" => {
            let mut i = 0;
            while let Some(t) = text(i) {
                if t == "-v" {
                    names.extend(text(i + 1));
                    break;
                }
                if let Some(n) = t.strip_prefix("-v").filter(|n| !n.is_empty()) {
                    names.push(n.to_string());
                    break;
                }
                if !t.starts_with('-') || t == "--" {
                    break;
                }
                i += 1;
            }
        }
        "read" | "mapfile" | "readarray" => {
            // Options with a value: read -a NAME (array) -d -i -n -N -p -t -u; mapfile -d -n
            // -O -s -u -C -c.
            let valued: &[&str] = if prog == "read" {
                &["-d", "-i", "-n", "-N", "-p", "-t", "-u"]
            } else {
                &["-d", "-n", "-O", "-s", "-u", "-C", "-c"]
            };
            let mut i = 0;
            let mut operands = false;
            while let Some(t) = text(i) {
                if !operands && t == "-a" {
                    names.extend(text(i + 1));
                    i += 2;
                    continue;
                }
                if !operands && valued.contains(&t.as_str()) {
                    i += 2;
                    continue;
                }
                if !operands && t == "--" {
                    operands = true;
                } else if operands || !t.starts_with('-') {
                    operands = true;
                    names.push(t);
                }
                i += 1;
            }
        }
        "getopts" => names.extend(text(1)),
        _ => {}
    }
    names.truncate(16);
    names
}

/// Variables whose value is a command some program runs (pagers, editors, `LESSOPEN`, …); a
/// dangerous value makes the command that sets them dangerous.
pub(super) fn command_var(name: &str) -> bool {
    matches!(
        name.to_ascii_uppercase().as_str(),
        "PAGER"
            | "MANPAGER"
            | "SYSTEMD_PAGER"
            | "EDITOR"
            | "VISUAL"
            | "SUDO_EDITOR"
            | "SYSTEMD_EDITOR"
            | "GIT_SEQUENCE_EDITOR"
            | "FCEDIT"
            | "BROWSER"
            | "SHELL"
            | "LESSOPEN"
            | "LESSCLOSE"
            | "TERMINAL"
    )
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

/// Whether `aiperture SUB SECOND …` approves, denies, grants, revokes, reconfigures or
/// otherwise tampers with aiperture (the self-protection rule).
fn tampers(sub: &str, second: &str) -> bool {
    matches!(
        sub,
        "approve"
            | "deny"
            | "revoke"
            | "grant"
            | "bootstrap"
            | "setup"
            | "hook"
            | "serve"
            | "configure"
    ) || (sub == "config" && matches!(second, "set" | "unset" | "reset" | "edit"))
        || (sub == "policy" && second == "add")
        || (sub == "audit" && matches!(second, "reset" | "prune" | "delete" | "reseal"))
}

/// Whether `text` contains an aiperture invocation that [`tampers`] (`… aiperture approve ID
/// …`): a backstop for programs that run their arguments in ways the shell front end does not
/// model.
pub(super) fn mentions_tamper(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "'\"`;&|()=".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        w.rsplit('/').next() == Some("aiperture")
            && tampers(
                words.get(i + 1).copied().unwrap_or(""),
                words.get(i + 2).copied().unwrap_or(""),
            )
    })
}

/// The programs these rules judge (the registry's data). The system tools that only change
/// something with certain arguments (`mount`, `sysctl`, `ip`, `iptables`, …) are declined
/// in their read-only forms and left to the generic rules.
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "aiperture", "kill", "pkill", "killall", "skill", "slay", "xkill", "shutdown", "reboot",
        "halt", "poweroff", "init", "telinit", "systemctl", "service", "launchctl", "rc-service",
        "sv", "expect", "crontab", "at", "batch", "dscl", "sysadminctl", "pwpolicy", "useradd",
        "userdel", "usermod", "adduser", "deluser", "groupadd", "groupdel", "groupmod", "passwd",
        "chpasswd", "chsh", "chfn", "gpasswd", "newgrp", "visudo", "sudoedit", "mount", "umount",
        "swapoff", "swapon", "losetup", "cryptsetup", "lvremove", "vgremove", "pvremove", "zpool",
        "zfs", "mdadm", "modprobe", "insmod", "rmmod", "sysctl", "iptables", "ip6tables", "nft",
        "ufw", "firewall-cmd", "pfctl", "route", "ifconfig", "ip", "security", "secret-tool",
        "pass", "gopass", "op", "bw", "lpass", "keyring", "gpg", "gpg2", "age", "vault", "sops",
        "chamber", "env", "printenv", "set", "export", "declare", "typeset", "local", "readonly",
        "unset", "echo", "printf", "history", "simctl",
    ],
    versioned: &[],
    prefixes: &[],
    value_options: super::invocation::COMMON_VALUE_OPTIONS,
};

/// System, data and cloud programs. Returns true when handled.
pub(super) fn judge(inv: &Invocation, ctx: &Context, j: &mut Judge) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    let args = inv.args();
    let words = inv.words();
    let has = |s: &str| inv.has(s);
    let positional: Vec<&str> = inv.positionals();
    let first = inv.first();
    match prog {
        "aiperture" => {
            let second = positional.get(1).copied().unwrap_or("");
            let tamper = tampers(first, second);
            super::rules_self::judge(cmd, first, second, tamper, ctx, j);
            true
        }
        // Apple's simulator control (`xcrun simctl`): simulated devices and the apps on them,
        // which exist only for testing. Erasing or deleting them, or stopping an app, loses
        // test state, not the user's data or the machine's: asked (an erase or delete is
        // learnable only as its exact command), never a deny-worthy destruction.
        "simctl" => {
            match first {
                "list" | "help" | "getenv" | "listapps" | "appinfo" | "get_app_container"
                | "status_bar" | "io" | "diagnose" => j.note("read_only", "reads simulator state"),
                "erase" | "delete" => {
                    j.raise(
                        RiskTier::Medium,
                        "simulator_erase",
                        "erases or deletes simulated devices (their test data and apps)",
                    );
                    // Learned only as the exact command, never as `simctl *`.
                    j.exact_pattern = true;
                }
                _ => j.raise(
                    RiskTier::Medium,
                    "simulator",
                    "changes a simulated device or its apps",
                ),
            }
            true
        }
        // Processes and the machine.
        "kill" => {
            // A leading `-9` / `-KILL` is the signal, not a process group.
            let signal_first = words.first().is_some_and(|w| {
                w.len() > 1 && w.starts_with('-') && w != "-1" && !w.starts_with("--")
            });
            let targets: Vec<&str> = words
                .iter()
                .skip(usize::from(signal_first))
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
            // Stopping one's own dev server by name is everyday work (learnable, never
            // generalized); system processes, other users' or every process are not.
            let system = words.iter().any(|w| {
                let l = w.to_ascii_lowercase();
                SYSTEM_PROCESSES
                    .iter()
                    .any(|p| l == *p || l.starts_with(&format!("{p} ")))
                    || matches!(
                        l.as_str(),
                        "-u" | "--uid" | "-U" | "--euid" | "." | ".*" | "-1"
                    )
            });
            let tier = if system || prog != "pkill" {
                RiskTier::High
            } else {
                RiskTier::Medium
            };
            j.raise(tier, "kill_by_name", "kills processes by name");
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
        "expect" => {
            // A script file, or -c text without `spawn` (spawned commands are unwrapped and
            // judged with the `typed` origin).
            j.raise(
                RiskTier::High,
                "automates_prompts",
                "drives an interactive program with a script that can answer prompts meant for a human",
            );
            j.no_pattern = true;
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
            if changes_system(prog, words) =>
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
            if changes_network(prog, first, &positional, words) =>
        {
            destroy(
                j,
                "network_config",
                "changes firewall or network configuration",
            );
            true
        }
        "iptables" | "ip6tables" | "nft" | "ufw" | "firewall-cmd" | "pfctl" => {
            j.note("read_only", "shows the firewall's state or rules");
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
                j.raise_secret(
                    RiskTier::High,
                    "keychain_access",
                    "reads secrets from or changes the keychain",
                );
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
                    assignment(name, &Word::literal(value), ctx, j);
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
                j.raise_secret(
                    RiskTier::High,
                    "secret_env",
                    "prints a secret environment variable",
                );
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
                j.raise_secret(
                    RiskTier::High,
                    "secret_env",
                    "prints a secret environment variable",
                );
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
        _ => false,
    }
}

fn destroy(j: &mut Judge, factor: &str, reason: &str) {
    j.raise(RiskTier::High, factor, reason);
    j.no_pattern = true;
}

/// False for the read-only forms of system tools (`sysctl -a`, bare `mount`).
fn changes_system(prog: &str, words: &[String]) -> bool {
    match prog {
        "sysctl" => words.iter().any(|w| w.contains('=') || w == "-w"),
        "mount" => {
            super::invocation::positionals(words, super::invocation::COMMON_VALUE_OPTIONS).len()
                >= 2
        }
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
        "ufw" => !matches!(first, "status" | "show" | "version" | "--version" | "help"),
        "firewall-cmd" => !words.iter().all(|w| {
            [
                "--state",
                "--list",
                "--get",
                "--query",
                "--info",
                "--check-config",
                "--zone",
                "--permanent",
                "--help",
                "--version",
            ]
            .iter()
            .any(|q| w.starts_with(q))
        }),
        "nft" => !matches!(first, "list" | "--version" | "-v"),
        "pfctl" => !words
            .iter()
            .all(|w| w.starts_with("-s") || w == "-v" || w.starts_with("-vs")),
        _ => true,
    }
}

/// Processes whose death takes the machine, its logins or its services down.
const SYSTEM_PROCESSES: &[&str] = &[
    "systemd",
    "init",
    "sshd",
    "launchd",
    "kernel_task",
    "dockerd",
    "containerd",
    "kubelet",
    "xorg",
    "gdm",
    "sddm",
    "lightdm",
    "loginwindow",
    "windowserver",
    "dbus-daemon",
    "systemd-journald",
    "journald",
    "networkmanager",
    "cron",
    "crond",
    "rsyslogd",
    "auditd",
    "udevd",
    "systemd-logind",
    "explorer.exe",
    "lsass.exe",
    "csrss.exe",
    "winlogon.exe",
    "aiperture",
];
