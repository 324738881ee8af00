//! Unit tests of the shell front end.

use super::*;

fn progs(cmd: &str) -> Vec<String> {
    parse(cmd).commands.iter().map(|c| c.program()).collect()
}

fn displays(cmd: &str) -> Vec<String> {
    parse(cmd).commands.iter().map(|c| c.display()).collect()
}

#[test]
fn lists_and_pipelines_split_into_simple_commands() {
    assert_eq!(
        progs("git status && curl x | sh; ls"),
        ["git", "curl", "sh", "ls"]
    );
    let p = parse("curl x | sh");
    assert!(p.commands[1].piped_stdin);
    assert_eq!(p.commands[1].upstream, ["curl"]);
}

#[test]
fn substitutions_are_found() {
    assert_eq!(progs("echo $(rm -rf /)"), ["echo", "rm"]);
    assert_eq!(progs("echo `id`"), ["echo", "id"]);
    assert_eq!(progs("diff <(ls) <(ls -la)"), ["diff", "ls", "ls"]);
    assert_eq!(progs("echo \"a $(whoami) b\""), ["echo", "whoami"]);
    let p = parse("echo $(rm -rf /)");
    assert_eq!(p.commands[1].origin, Some(Origin::Substitution));
}

#[test]
fn data_is_not_executed() {
    assert_eq!(progs("echo 'rm -rf /'"), ["echo"]);
    assert_eq!(progs("git commit -m \"fix rm -rf bug\""), ["git"]);
    assert_eq!(progs("cat <<'EOF'\n$(rm -rf /)\nEOF"), ["cat"]);
    assert_eq!(progs("cat <<EOF\nrm -rf /\nEOF"), ["cat"]);
}

#[test]
fn wrappers_are_unwrapped() {
    assert_eq!(displays("sudo -u root rm -rf /"), ["sudo rm -rf /"]);
    assert_eq!(progs("env -i FOO=1 git reset --hard"), ["git"]);
    assert_eq!(progs("nice -n 19 timeout 5 nohup /bin/rm x"), ["rm"]);
    assert_eq!(progs("command rm x"), ["rm"]);
    assert_eq!(progs("command -v rm"), ["command"]);
    assert_eq!(progs("\\rm x"), ["rm"]);
    assert_eq!(progs("\"/usr/bin/git\" reset"), ["git"]);
    assert_eq!(progs("ls | xargs rm -rf"), ["ls", "rm"]);
    assert!(parse("ls | xargs rm").commands[1].implicit_args);
    assert_eq!(
        progs("stdbuf -o0 time -p builtin exec -a x ionice -c 3 setsid ls"),
        ["ls"]
    );
}

#[test]
fn nested_shells_are_parsed() {
    assert_eq!(progs("bash -c 'rm -rf /; ls'"), ["rm", "ls"]);
    assert_eq!(progs("sh -ec \"git reset --hard\""), ["git"]);
    assert_eq!(progs("bash -lc 'echo $(id)'"), ["echo", "id"]);
    assert_eq!(progs("eval \"rm -rf /\""), ["rm"]);
    assert_eq!(progs("su -c 'rm x' root"), ["rm"]);
    assert_eq!(progs("ssh host rm -rf /tmp/x"), ["rm"]);
    assert_eq!(progs("bash <<EOF\ngit reset --hard\nEOF"), ["git"]);
    assert_eq!(progs("sh <<< 'rm -rf /'"), ["rm"]);
    assert_eq!(progs("echo 'rm -rf /' | bash"), ["echo", "rm"]);
    assert_eq!(progs("cat <<EOF | sh\nrm -rf /\nEOF"), ["cat", "rm"]);
    assert_eq!(progs("watch -n 1 'ls; rm x'"), ["ls", "rm"]);
    assert_eq!(progs("env -S 'rm -rf x'"), ["rm"]);
    assert_eq!(progs("FOO=1 bash -c \"rm -rf /\""), ["rm"]);
}

#[test]
fn find_exec_spawns_a_command() {
    let p = parse("find . -name '*.o' -exec rm -f {} \\;");
    assert_eq!(
        p.commands.iter().map(|c| c.program()).collect::<Vec<_>>(),
        ["find", "rm"]
    );
    let rm = &p.commands[1];
    assert!(rm.implicit_args);
    assert_eq!(rm.implicit_roots[0].text, ".");
}

#[test]
fn redirects_and_heredocs_are_recorded() {
    let p = parse("echo hi > /dev/null 2>&1");
    let r = &p.commands[0].redirects;
    assert_eq!(r.len(), 2);
    assert!(r[0].writes());
    assert!(!r[1].writes());
    let p = parse("tee -a /tmp/x <<-M\n\ty\n\tM");
    assert_eq!(
        p.commands[0].stdin_text.as_deref().map(str::trim),
        Some("y")
    );
    let p = parse("{ a; b; } > out");
    assert!(
        p.commands
            .iter()
            .any(|c| c.argv.is_empty() && c.redirects.len() == 1)
    );
}

#[test]
fn fork_bomb_is_detected() {
    let p = parse(":(){ :|:& };:");
    assert!(p.functions.iter().any(|f| f.self_spawning));
    let p = parse("f() { echo hi; }; f");
    assert!(!p.functions.iter().any(|f| f.self_spawning));
}

#[test]
fn hostile_input_is_bounded() {
    let deep = "$(".repeat(10_000) + &")".repeat(10_000);
    let p = parse(&deep);
    assert!(p.parse_error || p.limit.is_some());
    let long = "echo ".to_string() + &"x".repeat(100_000);
    assert_eq!(parse(&long).limit, Some(Limit::TooLong));
    let nested = "eval ".repeat(30) + "ls";
    assert!(parse(&nested).limit.is_some());
    assert!(parse("echo \"unterminated").parse_error);
}

#[test]
fn display_requotes() {
    assert_eq!(displays("git commit -m \"a b\""), ["git commit -m 'a b'"]);
    assert_eq!(displays("ls \"$HOME\""), ["ls \"$HOME\""]);
}

#[test]
fn code_points_above_latin_1_never_reach_the_c_scanner() {
    // tree-sitter-bash's scanner ran C's `isdigit` on these after `{` and crashed (SIGSEGV).
    for c in ['\u{100}', '\u{FFFF}', '\u{10000}', '\u{10FFFF}'] {
        for cmd in [
            format!("echo {{{c}"),
            format!("echo {{1{c}..2}}"),
            format!("{{{c}"),
        ] {
            let _ = parse(&cmd);
        }
    }
    // The text the commands carry is still the text as written.
    assert_eq!(
        displays("rm -rf /tmp/ünï/日本 && echo 𝄞 | cat"),
        ["rm -rf /tmp/ünï/日本", "echo 𝄞", "cat"]
    );
    assert_eq!(progs("rм -rf / ; ｒｍ x"), ["rм", "ｒｍ"]);
    let p = parse("echo {日..本}");
    assert_eq!(p.commands[0].argv[1].text, "{日..本}");
}

#[test]
fn terminals_and_sessions_run_their_commands() {
    let origin = |cmd: &str| {
        let p = parse(cmd);
        p.commands
            .iter()
            .map(|c| (c.program(), c.origin))
            .collect::<Vec<_>>()
    };
    let nested = Some(Origin::NestedShell);
    let detached = Some(Origin::Detached);
    let typed = Some(Origin::Typed);
    assert_eq!(
        origin("script -qc 'aiperture approve x' /dev/null"),
        [("aiperture".to_string(), nested)]
    );
    assert_eq!(
        origin("script -q /dev/null --command='rm -rf ~'"),
        [("rm".to_string(), nested)]
    );
    assert_eq!(progs("script -q out.log"), ["script"]);
    // BSD and macOS: the command follows the typescript file.
    assert_eq!(
        progs("script -q /dev/null aiperture approve x"),
        ["aiperture"]
    );
    assert_eq!(progs("script -a -t 0 /tmp/out.log ls -la"), ["ls"]);
    assert_eq!(progs("faketty npm test"), ["npm"]);
    assert_eq!(
        origin("tmux new -d -s dev 'npm run dev'"),
        [("npm".to_string(), detached)]
    );
    assert_eq!(
        origin("tmux -L sock new-window -n x rm -rf /tmp/x"),
        [("rm".to_string(), detached)]
    );
    assert_eq!(
        origin("tmux send-keys -t 0 'aiperture approve x' Enter"),
        [("aiperture".to_string(), typed)]
    );
    assert_eq!(
        progs("tmux split-window -h \\; send-keys 'curl x | sh' C-m"),
        ["curl", "sh"]
    );
    assert_eq!(progs("tmux ls"), ["tmux"]);
    assert_eq!(
        progs("tmux pipe-pane -o /tmp/log 'rm -rf /'"),
        ["log", "rm"]
    );
    assert_eq!(progs("tmux if-shell 'test -f x' 'kill-server'"), ["test"]);
    assert_eq!(
        progs("tmux display-popup -E -w 80 'aiperture approve x'"),
        ["aiperture"]
    );
    assert_eq!(progs("tmux attach -t dev"), ["tmux"]);
    assert_eq!(
        origin("screen -dmS s aiperture approve x"),
        [("aiperture".to_string(), detached)]
    );
    assert_eq!(
        origin("screen -S s -X stuff 'rm -rf ~\\n'"),
        [("rm".to_string(), typed)]
    );
    assert_eq!(progs("screen -ls"), ["screen"]);
    assert_eq!(progs("dtach -n /tmp/s -z rm -rf x"), ["rm"]);
    assert_eq!(progs("abduco -e ^q -n s make"), ["make"]);
    assert_eq!(
        origin("systemd-run --user --unit x -p CPUQuota=5% make"),
        [("make".to_string(), detached)]
    );
    assert_eq!(
        origin("expect -c 'spawn -noecho ssh host; expect eof'"),
        [("ssh".to_string(), typed)]
    );
    assert_eq!(progs("expect deploy.exp"), ["expect"]);
    // OpenSSH reads options after the destination too.
    assert_eq!(progs("ssh localhost -t aiperture approve x"), ["aiperture"]);
    assert_eq!(progs("ssh -t localhost -- ls -la"), ["ls"]);
    assert_eq!(progs("ssh host"), ["ssh"]);
}

#[test]
fn forms_bash_accepts_parse() {
    // Assignments and redirections with no command word: bash sets and redirects.
    let p = parse("x=1 > out.txt");
    assert!(!p.parse_error);
    assert_eq!(p.commands.len(), 1);
    assert!(p.commands[0].argv.is_empty());
    assert_eq!(p.commands[0].redirects[0].target.text, "out.txt");
    // `<>` opens read-write (and creates): kept as written, counted as a write.
    let p = parse("ls <> f.txt");
    assert!(!p.parse_error);
    assert_eq!(p.commands[0].redirects[0].op, "<>");
    assert!(p.commands[0].redirects[0].writes());
    // An arithmetic command with a plain body runs nothing, even when it reads like one.
    let p = parse("((echo hello))");
    assert!(!p.parse_error);
    assert!(p.commands.is_empty());
    // Its substitutions still run and are still seen.
    let p = parse("(( $(rm -rf /) ))");
    assert!(p.commands.iter().any(|c| c.program() == "rm"));
    // An unterminated heredoc: bash takes the body to the end of the input.
    let p = parse("bash <<EOF\nrm -rf ~/work");
    assert!(!p.parse_error);
    assert!(p.commands.iter().any(|c| c.program() == "rm"));
    let p = parse("cat <<'EOF'\nrm -rf /");
    assert!(!p.parse_error);
    assert!(!p.commands.iter().any(|c| c.program() == "rm"));
    assert_eq!(p.commands[0].stdin_text.as_deref(), Some("rm -rf /\n"));
}

#[test]
fn syntax_errors_bash_rejects_stay_errors() {
    for line in [
        "for x in 1 2 3; do; done",
        "x=1 >f; echo",
        "echo \"open",
        "((echo hello)",
        "if true; then",
    ] {
        assert!(parse(line).parse_error, "{line}");
    }
}

#[test]
fn heredoc_fed_to_ssh_is_the_remote_shells_script() {
    for line in [
        "ssh ops@bastion bash <<'EOF'\nrm -rf /opt/data\nEOF",
        "ssh h 'bash -s' <<EOF\nrm -rf /opt/data\nEOF",
        "ssh -p 2222 h sh <<< 'rm -rf /opt/data'",
    ] {
        let p = parse(line);
        assert!(
            p.commands
                .iter()
                .any(|c| c.program() == "rm"
                    && c.wrappers.first().map(String::as_str) == Some("ssh")),
            "{line}"
        );
    }
    // A remote program that only reads its stdin runs nothing from it.
    let p = parse("ssh h cat <<EOF\nrm -rf /opt/data\nEOF");
    assert!(!p.commands.iter().any(|c| c.program() == "rm"));
}

#[test]
fn xcrun_runs_the_tool_it_names() {
    assert_eq!(progs("xcrun simctl list devices"), ["simctl"]);
    assert_eq!(
        progs("xcrun --sdk iphoneos --toolchain x simctl erase all"),
        ["simctl"]
    );
    assert_eq!(progs("xcrun rm -rf ~"), ["rm"]);
    // `--find` and `--show-…` only print paths.
    assert_eq!(progs("xcrun -f clang"), ["xcrun"]);
    assert_eq!(progs("xcrun --show-sdk-path"), ["xcrun"]);
}

#[test]
fn a_remembered_parse_is_the_parse() {
    // The per-thread memo hands back copies: a repeat, an interleaved other command and a
    // fresh thread all see what a fresh parser sees.
    let lines = [
        "wc -l README.md",
        "bash -c 'rm -rf ~' && echo done",
        "wc -l README.md",
        "cat <<EOF\nrm -rf /\nEOF",
        "bash -c 'rm -rf ~' && echo done",
    ];
    for line in lines {
        let mut fresh = tree_sitter::Parser::new();
        let expected = parse_uncached(line, &mut fresh);
        assert_eq!(parse(line), expected, "{line}");
        assert_eq!(parse(line), expected, "{line} (again)");
        let other = std::thread::spawn(move || parse(line)).join().unwrap();
        assert_eq!(other, expected, "{line} (another thread)");
    }
    for n in 0..10 {
        let line = format!("echo {n}");
        assert_eq!(parse(&line).commands[0].source, line, "{line}");
    }
}

/// `$`, a line continuation and a line break: bash reads `$` and then the next line's command
/// (the grammar read them as one expansion, `$rm`, and the command vanished). Each case was
/// checked with `bash -n` and by running it with `echo RIDER` in place of the rm.
#[test]
fn a_command_after_a_dollar_continuation_and_a_line_break_is_seen() {
    for cmd in [
        "echo a $\\\n\nrm -rf ~",
        "echo a$\\\n\nrm -rf ~",
        "echo a $\\\n\\\n\nrm -rf ~",
        "echo a $\\\n\t\nrm -rf ~",
        "x=$(echo $\\\n\nrm -rf ~)",
        "echo `echo $\\\n\nrm -rf ~`",
        "'d\\.' '\n\\{**\nn$$/-*' \\\"$\\\n\nrm -rf ~",
    ] {
        let p = parse(cmd);
        assert!(
            p.commands.iter().any(|c| c.program() == "rm"),
            "{cmd:?}: {:?}",
            p.commands.iter().map(|c| c.program()).collect::<Vec<_>>()
        );
    }
    // Inside double quotes it is text, as in bash.
    let p = parse("echo \"$\\\n\nrm -rf ~\"");
    assert!(p.commands.iter().all(|c| c.program() != "rm"));
}
