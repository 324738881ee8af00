//! An [`Invocation`]: one simple command taken apart once, where the registry dispatches it,
//! and handed to every family's judge, so that families read options, their values and the
//! positional words instead of scanning argv for flags again.
//!
//! Which options take a separate value is data: each family declares it for its programs
//! ([`super::judge::Programs::value_options`]); [`COMMON_VALUE_OPTIONS`] is the list the cloud,
//! package, database and system families share today.

use crate::shell::{SimpleCommand, Word};
use std::cell::OnceCell;

/// Options of cloud, cluster, infrastructure, package, database and system CLIs that take a
/// separate value (`-n prod`, `--region eu-west-1`): the word after them is not positional.
pub(super) const COMMON_VALUE_OPTIONS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--cluster",
    "-o",
    "--output",
    "-l",
    "--selector",
    "--kubeconfig",
    "-c",
    "--container",
    "--region",
    "--profile",
    "--query",
    "--endpoint-url",
    "--subscription",
    "-g",
    "--resource-group",
    "--name",
    "--format",
    "--project",
    "--zone",
    "--filter",
    "--account",
    "--configuration",
    "-s",
    "--server",
    "--token",
    "--user",
    "--as",
    "-f",
    "--filename",
    "--kube-context",
    "--values",
    "--set",
    "--version",
    "--app",
    "-a",
    "--var",
    "-var",
    "--var-file",
    "-var-file",
    "--cli-input-json",
    "--instance-ids",
    "--bucket",
    "--key",
    "--names",
    "--resource-type",
    "--hostname",
    "--secret",
    "--repo",
    "-r",
    "--limit",
    "--label",
    "--location",
    "--image",
    "--type",
    "--tag",
    "-t",
    "--workdir",
    "-w",
    "-e",
    "--env",
    "-u",
    "--network",
    "-v",
    "--volume",
    "--mount",
    "-p",
    "--publish",
    "--entrypoint",
    "--netns",
    "-netns",
    "--file",
    "--env-file",
    "--platform",
    "--target",
];

/// The positional words of `words` (lower case): words that are not options nor the value
/// of an option listed in `value_options`.
pub(super) fn positionals<'w>(words: &'w [String], value_options: &[&str]) -> Vec<&'w str> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        if w.starts_with('-') {
            i += if value_options.contains(&w.as_str()) {
                2
            } else {
                1
            };
            continue;
        }
        out.push(w.as_str());
        i += 1;
    }
    out
}

/// One option as written: its name (lower case, without an `=value` suffix) and its value,
/// from `--name=value` or, for an option the spec says takes one, from the next word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opt<'a> {
    /// `-o`, `--output`.
    pub name: &'a str,
    /// The value, lower case, if any.
    pub value: Option<&'a str>,
    /// True when the value was written in the option's word (`--output=json`), false when
    /// it is the next word or absent.
    pub inline: bool,
}

/// The words of one simple command, taken apart by its program's spec.
#[derive(Debug)]
struct Parts {
    /// The arguments after the program, lower case.
    words: Vec<String>,
    /// Indices into `words` of the positional words (not options, not option values).
    positional: Vec<usize>,
    /// (index of the option word, index of its separate value word).
    options: Vec<(usize, Option<usize>)>,
}

/// A simple command as the program rules read it: program, subcommand path, options with
/// their values, positional words, environment assignments and redirections. The word lists
/// are built on first use and at most once.
#[derive(Debug)]
pub(crate) struct Invocation<'a> {
    /// The parsed command.
    pub cmd: &'a SimpleCommand,
    /// The resolved program name (base name, lower case).
    pub program: &'a str,
    /// The options of this program that take a separate value.
    value_options: &'static [&'static str],
    parts: OnceCell<Parts>,
}

impl<'a> Invocation<'a> {
    /// An invocation of `program` whose options listed in `value_options` take a value.
    pub fn new(
        cmd: &'a SimpleCommand,
        program: &'a str,
        value_options: &'static [&'static str],
    ) -> Self {
        Invocation {
            cmd,
            program,
            value_options,
            parts: OnceCell::new(),
        }
    }

    fn parts(&self) -> &Parts {
        self.parts.get_or_init(|| {
            let words: Vec<String> = self
                .cmd
                .args()
                .iter()
                .map(|w| w.text.to_ascii_lowercase())
                .collect();
            let mut positional = Vec::new();
            let mut options = Vec::new();
            let mut i = 0;
            while let Some(w) = words.get(i) {
                if w.starts_with('-') {
                    if self.value_options.contains(&w.as_str()) {
                        options.push((i, (i + 1 < words.len()).then_some(i + 1)));
                        i += 2;
                    } else {
                        options.push((i, None));
                        i += 1;
                    }
                    continue;
                }
                positional.push(i);
                i += 1;
            }
            Parts {
                words,
                positional,
                options,
            }
        })
    }

    /// The arguments after the program, lower case.
    pub fn words(&self) -> &[String] {
        &self.parts().words
    }

    /// The arguments after the program as written.
    pub fn args(&self) -> &'a [Word] {
        self.cmd.args()
    }

    /// True when an argument equals `word` (lower case).
    pub fn has(&self, word: &str) -> bool {
        self.words().iter().any(|w| w == word)
    }

    /// The positional words (lower case): neither options nor the values of options that
    /// take one.
    pub fn positionals(&self) -> Vec<&str> {
        let p = self.parts();
        p.positional
            .iter()
            .filter_map(|&i| p.words.get(i).map(String::as_str))
            .collect()
    }

    /// The first positional word (the subcommand of most CLIs), or "".
    pub fn first(&self) -> &str {
        let p = self.parts();
        p.positional
            .first()
            .and_then(|&i| p.words.get(i))
            .map_or("", String::as_str)
    }

    /// The subcommand path: the first `depth` positional words (`config set-credentials`).
    pub fn subcommand_path(&self, depth: usize) -> Vec<&str> {
        let mut v = self.positionals();
        v.truncate(depth);
        v
    }

    /// The options in order, with their values.
    pub fn options(&self) -> Vec<Opt<'_>> {
        let p = self.parts();
        p.options
            .iter()
            .filter_map(|&(i, v)| {
                let w = p.words.get(i)?;
                let (name, inline) = match w.split_once('=') {
                    Some((n, v)) if w.starts_with("--") => (n, Some(v)),
                    _ => (w.as_str(), None),
                };
                Some(Opt {
                    name,
                    inline: inline.is_some(),
                    value: inline.or_else(|| v.and_then(|k| p.words.get(k).map(String::as_str))),
                })
            })
            .collect()
    }

    /// The values written as the word after an option named one of `names` (`-o json`;
    /// not `--output=json`).
    pub fn separate_values(&self, names: &[&str]) -> Vec<&str> {
        self.options()
            .into_iter()
            .filter(|o| !o.inline && names.contains(&o.name))
            .filter_map(|o| o.value)
            .collect()
    }

    /// The `NAME=value` assignments written before the command.
    pub fn env(&self) -> &'a [(String, Word)] {
        &self.cmd.assignments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(line: &str, opts: &'static [&'static str], f: impl FnOnce(&Invocation) -> T) -> T {
        let parsed = crate::shell::parse(line);
        let cmd = parsed.commands.first().cloned().unwrap_or_default();
        let prog = cmd.program();
        f(&Invocation::new(&cmd, &prog, opts))
    }

    #[test]
    fn options_that_take_a_value_hide_it_from_the_positionals() {
        with(
            "kubectl -n Prod get secret db -o json --context=stage",
            COMMON_VALUE_OPTIONS,
            |inv| {
                assert_eq!(inv.program, "kubectl");
                assert_eq!(inv.positionals(), ["get", "secret", "db"]);
                assert_eq!(inv.first(), "get");
                assert_eq!(inv.subcommand_path(2), ["get", "secret"]);
                assert_eq!(inv.separate_values(&["-n", "--namespace"]), ["prod"]);
                assert_eq!(inv.separate_values(&["-o", "--output"]), ["json"]);
                assert!(inv.separate_values(&["--context"]).is_empty());
                let ctx = inv.options().into_iter().find(|o| o.name == "--context");
                assert_eq!(ctx.as_ref().and_then(|o| o.value), Some("stage"));
                assert!(ctx.is_some_and(|o| o.inline));
                assert!(inv.has("-o") && !inv.has("prod-x"));
            },
        );
        // Without a spec every word that is not an option is positional.
        with("kubectl -n prod get pods", &[], |inv| {
            assert_eq!(inv.positionals(), ["prod", "get", "pods"]);
            assert!(inv.separate_values(&["-n"]).is_empty());
        });
    }

    #[test]
    fn env_comes_from_the_command() {
        with("FOO=1 aws s3 ls > out.txt", COMMON_VALUE_OPTIONS, |inv| {
            assert_eq!(inv.env().first().map(|(n, _)| n.as_str()), Some("FOO"));
            assert_eq!(inv.args().len(), 2);
        });
        with("aws", &[], |inv| {
            assert_eq!(inv.first(), "");
            assert!(inv.options().is_empty() && inv.words().is_empty());
        });
    }

    #[test]
    fn a_value_option_at_the_end_has_no_value() {
        with("helm install x --set", COMMON_VALUE_OPTIONS, |inv| {
            assert_eq!(inv.positionals(), ["install", "x"]);
            let set = Opt {
                name: "--set",
                value: None,
                inline: false,
            };
            assert_eq!(inv.options(), [set]);
        });
    }
}
