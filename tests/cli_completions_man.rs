//! Issue 23, "What a user of a Rust CLI expects": shell completions and man pages generated
//! from the clap definitions, so every command and flag is in them and nothing hidden is.

use assert_cmd::Command;
use std::path::Path;

fn cmd(home: &Path) -> Command {
    let mut c = Command::cargo_bin("aiperture").unwrap();
    c.env("AIPERTURE_HOME", home.join("aihome"))
        .env("AIPERTURE_DB_PATH", home.join("db.sqlite"))
        .env("HOME", home)
        .current_dir(home);
    c
}

fn stdout(home: &Path, args: &[&str]) -> String {
    let out = cmd(home).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The commands `aiperture --help` lists (the names in its "Commands:" block).
fn listed_commands(home: &Path) -> Vec<String> {
    let help = stdout(home, &["--help"]);
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_shell_gets_a_script_naming_every_visible_command() {
    let home = tempfile::tempdir().unwrap();
    let commands = listed_commands(home.path());
    for c in ["hook", "check", "config", "completions", "man", "serve"] {
        assert!(commands.iter().any(|x| x == c), "{c} not in --help");
    }
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(home.path(), &["completions", shell]);
        assert!(script.contains("aiperture"), "{shell}");
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell} script lacks {c}");
        }
    }
    // The generation never touches the store.
    assert!(!home.path().join("db.sqlite").exists());
}

#[test]
fn the_bash_script_completes_commands_and_flags() {
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("aiperture.bash");
    std::fs::write(&script, stdout(home.path(), &["completions", "bash"])).unwrap();
    let complete = |words: &str, cword: usize| -> String {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; \
                 _aiperture aiperture \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("aiperture comp", 1).trim(), "completions");
    let shells = complete("aiperture completions ''", 2);
    for s in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.lines().any(|l| l == s), "{s} not offered: {shells}");
    }
    let flags = complete("aiperture grant --l", 2);
    assert!(flags.lines().any(|l| l == "--list"), "{flags}");
}

#[test]
fn an_unknown_shell_is_a_usage_error_naming_the_shells() {
    let home = tempfile::tempdir().unwrap();
    let out = cmd(home.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("powershell"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_man_page_is_roff_listing_every_command_with_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let page = stdout(home.path(), &["man"]);
    assert!(page.contains(".TH aiperture 1"), "{page}");
    assert!(page.contains(".SH NAME"));
    assert!(page.contains(".SH SYNOPSIS"));
    for c in listed_commands(home.path()) {
        assert!(
            page.contains(&format!("aiperture\\-{c}(1)")),
            "man page lacks {c}"
        );
    }
    // The exit-code table of --help is part of the page.
    assert!(page.contains("usage error"), "{page}");
    // Where a formatter is installed, the page renders without complaint.
    if let Ok(out) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::fs::File::open(write(home.path(), "aiperture.1", &page)).unwrap())
        .output()
    {
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "groff: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn man_dir_writes_a_page_per_command_and_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("man/man1");
    let said = stdout(home.path(), &["man", "--dir", dir.to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert!(
        said.contains(&format!("wrote {} man pages", pages.len())),
        "{said}"
    );
    for c in listed_commands(home.path()) {
        assert!(
            pages.contains(&format!("aiperture-{c}.1")),
            "{c}: {pages:?}"
        );
    }
    for p in [
        "aiperture.1",
        "aiperture-config-set.1",
        "aiperture-audit-verify.1",
    ] {
        assert!(pages.iter().any(|x| x == p), "{p}: {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("help")));
    let set = std::fs::read_to_string(dir.join("aiperture-config-set.1")).unwrap();
    assert!(
        set.contains(".TH aiperture\\-config\\-set 1")
            || set.contains(".TH aiperture-config-set 1"),
        "{set}"
    );
}
