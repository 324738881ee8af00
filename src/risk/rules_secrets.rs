//! Secret hunting: recursive searches over the home directory (or above it) for words
//! that name credentials (`grep -r TOKEN ~`, `rg -i password /`, `find ~ -name '*.pem'`).
//! Reading one secret file is judged by [`super::secrets`] through the path rules.

use super::Context;
use super::judge::Judge;
use super::paths::{self, PathClass};
use super::secrets::hunts_secrets;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;

/// Options whose value is a search pattern (grep family, find, fd).
pub(super) const PATTERN_OPTIONS: &[&str] = &[
    "-e",
    "--regexp",
    "-f",
    "--file",
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-regex",
    "-iregex",
    "-wholename",
    "-g",
    "--glob",
    "--include",
];

/// Rates a recursive search over the home directory for secret words as a HIGH secret read.
pub(super) fn home_search(cmd: &SimpleCommand, prog: &str, ctx: &Context, j: &mut Judge) {
    let recursive_by_default = matches!(prog, "rg" | "ag" | "ack" | "find" | "fd" | "fdfind");
    if !recursive_by_default
        && !matches!(
            prog,
            "grep" | "egrep" | "fgrep" | "zgrep" | "ugrep" | "pcregrep" | "git-grep"
        )
    {
        return;
    }
    let args = cmd.args();
    let recursive = recursive_by_default
        || args.iter().any(|w| {
            let t = w.text.as_str();
            t == "--recursive"
                || t == "--dereference-recursive"
                || t.starts_with("--directories=rec")
                || (t.starts_with('-') && !t.starts_with("--") && t.contains(['r', 'R']))
        });
    if !recursive {
        return;
    }
    let mut over_home = false;
    let mut operands = 0;
    let mut hunts = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if PATTERN_OPTIONS.contains(&t) {
            hunts |= args.get(i + 1).is_some_and(|v| hunts_secrets(&v.text));
            i += 2;
            continue;
        }
        if let Some((k, v)) = t.split_once('=')
            && k.starts_with('-')
        {
            hunts |= hunts_secrets(v);
        } else if !t.starts_with('-') {
            operands += 1;
            let info = paths::classify(t, ctx);
            if matches!(info.class, PathClass::HomeRoot | PathClass::Root) {
                over_home = true;
            } else {
                hunts |= hunts_secrets(t);
            }
        }
        i += 1;
    }
    // `rg TOKEN` run from the home directory searches it.
    if operands <= 1 && recursive_by_default {
        over_home |= matches!(
            paths::classify(".", ctx).class,
            PathClass::HomeRoot | PathClass::Root
        );
    }
    if over_home && hunts {
        j.raise_secret(
            RiskTier::High,
            "secret_search",
            "searches the home directory recursively for secrets (tokens, passwords, keys)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::request::RiskTier::{self, High, Low};
    use crate::risk::{Context, assess};

    fn ctx(cwd: &str) -> Context {
        Context {
            cwd: cwd.into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            protected_paths: vec!["/home/u/.config/aiperture/key".into()],
            ..Context::default()
        }
    }

    fn tier(cmd: &str, cwd: &str) -> (RiskTier, Option<String>) {
        let a = assess("shell", "execute", cmd, &ctx(cwd));
        let pat = a.segments.first().and_then(|s| s.pattern.clone());
        (a.risk.tier, pat)
    }

    #[test]
    fn recursive_secret_searches_over_home_are_high_and_never_learned() {
        for cmd in [
            "grep -r TOKEN ~",
            "grep -R -i password $HOME",
            "grep --recursive -e aws_secret_access_key /home/u",
            "rg -i 'api_key' ~",
            "rg ghp_ /",
            "find ~ -name '*.pem'",
            "find / -name id_rsa",
            "find ~ -iname '*credential*'",
        ] {
            let (t, pat) = tier(cmd, "/home/u/proj");
            assert_eq!(t, High, "{cmd}");
            assert_eq!(pat, None, "{cmd}");
        }
        assert_eq!(tier("rg TOKEN", "/home/u").0, High);
    }

    #[test]
    fn project_searches_stay_low() {
        for cmd in [
            "grep -r TOKEN src",
            "rg password",
            "grep TOKEN ~/notes.txt",
            "find . -name '*.rs'",
            "grep -rn fn ~/proj",
            "rg -i todo ~",
        ] {
            assert_eq!(tier(cmd, "/home/u/proj").0, Low, "{cmd}");
        }
    }

    #[test]
    fn encoders_and_copiers_of_a_secret_read_it() {
        for cmd in [
            "base64 ~/.aws/credentials",
            "xxd ~/.config/gh/hosts.yml",
            "od -c ~/.zsh_history",
            "hexdump -C ~/.claude/.credentials.json",
            "gzip -c ~/.netrc",
            "gzip -c < ~/.netrc",
            "tar czf /tmp/x.tgz ~/.cargo/credentials.toml",
            "zip -r /tmp/x.zip ~/.aws",
            "zip /tmp/x.zip ~/.docker/config.json",
            "cp ~/.huggingface/token /tmp/t",
            "rsync ~/.kube/config /tmp/k",
            "openssl enc -aes256 -in ~/.terraform.d/credentials.tfrc.json -out x",
            "cat /proc/self/environ",
            "strings /proc/1/environ",
            "cat ~/.local/share/fish/fish_history",
            "cat ~/.gemini/oauth_creds.json",
            "cat ~/.config/github-copilot/apps.json",
        ] {
            let (t, pat) = tier(cmd, "/home/u/proj");
            assert!(t >= High, "{cmd}: {t}");
            assert_eq!(pat, None, "{cmd}");
        }
    }
}
