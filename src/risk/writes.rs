//! Where a write lands: the one judgement of a write target, for redirections, the file
//! tools' writes and edits, and every program that writes a file a command names (`cp`, `tee`,
//! `sed -i`, `--output`, …): aiperture's own files, devices and sockets, system and home
//! places, shell start-up files, files a project runs later, links that lead elsewhere.

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use crate::shell::Word;

/// Rates a path that is written to (redirection target, `cp` destination, `tee` file…).
pub(super) fn write_target(w: &Word, ctx: &Context, j: &mut Judge) {
    let t = w.text.as_str();
    if t.is_empty() {
        return;
    }
    let info = paths::classify(t, ctx);
    if info.unresolved {
        j.raise(
            RiskTier::Medium,
            "unresolved_write_target",
            "writes to a path that depends on a variable",
        );
        j.no_pattern = true;
        return;
    }
    match info.class {
        PathClass::Protected => {
            j.raise(
                RiskTier::Critical,
                "self_protection",
                "changes aiperture's own database, key or config, or a runtime's hook settings",
            );
            j.no_pattern = true;
            return;
        }
        PathClass::NullDevice => return,
        PathClass::NetSocket => {
            j.raise(
                RiskTier::Critical,
                "network_socket",
                "sends data through /dev/tcp or /dev/udp",
            );
            j.sends = true;
        }
        PathClass::Device => j.raise(
            RiskTier::Critical,
            "device_write",
            "writes directly to a device under /dev",
        ),
        PathClass::Root | PathClass::System => j.raise(
            RiskTier::Critical,
            "system_path_write",
            "writes to a system path",
        ),
        PathClass::ShellRc => j.raise(
            RiskTier::Critical,
            "shell_rc_write",
            "writes to a shell start-up file (persistence)",
        ),
        PathClass::HomeDot => j.raise(
            RiskTier::High,
            "dotfile_write",
            "writes to a dotfile in the home directory",
        ),
        PathClass::HomeRoot | PathClass::Home | PathClass::Outside => j.raise(
            RiskTier::High,
            "outside_project_write",
            "writes outside the project",
        ),
        PathClass::GitInternal => j.raise(
            RiskTier::High,
            "git_internal_write",
            "writes inside .git (hooks or config can run code)",
        ),
        PathClass::Temp => j.note("temp_write", "writes to a temporary directory"),
        PathClass::Project | PathClass::ProjectRoot | PathClass::BuildOutput => j.raise(
            RiskTier::Medium,
            "project_write",
            "writes a file in the project",
        ),
    }
    super::realpaths::note_link(&info, j);
    let role = super::runs_later::role(&info.abs)
        .or_else(|| info.real.as_deref().and_then(super::runs_later::role));
    if let Some(role) = role {
        j.raise(
            RiskTier::High,
            "runs_later",
            &format!("writes {role}; it runs later, unchecked"),
        );
        j.no_pattern = true;
    }
    if info.secret {
        j.raise(
            RiskTier::High,
            "secret_write",
            "writes a secret file (.env, keys, credentials)",
        );
        j.no_pattern = true;
    }
    if info.class != PathClass::Temp {
        j.no_pattern |= !matches!(
            info.class,
            PathClass::Project | PathClass::ProjectRoot | PathClass::BuildOutput
        );
    }
}
