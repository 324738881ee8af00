//! `aiperture completions <shell>` and `aiperture man`: shell completion scripts and roff man
//! pages generated from the clap definitions, so they can never drift from the commands.
//!
//! Both build the whole clap command tree, which the hook's fast path never does (`main.rs`):
//! they cost nothing outside their own subcommands.

use crate::cli::ExitCode;
use anyhow::Context;
use clap::{Args, ValueEnum};
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `aiperture completions`.
#[derive(Args, Debug)]
#[command(after_help = "Install (the file names are the shells' usual places):
  bash:  aiperture completions bash > ~/.local/share/bash-completion/completions/aiperture
  zsh:   aiperture completions zsh > ~/.zfunc/_aiperture   (with fpath+=~/.zfunc before compinit)
  fish:  aiperture completions fish > ~/.config/fish/completions/aiperture.fish
  elvish, powershell: see README \"Shell completions and man page\"")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells a completion script can be written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

impl From<CompletionShell> for Shell {
    fn from(s: CompletionShell) -> Shell {
        match s {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
            CompletionShell::Elvish => Shell::Elvish,
            CompletionShell::Powershell => Shell::PowerShell,
        }
    }
}

/// Arguments of `aiperture man`.
#[derive(Args, Debug)]
#[command(
    after_help = "Without --dir, prints aiperture(1) to stdout: `aiperture man | man -l -`.\n\
With --dir, writes aiperture.1 and one aiperture-<command>.1 per command, e.g. into \
~/.local/share/man/man1."
)]
pub struct ManArgs {
    /// Write aiperture.1 and a page per command into this directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs `aiperture completions`: the script for `shell` on stdout. `cmd` is the whole command
/// tree (`main.rs` builds it only for this subcommand).
pub fn run_completions(args: CompletionsArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut cmd = without_hidden(cmd);
    let mut out = Vec::new();
    clap_complete::generate(Shell::from(args.shell), &mut cmd, BIN, &mut out);
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The program's name, as the scripts complete it.
const BIN: &str = "aiperture";

/// The root command without its hidden subcommands (`serve`, while not implemented), which
/// clap_complete would otherwise offer. clap cannot remove a subcommand, so the root is built
/// anew from what completion reads: name, about, version, arguments and visible subcommands.
fn without_hidden(cmd: clap::Command) -> clap::Command {
    if !cmd.get_subcommands().any(|s| s.is_hide_set()) {
        return cmd;
    }
    let mut root = clap::Command::new(BIN)
        .args(cmd.get_arguments().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = cmd.get_about() {
        root = root.about(about.clone());
    }
    if cmd.get_version().is_some() {
        root = root.version(env!("CARGO_PKG_VERSION"));
    }
    root
}

/// Runs `aiperture man`: aiperture(1) on stdout, or every page into `--dir`.
pub fn run_man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    match args.dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            write_stdout(&out)?;
        }
        Some(dir) => {
            let written = write_pages(cmd, &dir)?;
            println!("wrote {written} man pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes aiperture.1 and one page per visible subcommand (and their subcommands) into `dir`;
/// returns how many pages were written.
fn write_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Building names each subcommand's page after its full path (aiperture-config-set.1).
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = 0;
    let mut stack = vec![cmd];
    while let Some(c) = stack.pop() {
        if c.is_hide_set() {
            continue;
        }
        let man = clap_mangen::Man::new(c.clone());
        let path = dir.join(man.get_filename());
        let mut out = Vec::new();
        man.render(&mut out)?;
        std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
        written += 1;
        stack.extend(c.get_subcommands().cloned());
    }
    Ok(written)
}

/// Writes bytes to stdout (a closed pipe ends quietly in `cli::finish`).
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::without_hidden;
    use clap::{Arg, Command};

    fn names(c: &Command) -> Vec<&str> {
        c.get_subcommands().map(|s| s.get_name()).collect()
    }

    #[test]
    fn hidden_subcommands_are_dropped_and_the_rest_kept_whole() {
        let root = Command::new("aiperture")
            .version("1")
            .about("about")
            .arg(
                Arg::new("flag")
                    .long("flag")
                    .action(clap::ArgAction::SetTrue),
            )
            .subcommand(Command::new("check").arg(Arg::new("json").long("json")))
            .subcommand(Command::new("serve").hide(true))
            .subcommand(Command::new("doctor"));
        let out = without_hidden(root);
        assert_eq!(names(&out), ["check", "doctor"]);
        assert_eq!(out.get_name(), "aiperture");
        assert!(out.get_version().is_some());
        assert_eq!(out.get_about().map(|a| a.to_string()), Some("about".into()));
        assert!(out.get_arguments().any(|a| a.get_id() == "flag"));
        let check = out.find_subcommand("check").unwrap();
        assert!(check.get_arguments().any(|a| a.get_id() == "json"));
        // Nothing hidden: returned as is.
        let plain = Command::new("x").subcommand(Command::new("y"));
        assert_eq!(names(&without_hidden(plain)), ["y"]);
    }
}
