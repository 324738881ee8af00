//! Deletion rules: the tier of a deletion follows its target (build output in the project
//! medium and learnable, other project files high when recursive, home, `/`, system paths and
//! anything outside the project critical).

use super::Context;
use super::args::norm_dashes;
use super::judge::Judge;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// Rates a deletion (or destruction of contents) of `w`. `recursive` for whole trees.
pub(super) fn delete_target(w: &Word, recursive: bool, ctx: &Context, j: &mut Judge) {
    j.no_pattern = true;
    let t = norm_dashes(&w.text);
    let info = paths::classify(&t, ctx);
    if info.unresolved {
        if recursive {
            j.raise(
                RiskTier::High,
                "unresolved_delete_target",
                "recursively deletes a path that depends on a variable",
            );
        } else {
            j.raise(RiskTier::Medium, "delete", "deletes files");
        }
        return;
    }
    if info.secret {
        j.raise(
            RiskTier::High,
            "secret_delete",
            "deletes a secret or key file",
        );
    }
    let (tier, factor, reason) = match info.class {
        PathClass::Protected => (
            RiskTier::Critical,
            "self_protection",
            "deletes aiperture's own files or a runtime's hook settings",
        ),
        PathClass::Root => (
            RiskTier::Critical,
            "delete_root",
            "deletes from the file-system root",
        ),
        PathClass::HomeRoot => (
            RiskTier::Critical,
            "delete_home",
            "deletes the home directory or a parent of the project",
        ),
        PathClass::System | PathClass::Device => {
            (RiskTier::Critical, "delete_system", "deletes system files")
        }
        PathClass::ShellRc | PathClass::HomeDot | PathClass::Home | PathClass::Outside => {
            if recursive {
                (
                    RiskTier::Critical,
                    "delete_outside_project",
                    "recursively deletes outside the project",
                )
            } else {
                (
                    RiskTier::High,
                    "delete_outside_project",
                    "deletes files outside the project",
                )
            }
        }
        PathClass::GitInternal => {
            let abs = info.abs.trim_end_matches('/');
            if abs.ends_with("/.git") {
                (
                    RiskTier::Critical,
                    "delete_git_dir",
                    "deletes the repository's history (.git)",
                )
            } else {
                (
                    RiskTier::High,
                    "delete_git_internal",
                    "deletes files inside .git",
                )
            }
        }
        PathClass::ProjectRoot => (
            RiskTier::High,
            "delete_project",
            "deletes the project's files",
        ),
        // `rm -f *.pyc`, `rm -rf *.egg-info`: a glob that only selects build artefacts by
        // their extension, directly in a project directory.
        PathClass::Project if info.glob && build_artefact_glob(&info.abs) => {
            j.exact_pattern = true;
            j.raise(
                RiskTier::Medium,
                "delete_build_output",
                "deletes build output inside the project",
            );
            return;
        }
        PathClass::Project => {
            if recursive || info.glob {
                (
                    RiskTier::High,
                    "delete_project_files",
                    "recursively deletes project files",
                )
            } else {
                (RiskTier::Medium, "delete", "deletes a project file")
            }
        }
        PathClass::BuildOutput => {
            j.exact_pattern = true;
            (
                RiskTier::Medium,
                "delete_build_output",
                "deletes build output inside the project",
            )
        }
        PathClass::Temp => (RiskTier::Medium, "delete_temp", "deletes temporary files"),
        PathClass::NullDevice | PathClass::NetSocket => (RiskTier::Low, "delete", ""),
    };
    j.raise(tier, factor, reason);
    if !matches!(info.class, PathClass::BuildOutput) {
        j.exact_pattern = false;
    }
}

/// Rates deleting files selected under `root` (find filters, `find -exec rm {}`): the
/// project root itself is not deleted, only files in it.
pub(super) fn delete_under(root: &Word, recursive: bool, ctx: &Context, j: &mut Judge) {
    let info = paths::classify(&norm_dashes(&root.text), ctx);
    if info.class == PathClass::ProjectRoot && !info.glob {
        j.no_pattern = true;
        if recursive {
            j.raise(
                RiskTier::High,
                "delete_project_files",
                "recursively deletes project files",
            );
        } else {
            j.raise(RiskTier::Medium, "delete", "deletes selected project files");
        }
    } else {
        delete_target(root, recursive, ctx, j);
    }
}

/// Rates deletion of many targets; the pattern stays exact only if all are build output.
pub(super) fn delete_all(targets: &[&Word], recursive: bool, ctx: &Context, j: &mut Judge) {
    delete_all_with(targets, recursive, false, ctx, j);
}

pub(super) fn delete_all_with(
    targets: &[&Word],
    recursive: bool,
    under: bool,
    ctx: &Context,
    j: &mut Judge,
) {
    let mut all_build = !targets.is_empty();
    for w in targets {
        let mut one = Judge::default();
        if under {
            delete_under(w, recursive, ctx, &mut one);
        } else {
            delete_target(w, recursive, ctx, &mut one);
        }
        all_build &= one.exact_pattern;
        j.absorb(&one);
    }
    j.no_pattern = true;
    j.exact_pattern = all_build;
}

pub(super) static DOT: std::sync::LazyLock<Word> = std::sync::LazyLock::new(|| Word::literal("."));

pub(super) fn delete_operands(
    cmd: &SimpleCommand,
    ops: &[&Word],
    recursive: bool,
    ctx: &Context,
    j: &mut Judge,
) {
    if ops.is_empty() && cmd.implicit_args {
        if cmd.implicit_roots.is_empty() {
            if recursive {
                j.raise(
                    RiskTier::High,
                    "delete_from_input",
                    "recursively deletes paths read from its input",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "delete_from_input",
                    "deletes paths read from its input",
                );
            }
            j.no_pattern = true;
        } else {
            let roots: Vec<&Word> = cmd.implicit_roots.iter().collect();
            let mut k = Judge::default();
            delete_all_with(&roots, recursive, true, ctx, &mut k);
            // find narrows the set; a plain file delete under the project stays medium.
            j.absorb(&k);
        }
        return;
    }
    let mut real: Vec<&Word> = Vec::new();
    for w in ops {
        if w.text.contains("{}") && cmd.implicit_args {
            let mut k = Judge::default();
            let roots: Vec<&Word> = cmd.implicit_roots.iter().collect();
            delete_all_with(&roots, recursive, true, ctx, &mut k);
            j.absorb(&k);
            j.no_pattern = true;
        } else {
            real.push(w);
        }
    }
    if !real.is_empty() {
        delete_all(&real, recursive, ctx, j);
    }
}

/// Globs whose last component selects only build artefacts by extension (`*.pyc`, `*.o`).
fn build_artefact_glob(abs: &str) -> bool {
    let last = abs.rsplit('/').next().unwrap_or("");
    let Some(ext) = last.strip_prefix("*.") else {
        return false;
    };
    matches!(
        ext,
        "pyc"
            | "pyo"
            | "o"
            | "obj"
            | "class"
            | "egg-info"
            | "d"
            | "rlib"
            | "rmeta"
            | "tsbuildinfo"
            | "log"
            | "tmp"
            | "orig"
            | "rej"
            | "swp"
    )
}
