//! Network rules: downloads, uploads and exfiltration (`curl -d @file`, `--upload-file`,
//! `nc`, `scp`/`rsync` to a host), raw sockets.

use super::Context;
use super::args::read_target;
use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use super::rules_fs::{is_remote_spec, write_target};
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// Rates the URLs a download tool is given like a web fetch (metadata addresses, IPs in
/// unusual notation, punycode or non-ASCII hosts, user info), above low only.
fn url_args(cmd: &SimpleCommand, ctx: &Context, j: &mut Judge) {
    for w in cmd.args() {
        if is_aiperture_api(&w.text) {
            j.raise(
                RiskTier::Critical,
                "self_protection",
                "talks to aiperture's own local API (approvals, hooks, grants, config)",
            );
            j.no_pattern = true;
        }
        if w.dynamic || !w.text.contains("://") || w.text.len() > 4096 {
            continue;
        }
        let mut k = Judge::default();
        super::urls::url(&w.text, ctx, &mut k);
        if k.tier > RiskTier::Low {
            j.absorb(&k);
        }
    }
}

/// The programs these rules judge (the registry's data). `rsync` is judged here whether it
/// copies to or from a host or only locally (then by the file-system rules' [`copy`]).
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "curl", "http", "https", "xh", "httpie", "wget", "aria2c", "fetch", "nc", "ncat", "netcat",
        "socat", "telnet", "cryptcat", "pwncat", "scp", "sftp", "rsync", "rclone", "ssh", "ftp",
        "tftp", "lftp", "smbclient", "mail", "mailx", "sendmail", "mutt", "ping", "dig", "nslookup",
        "host", "traceroute", "whois", "mtr",
    ],
    versioned: &[],
    prefixes: &[],
    value_options: &[],
};

/// Handles network programs. Returns true when handled.
pub(super) fn judge(inv: &Invocation, ctx: &Context, j: &mut Judge) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    let args = cmd.args();
    if matches!(
        prog,
        "curl" | "http" | "https" | "xh" | "httpie" | "wget" | "aria2c" | "fetch"
    ) {
        url_args(cmd, ctx, j);
    }
    match prog {
        "curl" | "http" | "https" | "xh" | "httpie" => {
            curl(cmd, ctx, j);
            true
        }
        "wget" | "aria2c" | "fetch" => {
            j.note("download", "downloads from the network");
            for (i, w) in args.iter().enumerate() {
                let t = w.text.as_str();
                if t.starts_with("--post-file") || t.starts_with("--body-file") {
                    let f = t
                        .split_once('=')
                        .map(|(_, v)| v.to_string())
                        .or_else(|| args.get(i + 1).map(|w| w.text.clone()))
                        .unwrap_or_default();
                    upload_file(&f, w.dynamic, ctx, j);
                } else if t.starts_with("--post-data") || t.starts_with("--method") {
                    send(
                        j,
                        RiskTier::Medium,
                        "network_send",
                        "sends data to a server",
                    );
                } else if (t == "-O" || t == "--output-document" || t == "-P")
                    && let Some(f) = args.get(i + 1)
                    && f.text != "-"
                {
                    write_target(f, ctx, j);
                }
            }
            true
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet" | "cryptcat" | "pwncat" => {
            if args.iter().any(|w| {
                w.text == "-h"
                    || w.text == "--help"
                    || (w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && w.text.contains('z')
                        && !w.text.contains(['e', 'c', 'l']))
            }) && prog != "socat"
            {
                j.raise(RiskTier::Medium, "port_probe", "probes a network port");
                return true;
            }
            send(
                j,
                RiskTier::High,
                "raw_network",
                "opens a raw network connection (exfiltration or reverse shell)",
            );
            j.no_pattern = true;
            true
        }
        "scp" | "sftp" | "rsync" | "rclone" => {
            // `-n` alone or in a cluster of short options (`-an`) is rsync's dry run.
            let dry = args.iter().any(|w| {
                w.text == "--dry-run"
                    || (prog == "rsync"
                        && w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && w.text.contains('n'))
                    || w.text == "--list-only"
            });
            if prog == "rsync" && !dry && !args.iter().any(|w| is_remote_spec(&w.text)) {
                // Between local paths: a copy.
                super::rules_fs::copy(cmd, prog, ctx, j);
                return true;
            }
            let rclone_read = prog == "rclone"
                && args
                    .iter()
                    .find(|w| !w.text.starts_with('-'))
                    .map(|w| {
                        matches!(
                            w.text.as_str(),
                            "ls" | "lsd"
                                | "lsl"
                                | "lsf"
                                | "lsjson"
                                | "size"
                                | "about"
                                | "cat"
                                | "md5sum"
                                | "sha1sum"
                                | "hashsum"
                                | "check"
                                | "cryptcheck"
                                | "tree"
                                | "listremotes"
                                | "version"
                                | "config"
                                | "help"
                        )
                    })
                    .unwrap_or(false);
            if dry || rclone_read {
                j.note("read_only", "lists or compares files without copying");
                return true;
            }
            let specs: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
            let remote_dest = specs
                .last()
                .map(|w| is_remote_spec(&w.text) || (prog == "rclone" && w.text.contains(':')))
                .unwrap_or(false);
            if prog == "sftp" || remote_dest {
                send(j, RiskTier::High, "upload", "copies files to another host");
                for w in specs.iter().take(specs.len().saturating_sub(1)) {
                    read_target(&w.text, w.dynamic, ctx, j, false);
                }
            } else {
                j.raise(
                    RiskTier::Medium,
                    "download",
                    "copies files from another host",
                );
                if let Some(d) = specs.last() {
                    write_target(d, ctx, j);
                }
            }
            if args.iter().any(|w| {
                w.text.starts_with("--delete")
                    || w.text == "--del"
                    || w.text == "--remove-source-files"
            }) {
                j.raise(
                    RiskTier::High,
                    "sync_delete",
                    "deletes files at the destination",
                );
            }
            j.no_pattern = true;
            true
        }
        "ssh" => {
            let tunnel = args
                .iter()
                .any(|w| matches!(w.text.as_str(), "-R" | "-D" | "-w"));
            // `-L port:host:port` bound to the loopback (the default) forwards a remote
            // service to this machine only: a local tunnel, learnable. Bound to every
            // interface (`-L 0.0.0.0:…`, `-g`) it is exposure.
            let local_only = args.windows(2).all(|p| {
                p[0].text != "-L"
                    || !(p[1].text.starts_with("0.0.0.0")
                        || p[1].text.starts_with('*')
                        || p[1].text.starts_with("[::]"))
            }) && !args.iter().any(|w| w.text == "-g");
            let local = args.iter().any(|w| w.text == "-L");
            if tunnel || (local && !local_only) {
                j.raise(RiskTier::High, "ssh_tunnel", "opens an SSH tunnel");
            } else if local {
                j.raise(
                    RiskTier::Medium,
                    "ssh_local_forward",
                    "forwards a remote port to this machine's loopback",
                );
            } else {
                j.raise(RiskTier::Medium, "ssh", "opens a shell on another host");
            }
            j.no_pattern = true;
            true
        }
        "ftp" | "tftp" | "lftp" | "smbclient" => {
            send(
                j,
                RiskTier::High,
                "file_transfer",
                "transfers files with another host",
            );
            true
        }
        "mail" | "mailx" | "sendmail" | "mutt" => {
            send(j, RiskTier::Medium, "send_mail", "sends e-mail");
            true
        }
        "ping" | "dig" | "nslookup" | "host" | "traceroute" | "whois" | "mtr" => {
            j.note("network_lookup", "network diagnostics");
            true
        }
        _ => false,
    }
}

fn send(j: &mut Judge, tier: RiskTier, factor: &str, reason: &str) {
    j.raise(tier, factor, reason);
    j.sends = true;
}

fn upload_file(f: &str, dynamic: bool, ctx: &Context, j: &mut Judge) {
    send(
        j,
        RiskTier::High,
        "upload_file",
        "uploads a local file to a server",
    );
    j.no_pattern = true;
    if f == "-" {
        return;
    }
    read_target(f, dynamic, ctx, j, false);
}

fn http_delete(j: &mut Judge) {
    j.raise(
        RiskTier::High,
        "http_delete",
        "sends an HTTP request that deletes or destroys data on a server",
    );
    j.no_pattern = true;
}

/// A URL whose path names a destructive endpoint (`/_delete_by_query`, `/flush`, `/_close`).
fn destructive_url(s: &str) -> bool {
    if !(s.contains("://") || s.starts_with(':') || s.contains(":")) {
        return false;
    }
    let path = s.split_once("://").map(|(_, r)| r).unwrap_or(s);
    path.split(['/', '?', '&']).skip(1).any(|seg| {
        let l = seg.to_ascii_lowercase();
        l.contains("delete")
            || l.contains("drop")
            || l.contains("truncate")
            || l.contains("purge")
            || l == "_close"
            || l == "flush"
            || l == "_flush"
            || l.contains("wipe")
    })
}

fn curl(cmd: &SimpleCommand, ctx: &Context, j: &mut Judge) {
    let args = cmd.args();
    // httpie/xh: `http DELETE url`.
    if let Some(m) = args
        .iter()
        .find(|w| !w.text.starts_with('-'))
        .map(|w| w.text.to_ascii_uppercase())
    {
        if m == "DELETE" {
            http_delete(j);
        } else if matches!(m.as_str(), "POST" | "PUT" | "PATCH") {
            j.sends = true;
            if args.iter().any(|w| destructive_url(&w.text)) {
                http_delete(j);
            }
        }
    }
    let mut i = 0;
    let mut sending = false;
    j.note("download", "fetches a URL");
    if args.iter().any(|w| w.substitution) {
        // Output of another command embedded in the request (URL, header, body).
        j.sends = true;
    }
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        let (flag, inline): (&str, Option<&str>) = match t.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (t, None),
        };
        let value = || {
            inline
                .map(str::to_string)
                .or_else(|| args.get(i + 1).map(|w| w.text.clone()))
                .unwrap_or_default()
        };
        match flag {
            "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-ascii"
            | "--data-urlencode" | "--json" => {
                let v = value();
                sending = true;
                if flag != "--data-raw"
                    && let Some(pos) = v.find('@')
                {
                    let file = &v[pos + 1..];
                    if file == "-" {
                        if cmd.stdin_text.is_some() && !cmd.piped_stdin {
                            send(
                                j,
                                RiskTier::Medium,
                                "network_send",
                                "posts literal data to a server",
                            );
                        } else {
                            send(
                                j,
                                RiskTier::High,
                                "upload_stdin",
                                "posts its standard input to a server",
                            );
                        }
                    } else if pos == 0 || flag == "--data-urlencode" {
                        upload_file(file, w.dynamic, ctx, j);
                    }
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            "-F" | "--form" => {
                let v = value();
                sending = true;
                if let Some((_, val)) = v.split_once('=')
                    && let Some(file) = val.strip_prefix('@').or_else(|| val.strip_prefix('<'))
                {
                    let file = file.split(';').next().unwrap_or(file);
                    upload_file(file, w.dynamic, ctx, j);
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            "-T" | "--upload-file" => {
                let v = value();
                upload_file(&v, w.dynamic, ctx, j);
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            "-o" | "--output" => {
                if let Some(f) = args.get(i + 1).filter(|_| inline.is_none()) {
                    if f.text != "-" {
                        write_target(f, ctx, j);
                    }
                } else if let Some(v) = inline {
                    write_target(
                        &Word {
                            text: v.to_string(),
                            ..w.clone()
                        },
                        ctx,
                        j,
                    );
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            "-X" | "--request" => {
                let v = value().to_ascii_uppercase();
                if matches!(v.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
                    sending = true;
                }
                if v == "DELETE" || (v != "GET" && args.iter().any(|w| destructive_url(&w.text))) {
                    http_delete(j);
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            "-K" | "--config" | "-H" | "--header" | "-u" | "--user" | "-A" | "-e" | "-b"
            | "--cookie" | "-c" | "--cookie-jar" => {
                if matches!(flag, "-K" | "--config" | "-b" | "--cookie") {
                    let v = value();
                    read_target(&v, w.dynamic, ctx, j, false);
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            _ => {}
        }
        if t.starts_with('-') && !t.starts_with("--") && t.len() > 2 && t.ends_with('d') {
            // -sd @file style clusters
            sending = true;
        }
        i += 1;
    }
    if sending {
        send(
            j,
            RiskTier::Medium,
            "network_send",
            "sends data to a server",
        );
    }
}

/// True for a URL on this machine that addresses aiperture's own HTTP API: its default port
/// 8100 or its approval, hook, grant and config routes on any local port.
pub(super) fn is_aiperture_api(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    let rest = lower.split_once("://").map(|(_, r)| r).unwrap_or(&lower);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (hostport, ""),
    };
    let local = host.is_empty() && lower.starts_with(':')
        || matches!(host, "localhost" | "0.0.0.0" | "[::1]" | "::1" | "0")
        || host.starts_with("127.");
    if !local {
        return false;
    }
    let path = rest.get(authority.len()..).unwrap_or("");
    port == "8100"
        || path.starts_with("/permissions")
        || path.starts_with("/hooks")
        || path.starts_with("/aiperture")
        || path.starts_with("/mcp")
}
