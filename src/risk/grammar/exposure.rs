//! Exposure: listeners bound to every interface, tunnels that publish a local port, a
//! server's protection switched off, a file server rooted at `/` or the home directory.

use super::table::{
    ADDRESS_CLIENTS, AUTH_OFF_FLAGS, AUTH_VALUE_FLAGS, BIND_ALL_FLAGS, BIND_FLAGS,
    EMPTY_SECRET_SUFFIXES, FILE_SERVERS, PREVIEW_FLAGS, ROOT_FLAGS, TUNNEL_SUBCOMMANDS, TUNNELS,
};
use super::verbs::is_in;
use crate::request::RiskTier;
use crate::risk::Context;
use crate::risk::judge::Judge;
use crate::shell::{SimpleCommand, Word};

/// Programs that run another program named by their first positional word.
const RUNNERS: &[&str] = &["npx", "bunx", "pnpx", "uvx", "pipx", "pnpm", "yarn", "bun"];

/// Words a runner takes before the program it runs.
const RUNNER_WORDS: &[&str] = &["dlx", "run", "exec", "x"];

/// Judges exposure; raises only.
pub(super) fn judge(cmd: &SimpleCommand, prog: &str, ctx: &Context, j: &mut Judge) {
    if is_in(ADDRESS_CLIENTS, prog) || super::super::readonly::is_read_only(prog) {
        return;
    }
    let args = cmd.args();
    let (prog, args) = unwrap_runner(prog, args);
    if let Some(why) = tunnel(prog, args) {
        raise(j, "public_tunnel", why);
    }
    if let Some(why) = bound_to_all(args) {
        raise(j, "listens_on_all_interfaces", why);
    }
    if let Some(why) = protection_off(args) {
        raise(j, "protection_off", why);
    }
    if serves_files(prog, args) && serves_root_or_home(args, ctx) {
        raise(
            j,
            "serves_root",
            "serves the root file system or the home directory over HTTP",
        );
    }
}

fn raise(j: &mut Judge, factor: &str, why: &str) {
    j.raise(RiskTier::High, factor, why);
    j.no_pattern = true;
}

/// The program a runner (`npx localtunnel`, `pnpm dlx serve`) runs, and its arguments.
fn unwrap_runner<'a>(prog: &'a str, args: &'a [Word]) -> (&'a str, &'a [Word]) {
    if !is_in(RUNNERS, prog) {
        return (prog, args);
    }
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t.starts_with('-') || is_in(RUNNER_WORDS, t) {
            i += 1;
            continue;
        }
        let name = t.rsplit('/').next().unwrap_or(t);
        let name = name.split('@').next().unwrap_or(name);
        return (name, args.get(i + 1..).unwrap_or(&[]));
    }
    (prog, args)
}

/// The positional words of `args`.
fn positionals(args: &[Word]) -> impl Iterator<Item = &str> {
    args.iter()
        .map(|w| w.text.as_str())
        .filter(|t| !t.starts_with('-'))
}

fn previews(args: &[Word]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        is_in(PREVIEW_FLAGS, t) || t == "--version" || t == "-v" || t == "-V"
    })
}

/// A tunnel that publishes a local port.
fn tunnel(prog: &str, args: &[Word]) -> Option<&'static str> {
    if matches!(prog, "ssh" | "autossh") {
        let remote = args.iter().any(|w| {
            let t = w.text.as_str();
            (t.starts_with('-')
                && !t.starts_with("--")
                && t[1..].bytes().all(|b| b.is_ascii_alphabetic())
                && t.contains('R'))
                || (t.starts_with("-R") && t.len() > 2)
                || t.contains("RemoteForward")
        });
        return remote.then_some("forwards a port of a remote host to this machine (ssh -R)");
    }
    if previews(args) {
        return None;
    }
    let first = positionals(args).next();
    if let Some((_, reads)) = TUNNELS.iter().find(|(p, _)| p.eq_ignore_ascii_case(prog)) {
        return match first {
            Some(f) if is_in(reads, f) => None,
            _ => Some("publishes a local port on the internet through a tunnel"),
        };
    }
    for (p, sub, reads) in TUNNEL_SUBCOMMANDS {
        if p.eq_ignore_ascii_case(prog) && first.is_some_and(|f| f.eq_ignore_ascii_case(sub)) {
            let second = positionals(args).nth(1);
            if second.is_some_and(|s| is_in(reads, s)) {
                return None;
            }
            return Some("publishes a local port on the internet through a tunnel");
        }
    }
    None
}

/// True when `v` is an address of every interface (`0.0.0.0`, `0.0.0.0:8000`, `[::]:80`,
/// `tcp://0.0.0.0:2375`, `bind=0.0.0.0`); `*` and a bare `::` only when `bind_flag`.
fn any_address(v: &str, bind_flag: bool) -> bool {
    let v = v.split_once("://").map_or(v, |(_, rest)| rest);
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next() == Some("::");
    }
    // A bare `::` is an IPv6 address only where an address is expected (`borg list ::`).
    if v.matches(':').count() > 1 && !v.contains('.') {
        return bind_flag && v == "::";
    }
    let host = v.split(':').next().unwrap_or(v);
    host == "0.0.0.0" || (bind_flag && host == "*") || v.contains("bind=0.0.0.0")
}

/// A listener bound to every interface.
fn bound_to_all(args: &[Word]) -> Option<&'static str> {
    const WHY: &str = "listens on every network interface (0.0.0.0), reachable from other machines";
    let mut prev_bind = false;
    for w in args {
        let t = w.text.as_str();
        if is_in(BIND_ALL_FLAGS, t) {
            return Some(WHY);
        }
        if t.starts_with('-') {
            if let Some((k, v)) = t.split_once('=')
                && any_address(v, is_in(BIND_FLAGS, k))
            {
                return Some(WHY);
            }
            prev_bind = is_in(BIND_FLAGS, t);
            continue;
        }
        if any_address(t, prev_bind) {
            return Some(WHY);
        }
        prev_bind = false;
    }
    None
}

/// A server's protection switched off (`--protected-mode no`, `--auth none`,
/// `--NotebookApp.token=''`, `--no-auth`).
fn protection_off(args: &[Word]) -> Option<&'static str> {
    const WHY: &str = "starts a server with its authentication or protection switched off";
    let off = |v: &str| {
        v.is_empty()
            || matches!(
                v.to_ascii_lowercase().as_str(),
                "none" | "no" | "false" | "off"
            )
    };
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        i += 1;
        if !t.starts_with('-') {
            let lower = t.to_ascii_lowercase();
            if lower.contains("anonymous.enabled=true") || lower.contains("auth.enabled=false") {
                return Some(WHY);
            }
            continue;
        }
        let (k, v) = match t.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (t, None),
        };
        if is_in(AUTH_OFF_FLAGS, k) && v.is_none_or(|v| !off(v)) {
            return Some(WHY);
        }
        if is_in(AUTH_VALUE_FLAGS, k) {
            let value = v.or_else(|| args.get(i).map(|n| n.text.as_str()));
            if value.is_some_and(off) {
                return Some(WHY);
            }
        }
        if let Some(v) = v {
            let lower = k.to_ascii_lowercase();
            if v.is_empty() && EMPTY_SECRET_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
                return Some(WHY);
            }
        }
    }
    None
}

/// A program that serves a directory over HTTP.
fn serves_files(prog: &str, args: &[Word]) -> bool {
    if is_in(FILE_SERVERS, prog) {
        return true;
    }
    if prog.starts_with("php") && args.iter().any(|w| w.text == "-S") {
        return true;
    }
    args.iter().any(|w| is_in(FILE_SERVERS, w.text.as_str()))
}

/// True when `t` names `/` or the home directory.
fn root_or_home(t: &str, ctx: &Context) -> bool {
    let home = ctx.home.trim_end_matches('/');
    matches!(t, "/" | "~" | "~/" | "$HOME" | "${HOME}" | "$HOME/")
        || (!home.is_empty() && t.trim_end_matches('/') == home)
}

fn serves_root_or_home(args: &[Word], ctx: &Context) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        match t.split_once('=') {
            Some((k, v)) if t.starts_with('-') => is_in(ROOT_FLAGS, k) && root_or_home(v, ctx),
            _ => !t.starts_with('-') && root_or_home(t, ctx),
        }
    })
}
