//! Permission rules: `chmod` modes (world-writable, setuid/setgid), recursion and targets.

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

pub(super) fn chmod(cmd: &SimpleCommand, ctx: &Context, j: &mut Judge) {
    let args = cmd.args();
    let mut recursive = false;
    let mut mode: Option<String> = None;
    let mut targets: Vec<&Word> = Vec::new();
    for w in args {
        let t = w.text.as_str();
        if t == "-R"
            || t == "--recursive"
            || (t.starts_with('-')
                && t.len() > 1
                && t.chars().skip(1).all(|c| "RfvHLPc".contains(c))
                && t.contains('R'))
        {
            recursive = true;
            continue;
        }
        if t.starts_with("--") {
            continue;
        }
        if mode.is_none() {
            mode = Some(t.to_string());
            continue;
        }
        targets.push(w);
    }
    let mode = mode.unwrap_or_default();
    let world_writable = {
        let digits: String = mode.chars().filter(|c| c.is_ascii_digit()).collect();
        let numeric = !digits.is_empty() && digits.len() == mode.len();
        if numeric {
            digits
                .chars()
                .last()
                .map(|c| matches!(c, '2' | '3' | '6' | '7'))
                .unwrap_or(false)
        } else {
            mode.split(',').any(|m| {
                (m.starts_with('o') || m.starts_with('a') || m.starts_with('+'))
                    && m.contains('+')
                    && m.contains('w')
            })
        }
    };
    let setuid = {
        let digits: String = mode.chars().filter(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && digits.len() == mode.len() && digits.len() == 4 {
            digits.chars().next().map(|c| c != '0').unwrap_or(false)
        } else {
            mode.contains("+s")
        }
    };
    j.raise(
        RiskTier::Medium,
        "permission_change",
        "changes file permissions",
    );
    if world_writable {
        j.raise(
            if recursive {
                RiskTier::High
            } else {
                RiskTier::Medium
            },
            "world_writable",
            "makes files writable by everyone",
        );
    }
    if setuid {
        j.raise(RiskTier::High, "setuid", "sets the setuid/setgid bit");
    }
    if recursive && world_writable {
        j.raise(
            RiskTier::High,
            "recursive_world_writable",
            "recursively makes files writable by everyone",
        );
    }
    for w in targets {
        let info = paths::classify(&w.text, ctx);
        match info.class {
            PathClass::Root | PathClass::System | PathClass::HomeRoot | PathClass::Device => {
                j.raise(
                    RiskTier::Critical,
                    "system_permission_change",
                    "changes permissions of system or home paths",
                );
            }
            PathClass::Protected => j.raise(
                RiskTier::Critical,
                "self_protection",
                "changes permissions of aiperture's files",
            ),
            PathClass::Project
            | PathClass::BuildOutput
            | PathClass::Temp
            | PathClass::ProjectRoot => {
                if recursive && info.class == PathClass::ProjectRoot && world_writable {
                    j.raise(
                        RiskTier::High,
                        "recursive_world_writable",
                        "recursively makes the project writable by everyone",
                    );
                }
            }
            _ => j.raise(
                RiskTier::High,
                "outside_permission_change",
                "changes permissions outside the project",
            ),
        }
    }
    if recursive || world_writable || setuid {
        j.no_pattern = true;
    }
}
