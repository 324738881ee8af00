//! File-system rules: program dispatch for deletion (see `rules_delete`), disk wiping, writes
//! (their targets are judged in `writes`), permission and ownership changes.

use super::Context;
use super::args::norm_dashes;
use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

pub(super) use super::rules_delete::delete_target;
use super::rules_delete::{DOT, delete_all_with, delete_operands};
use super::rules_perm::chmod;
pub(super) use super::writes::write_target;

/// Splits arguments into short/long flags and operands (honouring `--`).
fn split_args(args: &[Word]) -> (Vec<String>, Vec<&Word>) {
    let mut flags = Vec::new();
    let mut ops = Vec::new();
    let mut end = false;
    for w in args {
        let t = norm_dashes(&w.text);
        if !end && t == "--" {
            end = true;
            continue;
        }
        if !end && t.starts_with('-') && t.len() > 1 && !w.dynamic {
            flags.push(t);
        } else {
            ops.push(w);
        }
    }
    (flags, ops)
}

/// True when a short-flag cluster or long flag in `flags` includes `short` or `long`.
fn has_flag(flags: &[String], short: char, long: &str) -> bool {
    flags.iter().any(|f| {
        if let Some(l) = f.strip_prefix("--") {
            l.eq_ignore_ascii_case(long) || l.to_ascii_lowercase().starts_with(&format!("{long}="))
        } else {
            f.strip_prefix('-')
                .map(|c| c.contains(short))
                .unwrap_or(false)
        }
    })
}

/// The programs these rules judge (the registry's data). `rsync` is the network rules'
/// (they hand a local copy back to [`copy`]); `gio` is judged only as `gio trash`, `sed` only
/// with `-i`.
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "rm", "unlink", "rmdir", "del", "trash", "trash-put", "gio", "shred", "srm", "wipe",
        "truncate", "dd", "diskutil", "mke2fs", "mkswap", "wipefs", "newfs", "format", "fdisk",
        "sfdisk", "gdisk", "sgdisk", "parted", "cfdisk", "blkdiscard", "hdparm", "mv", "cp",
        "install", "ln", "ditto", "tee", "touch", "mkdir", "mkfifo", "mknod", "sed", "vi", "vim",
        "nvim", "nano", "emacs", "pico", "ed", "micro", "hx", "kak", "chmod", "chown", "chgrp",
        "chattr", "chflags", "setfacl", "setcap", "find",
    ],
    versioned: &[],
    prefixes: &["mkfs"],
    value_options: &[],
};

/// File-system program rules. Returns true when the program is handled here.
pub(super) fn judge(inv: &Invocation, ctx: &Context, j: &mut Judge) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    let args = cmd.args();
    match prog {
        "rm" | "unlink" | "rmdir" | "del" | "trash" | "trash-put" | "gio" => {
            if prog == "gio" && args.first().map(|w| w.text.as_str()) != Some("trash") {
                return false;
            }
            let (flags, ops) = split_args(args);
            if flags.iter().any(|f| f == "--help" || f == "--version") && ops.is_empty() {
                j.note("help", "prints help");
                return true;
            }
            if ops.is_empty() && !cmd.implicit_args {
                j.note("no_operand", "");
                return true;
            }
            let recursive = prog == "rm"
                && (has_flag(&flags, 'r', "recursive") || has_flag(&flags, 'R', "recursive"));
            if flags.iter().any(|f| f == "--no-preserve-root") {
                j.raise(
                    RiskTier::Critical,
                    "no_preserve_root",
                    "disables rm's root protection",
                );
            }
            let trash = matches!(prog, "trash" | "trash-put" | "gio");
            delete_operands(cmd, &ops, recursive, ctx, j);
            if trash
                && j.tier > RiskTier::Medium
                && !j.ordered().iter().any(|f| f.1 == "self_protection")
            {
                // Moving to the trash is recoverable.
                let mut k = Judge::default();
                k.raise(
                    RiskTier::Medium,
                    "trash",
                    "moves files to the trash (recoverable)",
                );
                *j = k;
                j.no_pattern = true;
            }
            true
        }
        "shred" | "srm" | "wipe" => {
            let (_, ops) = split_args(args);
            delete_operands(cmd, &ops, true, ctx, j);
            j.raise(
                RiskTier::High,
                "shred",
                "overwrites files so they cannot be recovered",
            );
            true
        }
        "truncate" => {
            if sql_truncate(cmd) {
                // `TRUNCATE TABLE users;` typed as a command is SQL, not coreutils.
                super::rules_data::bare_sql(cmd, j);
                return true;
            }
            let mut ops: Vec<&Word> = Vec::new();
            let mut i = 0;
            while let Some(w) = args.get(i) {
                let t = w.text.as_str();
                if matches!(t, "-s" | "--size" | "-r" | "--reference") {
                    i += 2;
                    continue;
                }
                if !t.starts_with('-') {
                    ops.push(w);
                }
                i += 1;
            }
            delete_operands(cmd, &ops, false, ctx, j);
            j.raise(RiskTier::Medium, "truncate", "truncates file contents");
            true
        }
        "dd" => {
            j.raise(RiskTier::Medium, "dd", "copies raw data with dd");
            for w in args {
                if let Some(of) = w.text.strip_prefix("of=") {
                    write_target(
                        &Word {
                            text: of.to_string(),
                            ..w.clone()
                        },
                        ctx,
                        j,
                    );
                } else if let Some(inf) = w.text.strip_prefix("if=") {
                    let info = paths::classify(inf, ctx);
                    if info.class == PathClass::Device {
                        j.raise(RiskTier::High, "disk_read", "reads a raw disk device");
                    }
                    if info.secret || info.class == PathClass::Protected {
                        super::args::read_target(inf, w.dynamic, ctx, j, false);
                    }
                }
            }
            j.no_pattern = true;
            true
        }
        "diskutil" => {
            let destructive = args.iter().any(|w| {
                let l = w.text.to_ascii_lowercase();
                l.starts_with("erase")
                    || l.starts_with("partition")
                    || l == "reformat"
                    || l.starts_with("zero")
                    || l.starts_with("secureerase")
                    || l.starts_with("random")
                    || l == "deletevolume"
                    || l == "deletecontainer"
                    || l == "splitpartition"
                    || l == "mergepartitions"
            });
            if destructive {
                j.raise(
                    RiskTier::Critical,
                    "disk_format",
                    "erases or repartitions a disk",
                );
                j.no_pattern = true;
            } else if args.iter().any(|w| {
                matches!(
                    w.text.to_ascii_lowercase().as_str(),
                    "mount"
                        | "unmount"
                        | "unmountdisk"
                        | "eject"
                        | "mountdisk"
                        | "rename"
                        | "resizevolume"
                        | "repairdisk"
                        | "repairvolume"
                        | "apfs"
                )
            }) {
                j.raise(RiskTier::Medium, "disk_change", "changes disk state");
            } else {
                j.note("disk_list", "reads disk information");
            }
            true
        }
        p if p.starts_with("mkfs")
            || matches!(p, "mke2fs" | "mkswap" | "wipefs" | "newfs" | "format") =>
        {
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "--help" | "-h" | "--version" | "-V" | "list" | "info"
                )
            }) {
                j.note("help", "prints help or information");
                return true;
            }
            j.raise(
                RiskTier::Critical,
                "disk_format",
                "formats or wipes a disk or partition",
            );
            j.no_pattern = true;
            true
        }
        "fdisk" | "sfdisk" | "gdisk" | "sgdisk" | "parted" | "cfdisk" | "blkdiscard" | "hdparm" => {
            if args
                .iter()
                .any(|w| matches!(w.text.as_str(), "-l" | "--list" | "print" | "-h" | "--help"))
            {
                j.note("disk_list", "lists partitions");
                return true;
            }
            j.raise(
                RiskTier::Critical,
                "disk_partition",
                "changes disk partitions",
            );
            j.no_pattern = true;
            true
        }
        "mv" => {
            let (flags, ops) = split_args(args);
            let target_dir = flag_value(args, "-t", "--target-directory");
            if ops.is_empty() {
                j.note("no_operand", "");
                return true;
            }
            let (sources, dest): (Vec<&Word>, Option<&Word>) = match target_dir {
                Some(_) => (ops.clone(), None),
                None if ops.len() >= 2 => (
                    ops.get(..ops.len() - 1).unwrap_or(&[]).to_vec(),
                    ops.last().copied(),
                ),
                None => (ops.clone(), None),
            };
            let _ = flags;
            // Moving a file away removes it from where it was.
            for s in &sources {
                let info = paths::classify(&s.text, ctx);
                match info.class {
                    PathClass::Project | PathClass::BuildOutput | PathClass::Temp => {}
                    _ => {
                        let mut k = Judge::default();
                        delete_target(s, true, ctx, &mut k);
                        // A move is recoverable; cap at high unless it is self-protection.
                        let capped = if k.tier == RiskTier::Critical
                            && info.class != PathClass::Protected
                            && info.class != PathClass::Root
                            && info.class != PathClass::System
                            && info.class != PathClass::ShellRc
                            && info.class != PathClass::HomeRoot
                        {
                            RiskTier::High
                        } else {
                            k.tier
                        };
                        j.raise(
                            capped,
                            "move_source",
                            "moves files away from outside the project",
                        );
                    }
                }
                if info.secret {
                    j.raise(RiskTier::High, "secret_access", "moves a secret file");
                    j.secret = true;
                }
            }
            if let Some(d) = dest.or(target_dir.as_ref()) {
                write_target(d, ctx, j);
            }
            j.raise(RiskTier::Medium, "move", "moves or renames files");
            true
        }
        "cp" | "install" | "ln" | "ditto" => {
            copy(cmd, prog, ctx, j);
            true
        }
        "tee" => {
            for w in args.iter().filter(|w| !w.text.starts_with('-')) {
                write_target(w, ctx, j);
            }
            j.note("tee", "copies its input to files");
            true
        }
        "touch" | "mkdir" | "mkfifo" | "mknod" => {
            let (_, ops) = split_args(args);
            for w in ops {
                write_target(w, ctx, j);
            }
            j.raise(RiskTier::Medium, "create", "creates files or directories");
            true
        }
        "sed"
            if args
                .iter()
                .any(|w| w.text.starts_with("-i") || w.text.starts_with("--in-place")) =>
        {
            let (_, ops) = split_args(args);
            // The first operand is the script unless -e was given.
            let has_e = args
                .iter()
                .any(|w| w.text == "-e" || w.text == "--expression" || w.text == "-f");
            for (i, w) in ops.iter().enumerate() {
                if i == 0 && !has_e {
                    continue;
                }
                write_target(w, ctx, j);
            }
            j.raise(RiskTier::Medium, "edit_in_place", "edits files in place");
            true
        }
        "vi" | "vim" | "nvim" | "nano" | "emacs" | "pico" | "ed" | "micro" | "hx" | "kak" => {
            let (_, ops) = split_args(args);
            for w in ops {
                write_target(w, ctx, j);
            }
            j.raise(RiskTier::Medium, "editor", "opens files in an editor");
            true
        }
        "chmod" => {
            chmod(cmd, ctx, j);
            true
        }
        "chown" | "chgrp" => {
            let (flags, ops) = split_args(args);
            let recursive = has_flag(&flags, 'R', "recursive");
            let targets = ops.get(1..).unwrap_or(&[]);
            j.raise(
                RiskTier::Medium,
                "ownership_change",
                "changes file ownership",
            );
            // Taking back one's own build output (`chown -R "$(id -u)" ./target`) is
            // recoverable and learnable; anything else recursive stays HIGH.
            let own_build_output = ops.first().is_some_and(|o| {
                let t = o.raw.as_str();
                t.contains("$(id -u)")
                    || t.contains("$USER")
                    || t.contains("${USER}")
                    || t.contains("$(whoami)")
            }) && !targets.is_empty()
                && targets.iter().all(|w| {
                    !w.dynamic
                        && matches!(
                            paths::classify(&w.text, ctx).class,
                            PathClass::BuildOutput | PathClass::Temp
                        )
                });
            if recursive && !own_build_output {
                j.raise(
                    RiskTier::High,
                    "recursive_ownership_change",
                    "recursively changes ownership",
                );
            }
            for w in targets {
                let info = paths::classify(&w.text, ctx);
                if matches!(
                    info.class,
                    PathClass::Root | PathClass::System | PathClass::HomeRoot | PathClass::Device
                ) {
                    j.raise(
                        RiskTier::Critical,
                        "system_permission_change",
                        "changes ownership of system or home paths",
                    );
                } else if !matches!(
                    info.class,
                    PathClass::Project | PathClass::BuildOutput | PathClass::Temp
                ) {
                    j.raise(
                        RiskTier::High,
                        "outside_permission_change",
                        "changes ownership outside the project",
                    );
                }
            }
            j.no_pattern = true;
            true
        }
        "chattr" | "chflags" | "setfacl" | "setcap" => {
            let (_, ops) = split_args(args);
            if prog == "setcap" {
                j.raise(
                    RiskTier::High,
                    "capability_change",
                    "grants file capabilities (privilege)",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "attribute_change",
                    "changes file attributes or ACLs",
                );
            }
            for w in ops.iter().skip(1) {
                let info = paths::classify(&w.text, ctx);
                if !matches!(
                    info.class,
                    PathClass::Project
                        | PathClass::BuildOutput
                        | PathClass::Temp
                        | PathClass::ProjectRoot
                ) {
                    j.raise(
                        RiskTier::High,
                        "outside_permission_change",
                        "changes attributes outside the project",
                    );
                }
            }
            j.no_pattern = true;
            true
        }
        "find" => {
            let del = args.iter().any(|w| w.text == "-delete");
            let writes = args
                .iter()
                .position(|w| matches!(w.text.as_str(), "-fprint" | "-fprintf" | "-fls"));
            if let Some(i) = writes
                && let Some(f) = args.get(i + 1)
            {
                write_target(f, ctx, j);
            }
            if del {
                let roots: Vec<&Word> = args
                    .iter()
                    .take_while(|w| !(w.text.starts_with('-') || w.text == "(" || w.text == "!"))
                    .collect();
                let roots: Vec<&Word> = if roots.is_empty() { vec![&DOT] } else { roots };
                let filtered = args.iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "-name"
                            | "-iname"
                            | "-path"
                            | "-regex"
                            | "-newer"
                            | "-mtime"
                            | "-empty"
                            | "-size"
                    )
                });
                let mut k = Judge::default();
                delete_all_with(&roots, !filtered, filtered, ctx, &mut k);
                if filtered && k.tier < RiskTier::Medium {
                    k.raise(
                        RiskTier::Medium,
                        "find_delete",
                        "deletes the files find matches",
                    );
                }
                k.raise(
                    k.tier.max(RiskTier::Medium),
                    "find_delete",
                    "deletes the files find matches",
                );
                j.absorb(&k);
                j.no_pattern = true;
            } else {
                j.note("read_only", "searches files");
            }
            true
        }
        _ => false,
    }
}

/// Rates a copy or link (`cp`, `install`, `ln`, `ditto`, and `rsync` between local paths):
/// the destination is a write, `rsync --delete` deletes in it.
pub(super) fn copy(cmd: &SimpleCommand, prog: &str, ctx: &Context, j: &mut Judge) {
    let args = cmd.args();
    let (flags, ops) = split_args(args);
    let target_dir = flag_value(args, "-t", "--target-directory");
    if prog == "rsync"
        && flags
            .iter()
            .any(|f| f.starts_with("--delete") || f == "--del" || f == "--remove-source-files")
        && let Some(d) = ops.last()
    {
        delete_target(d, true, ctx, j);
    }
    if prog == "cp" && paths::env_from_template(&ops, ctx) {
        // `cp .env.example .env`: the project's settings file made from its template.
        j.raise(
            RiskTier::Medium,
            "env_from_template",
            "creates the project's .env from its template",
        );
        j.no_pattern = true;
    } else if let Some(d) = target_dir.as_ref() {
        write_target(d, ctx, j);
    } else if ops.len() >= 2 {
        if let Some(d) = ops.last() {
            write_target(d, ctx, j);
        }
    } else if prog == "ln" {
        // `ln -s target` links into the current directory.
        j.raise(
            RiskTier::Medium,
            "project_write",
            "creates a link in the project",
        );
    }
    j.raise(RiskTier::Medium, "copy", "copies or links files");
}

/// `TRUNCATE …` in capitals or `truncate table …`: an SQL statement typed as a command
/// (coreutils `truncate` takes no operand without `-s` or `-r`, so it is never this).
fn sql_truncate(cmd: &SimpleCommand) -> bool {
    cmd.argv.first().is_some_and(|w| w.text == "TRUNCATE")
        || cmd
            .args()
            .first()
            .is_some_and(|w| w.text.eq_ignore_ascii_case("table"))
}

fn flag_value(args: &[Word], short: &str, long: &str) -> Option<Word> {
    for (i, w) in args.iter().enumerate() {
        if w.text == short || w.text == long {
            return args.get(i + 1).cloned();
        }
        if let Some(v) = w.text.strip_prefix(&format!("{long}=")) {
            return Some(Word {
                text: v.to_string(),
                ..w.clone()
            });
        }
    }
    None
}

/// `host:path` or `user@host:path` (scp/rsync remote spec), not a URL or a Windows drive.
pub(super) fn is_remote_spec(s: &str) -> bool {
    if s.contains("://") || s.starts_with('/') || s.starts_with('.') || s.starts_with('-') {
        return s.starts_with("rsync://");
    }
    match s.split_once(':') {
        Some((host, _)) => host.len() > 1 && !host.contains('/') && !host.contains('='),
        None => false,
    }
}
