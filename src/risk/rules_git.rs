//! git rules: history and work-tree destruction, forced pushes, hook/config tampering;
//! read-only subcommands are low.

use super::Context;
use super::args::norm_dashes;
use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;

/// git's global options that take a value.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--exec-path",
    "--config-env",
];

/// Splits `git [global options] SUBCOMMAND args…`: (global options, subcommand index).
pub(super) fn subcommand_index(cmd: &SimpleCommand) -> (Vec<String>, Option<usize>) {
    let mut globals = Vec::new();
    let mut i = 1;
    while let Some(w) = cmd.argv.get(i) {
        let t = w.text.as_str();
        if GLOBAL_WITH_VALUE.contains(&t) {
            globals.push(t.to_string());
            if let Some(v) = cmd.argv.get(i + 1) {
                globals.push(v.text.clone());
            }
            i += 2;
            continue;
        }
        if t.starts_with('-') {
            globals.push(t.to_string());
            i += 1;
            continue;
        }
        return (globals, Some(i));
    }
    (globals, None)
}

const READ_ONLY: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "blame",
    "annotate",
    "rev-parse",
    "rev-list",
    "describe",
    "ls-files",
    "ls-tree",
    "ls-remote",
    "cat-file",
    "shortlog",
    "grep",
    "help",
    "version",
    "whatchanged",
    "reflog",
    "fetch",
    "name-rev",
    "merge-base",
    "for-each-ref",
    "show-ref",
    "show-branch",
    "count-objects",
    "fsck",
    "verify-commit",
    "verify-tag",
    "check-ignore",
    "check-attr",
    "var",
    "cherry",
    "range-diff",
    "difftool",
    "instaweb",
    "bugreport",
    "lfs",
];

/// The programs these rules judge (the registry's data).
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &["git"],
    versioned: &[],
    prefixes: &[],
    value_options: &[],
};

/// Handles `git`. Returns true when it is git.
pub(super) fn judge(inv: &Invocation, _ctx: &Context, j: &mut Judge) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    if prog != "git" {
        return false;
    }
    let (globals, sub_i) = subcommand_index(cmd);
    // Dangerous -c settings: hooks path, ssh command, pager, aliases run code.
    for (i, g) in globals.iter().enumerate() {
        if g == "-c" || g == "--config-env" {
            let kv = globals
                .get(i + 1)
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default();
            if code_config_key(&kv) && !benign_config_value(&kv) {
                j.raise(
                    RiskTier::High,
                    "git_config_exec",
                    "sets a git option that runs arbitrary commands",
                );
            }
        }
    }
    let Some(si) = sub_i else {
        j.note("read_only", "git without a subcommand");
        return true;
    };
    let sub = cmd
        .argv
        .get(si)
        .map(|w| w.text.to_ascii_lowercase())
        .unwrap_or_default();
    let rest: Vec<String> = cmd
        .argv
        .get(si + 1..)
        .unwrap_or(&[])
        .iter()
        .map(|w| norm_dashes(&w.text))
        .collect();
    let has = |f: &str| rest.iter().any(|a| a.eq_ignore_ascii_case(f));
    let has_prefix = |p: &str| rest.iter().any(|a| a.to_ascii_lowercase().starts_with(p));
    let short = |c: char| {
        rest.iter().any(|a| {
            a.starts_with('-') && !a.starts_with("--") && a.chars().skip(1).any(|x| x == c)
        })
    };
    let double_dash = rest.iter().position(|a| a == "--");
    match sub.as_str() {
        "reset" => {
            if has("--hard") || has("--merge") || has("--keep") {
                destroy(
                    j,
                    "git_reset_hard",
                    "git reset --hard discards uncommitted changes",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "git_reset",
                    "moves HEAD or unstages changes",
                );
            }
        }
        "clean" => {
            let dry = short('n') || has("--dry-run") || short('i') || has("--interactive");
            if !dry && (short('f') || has("--force")) {
                destroy(j, "git_clean_force", "git clean -f deletes untracked files");
            } else {
                j.note("git_clean_dry_run", "shows what git clean would delete");
            }
        }
        "push" => {
            let force = rest.iter().any(|a| {
                let l = a.to_ascii_lowercase();
                (l.starts_with("--force")
                    && !l.starts_with("--force-with-lease")
                    && l != "--force-if-includes")
                    || l == "--force-with-lease-if-includes"
                    || l == "--mirror"
                    || l == "--prune"
                    || (l.starts_with('-') && !l.starts_with("--") && l.contains('f'))
                    || (l.starts_with('+') && l.len() > 1)
            });
            let delete = has("--delete")
                || short('d')
                || rest.iter().any(|a| a.starts_with(':') && a.len() > 1);
            if force {
                destroy(j, "git_push_force", "force-push rewrites remote history");
            } else if delete {
                destroy(j, "git_push_delete", "deletes a remote branch or tag");
            } else {
                j.raise(
                    RiskTier::Medium,
                    "git_push",
                    "publishes commits to a remote",
                );
            }
        }
        "checkout" => {
            let force = short('f') || has("--force");
            let discard = double_dash.is_some()
                || rest.iter().any(|a| a == "." || a == ":/")
                || has_prefix("--pathspec-from-file");
            if force || discard {
                destroy(
                    j,
                    "git_checkout_discard",
                    "git checkout of paths discards uncommitted changes",
                );
            } else {
                j.raise(RiskTier::Medium, "git_checkout", "switches branches");
            }
        }
        "restore" => {
            let staged = has("--staged") || short('S');
            let worktree = has("--worktree") || short('W');
            if !staged || worktree {
                destroy(
                    j,
                    "git_restore_worktree",
                    "git restore discards uncommitted changes",
                );
            } else {
                j.raise(RiskTier::Medium, "git_restore_staged", "unstages changes");
            }
        }
        "switch" => {
            if has("--discard-changes") || short('f') || has("--force") {
                destroy(
                    j,
                    "git_switch_discard",
                    "switching with --discard-changes drops changes",
                );
            } else {
                j.raise(RiskTier::Medium, "git_switch", "switches branches");
            }
        }
        "branch" => {
            let force_delete = rest.iter().any(|a| a == "-D")
                || ((has("--delete") || short('d')) && (has("--force") || short('f')))
                || rest.iter().any(|a| a == "-M" || a == "-C");
            if force_delete {
                destroy(
                    j,
                    "git_branch_force_delete",
                    "force-deletes a branch and its unmerged commits",
                );
            } else if has("-d") || has("--delete") || has("-m") || has("--move") {
                j.raise(
                    RiskTier::Medium,
                    "git_branch_delete",
                    "deletes or renames a merged branch",
                );
            } else if rest.iter().any(|a| !a.starts_with('-'))
                && !has("--list")
                && !has("-a")
                && !has("-r")
                && !has("--contains")
            {
                j.raise(RiskTier::Medium, "git_branch_create", "creates a branch");
            } else {
                j.note("read_only", "lists branches");
            }
        }
        "stash" => match rest.first().map(|s| s.as_str()) {
            Some("drop") | Some("clear") => {
                destroy(j, "git_stash_destroy", "drops stashed changes")
            }
            Some("list") | Some("show") => j.note("read_only", "lists stashes"),
            _ => j.raise(RiskTier::Medium, "git_stash", "stashes or applies changes"),
        },
        "replace" if has("-l") || has("--list") || rest.is_empty() => {
            j.note("read_only", "lists replacements")
        }
        "filter-branch" | "filter-repo" | "replace" => {
            destroy(j, "git_history_rewrite", "rewrites repository history");
        }
        "reflog"
            if rest
                .first()
                .map(|s| s == "expire" || s == "delete")
                .unwrap_or(false) =>
        {
            destroy(
                j,
                "git_reflog_expire",
                "expires the reflog (loses recovery points)",
            );
        }
        "gc" | "prune"
            if has_prefix("--prune=now") || has_prefix("--expire=now") || sub == "prune" =>
        {
            destroy(j, "git_prune", "permanently removes unreachable objects");
        }
        "update-ref" if short('d') => destroy(j, "git_update_ref_delete", "deletes a ref"),
        "worktree"
            if rest
                .first()
                .map(|s| s == "remove" || s == "prune")
                .unwrap_or(false)
                && (has("--force") || short('f')) =>
        {
            destroy(
                j,
                "git_worktree_force_remove",
                "force-removes a worktree with its changes",
            );
        }
        "tag" if short('d') || has("--delete") => {
            j.raise(RiskTier::Medium, "git_tag_delete", "deletes a tag");
        }
        "rm" => {
            if has("--cached") {
                j.raise(RiskTier::Medium, "git_rm_cached", "untracks files");
            } else if short('r') && (short('f') || has("--force")) {
                destroy(
                    j,
                    "git_rm_force",
                    "deletes tracked files, including changes",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "git_rm",
                    "deletes tracked files (recoverable from history)",
                );
            }
        }
        "config" => {
            let lower: Vec<String> = rest.iter().map(|a| a.to_ascii_lowercase()).collect();
            let reading = lower.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "--get" | "--get-all" | "--list" | "-l" | "--get-regexp" | "get" | "list"
                )
            }) || lower.iter().filter(|a| !a.starts_with('-')).count() <= 1;
            if reading {
                j.note("read_only", "reads git config");
            } else if lower.iter().any(|a| code_config_key(a)) {
                j.raise(
                    RiskTier::High,
                    "git_config_exec",
                    "sets a git option that runs arbitrary commands",
                );
            } else if lower.iter().any(|a| a == "--global" || a == "--system") {
                j.raise(
                    RiskTier::High,
                    "git_config_global",
                    "changes global git configuration",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "git_config",
                    "changes repository git configuration",
                );
            }
        }
        "commit" => {
            if has("--amend") {
                j.raise(
                    RiskTier::Medium,
                    "git_commit_amend",
                    "rewrites the last commit",
                );
            } else {
                j.raise(RiskTier::Medium, "git_commit", "records a commit");
            }
            if has("--no-verify") || short('n') {
                j.raise(RiskTier::Medium, "git_no_verify", "skips commit hooks");
            }
        }
        "rebase" | "merge" | "cherry-pick" | "revert" | "pull" | "am" | "apply" | "add" | "mv"
        | "init" | "clone" | "tag" | "remote" | "submodule" | "worktree" | "notes" | "bisect"
        | "sparse-checkout" | "gc" | "maintenance" | "update-index" | "update-ref"
        | "commit-tree" | "read-tree" | "write-tree" | "mktag" | "hash-object" | "lfs-migrate"
        | "format-patch" | "request-pull" | "send-email" | "archive" | "bundle" | "reflog"
        | "prune" => {
            j.raise(RiskTier::Medium, "git_write", "changes the repository");
        }
        s if READ_ONLY.contains(&s) => {
            if s == "branch" {
                j.note("read_only", "");
            } else {
                j.note("read_only", "read-only git command");
            }
        }
        _ => j.raise(
            RiskTier::Medium,
            "git_other",
            "runs a git subcommand or alias",
        ),
    }
    true
}

fn destroy(j: &mut Judge, factor: &str, reason: &str) {
    j.raise(RiskTier::High, factor, reason);
    j.no_pattern = true;
}

fn code_config_key(kv: &str) -> bool {
    let key = kv.split('=').next().unwrap_or("");
    key == "core.hookspath"
        || key == "core.sshcommand"
        || key == "core.pager"
        || key == "core.editor"
        || key == "core.fsmonitor"
        || key == "core.gitproxy"
        || key.starts_with("alias.")
        || key.ends_with(".textconv")
        || key.starts_with("filter.")
        || key == "diff.external"
        || key == "credential.helper"
        || key == "sequence.editor"
        || key == "uploadpack.packobjectshook"
}

/// `core.pager=cat`, `credential.helper=`: a value that is empty or one plain program name.
fn benign_config_value(kv: &str) -> bool {
    let value = kv.split_once('=').map(|(_, v)| v).unwrap_or("");
    value.is_empty()
        || (value.len() <= 32
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            && !kv.starts_with("core.hookspath")
}
