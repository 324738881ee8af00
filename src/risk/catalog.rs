//! The long tail of rules as data: each row names a rule's factor and tier, the static
//! tables it matches on (the same constants the rule code reads, so the row cannot drift from
//! them), and examples that must rate as declared. A test rates every example and fails on
//! any that rates otherwise; another regenerates `docs/risk-rules.md` from the rows and fails
//! when the committed file differs.
//!
//! Adding a rule of this kind: add its words to the table it matches on (or a new table the
//! rule code reads), then a row here with at least one example at the rule's tier and,
//! where there is one, an example of what the rule leaves alone.

use super::grammar::table;
use super::{abuse, readonly, rules_secrets};
use crate::request::RiskTier;

/// A static table a rule matches on, as the rule code reads it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Table {
    /// Single words.
    Words(&'static [&'static str]),
    /// Word pairs (the second empty when the first is enough).
    Pairs(&'static [(&'static str, &'static str)]),
    /// A key and the words that go with it.
    Lists(&'static [(&'static str, &'static [&'static str])]),
}

/// A command, the tier it must rate at, and whether the rule's factor must be among its
/// factors (the rule fires) or absent (what the rule leaves alone).
#[derive(Debug, Clone, Copy)]
pub(super) struct Example {
    /// The shell command.
    pub command: &'static str,
    /// The tier it rates at.
    pub tier: RiskTier,
    /// True when the rule's factor is among the command's factors.
    pub fires: bool,
}

/// One rule as data.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    /// The factor the rule raises.
    pub factor: &'static str,
    /// The tier it raises.
    pub tier: RiskTier,
    /// What it finds, in one line.
    pub summary: &'static str,
    /// The tables it matches on: (where, the table).
    pub tables: &'static [(&'static str, Table)],
    /// Commands and the tiers they must rate at.
    pub examples: &'static [Example],
}

/// An example the rule fires on.
const fn ex(command: &'static str, tier: RiskTier) -> Example {
    Example {
        command,
        tier,
        fires: true,
    }
}

/// An example the rule leaves alone.
const fn not(command: &'static str, tier: RiskTier) -> Example {
    Example {
        command,
        tier,
        fires: false,
    }
}

use RiskTier::{Critical, High, Low, Medium};

/// Every rule kept as data, in the order the docs list them.
pub(super) const RULES: &[Rule] = &[
    Rule {
        factor: "read_only",
        tier: Low,
        summary: "A program that only reads, when no other rule applies to the command.",
        tables: &[("readonly::READ_ONLY", Table::Words(readonly::READ_ONLY))],
        examples: &[
            ex("ls -la", Low),
            ex("wc -l src/main.rs", Low),
            ex("cat README.md", Low),
        ],
    },
    Rule {
        factor: "database_reset",
        tier: High,
        summary: "A framework or datastore command that drops, flushes or rebuilds a database, \
                  on any program (a word of the first table, or the words of a pair in order).",
        tables: &[
            ("abuse::RESET_WORDS", Table::Words(abuse::RESET_WORDS)),
            ("abuse::RESET_PAIRS", Table::Pairs(abuse::RESET_PAIRS)),
        ],
        examples: &[
            ex("rails db:drop", High),
            ex("php artisan migrate:fresh", High),
            ex("python manage.py flush", High),
            not("rails db:migrate", Medium),
        ],
    },
    Rule {
        factor: "cloud_privilege",
        tier: High,
        summary: "A cloud CLI (first table) subcommand that grants privilege, opens access or \
                  schedules the loss of a key (second table); reading subcommands are left alone.",
        tables: &[
            ("abuse::CLOUD_CLIS", Table::Words(abuse::CLOUD_CLIS)),
            (
                "abuse::PRIVILEGE_VERBS",
                Table::Words(abuse::PRIVILEGE_VERBS),
            ),
        ],
        examples: &[
            ex(
                "aws iam attach-user-policy --user-name bob --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess",
                High,
            ),
            ex(
                "gcloud projects add-iam-policy-binding demo --member user:a@b.c --role roles/viewer",
                High,
            ),
            not("aws iam list-attached-user-policies --user-name bob", Low),
        ],
    },
    Rule {
        factor: "cloud_exposure",
        tier: High,
        summary: "A changing cloud CLI subcommand whose option value opens a resource to the \
                  whole internet or grants an all-powerful role.",
        tables: &[("abuse::OPEN_VALUES", Table::Words(abuse::OPEN_VALUES))],
        examples: &[
            ex(
                "az storage container create --name web --public-access blob",
                High,
            ),
            ex("gsutil acl ch -u AllUsers:R gs://site-assets", High),
        ],
    },
    Rule {
        factor: "credential_harvest",
        tier: High,
        summary: "Dumps a platform's configuration (first table) or filters an environment \
                  dump for secret words (second table); also cloud keys and git's credential helper.",
        tables: &[
            ("abuse::CONFIG_DUMPS", Table::Lists(abuse::CONFIG_DUMPS)),
            ("abuse::SECRET_FILTERS", Table::Words(abuse::SECRET_FILTERS)),
        ],
        examples: &[
            ex("heroku config -a shop", High),
            ex("printenv | grep -i token", High),
            ex("aws configure export-credentials", High),
        ],
    },
    Rule {
        factor: "defence_evasion",
        tier: High,
        summary: "Switches shell history or TLS verification off (variables of the first table), \
                  runs a coding agent with its permission checks off (second), or changes a \
                  package manager's TLS settings (third); also journals, services, firewalls.",
        tables: &[
            ("abuse::EVASION_VARS", Table::Lists(abuse::EVASION_VARS)),
            (
                "abuse::AGENT_SKIP_FLAGS",
                Table::Words(abuse::AGENT_SKIP_FLAGS),
            ),
            ("abuse::CONFIG_KEYS", Table::Words(abuse::CONFIG_KEYS)),
        ],
        examples: &[
            ex("export HISTFILE=/dev/null", High),
            ex("claude --dangerously-skip-permissions", High),
            ex("npm config set strict-ssl false", High),
            not("npm config get strict-ssl", Medium),
        ],
    },
    Rule {
        factor: "supply_chain",
        tier: High,
        summary: "A package manager (table) installing from a plain-HTTP or raw-IP source, \
                  straight from a URL, or switched to another registry host.",
        tables: &[(
            "abuse::PACKAGE_MANAGERS",
            Table::Words(abuse::PACKAGE_MANAGERS),
        )],
        examples: &[
            ex("pip install http://10.0.0.5/pkg.tar.gz", High),
            ex("npm config set registry https://npm.example.net", High),
        ],
    },
    Rule {
        factor: "disk_write",
        tier: Critical,
        summary: "A tool of the table writing over a raw disk device (`dd` is judged by the \
                  disk rules).",
        tables: &[("abuse::DEVICE_WRITERS", Table::Words(abuse::DEVICE_WRITERS))],
        examples: &[
            ex("cp image.iso /dev/sdb", Critical),
            ex("tar -cf /dev/nvme0n1 .", Critical),
        ],
    },
    Rule {
        factor: "resource_exhaustion",
        tier: Critical,
        summary: "Inline code of an interpreter of the table that forks in a loop (CRITICAL), \
                  spins forever or allocates a huge block (HIGH); `fallocate` of 10 GiB or more.",
        tables: &[("abuse::INTERPRETERS", Table::Words(abuse::INTERPRETERS))],
        examples: &[
            ex("python3 -c 'import os\nwhile True: os.fork()'", Critical),
            ex("fallocate -l 50G /tmp/fill", High),
        ],
    },
    Rule {
        factor: "secret_search",
        tier: High,
        summary: "A recursive search over the home directory for words that name credentials; \
                  the options of the table take the search pattern as their value.",
        tables: &[(
            "rules_secrets::PATTERN_OPTIONS",
            Table::Words(rules_secrets::PATTERN_OPTIONS),
        )],
        examples: &[
            ex("grep -r -e password ~", High),
            not("grep -r -e password src", Low),
        ],
    },
    Rule {
        factor: "destructive_subcommand",
        tier: High,
        summary: "The word grammar, for programs no family owns: a subcommand word that names \
                  irreversible destruction (CRITICAL with a confirmation-skipping flag and a \
                  production or all-embracing target).",
        tables: &[(
            "grammar::table::HARD_VERBS",
            Table::Words(table::HARD_VERBS),
        )],
        examples: &[
            ex("fooctl delete cluster blue", High),
            ex("fooctl destroy --force --all", Critical),
            not("fooctl list clusters", Low),
        ],
    },
    Rule {
        factor: "public_tunnel",
        tier: High,
        summary: "A tunnel program of the table publishing a local port on the internet; its \
                  listed reading subcommands are left alone.",
        tables: &[("grammar::table::TUNNELS", Table::Lists(table::TUNNELS))],
        examples: &[ex("ngrok http 3000", High), not("ngrok version", Low)],
    },
    Rule {
        factor: "serves_root",
        tier: High,
        summary: "A file server of the table serving `/` or the home directory over HTTP.",
        tables: &[(
            "grammar::table::FILE_SERVERS",
            Table::Words(table::FILE_SERVERS),
        )],
        examples: &[ex("python3 -m http.server -d ~ 8000", High)],
    },
    Rule {
        factor: "protection_off",
        tier: High,
        summary: "A server started with authentication or protection switched off by an \
                  option of the table.",
        tables: &[(
            "grammar::table::AUTH_OFF_FLAGS",
            Table::Words(table::AUTH_OFF_FLAGS),
        )],
        examples: &[ex("fooserve --no-auth --port 8080", High)],
    },
];

fn tier_name(t: RiskTier) -> &'static str {
    match t {
        Low => "LOW",
        Medium => "MEDIUM",
        High => "HIGH",
        Critical => "CRITICAL",
    }
}

fn code_list<'a>(words: impl Iterator<Item = String> + 'a) -> String {
    let v: Vec<String> = words.map(|w| format!("`{w}`")).collect();
    v.join(", ")
}

/// The Markdown of `docs/risk-rules.md`, generated from [`RULES`].
pub(super) fn markdown() -> String {
    let mut out = String::from(
        "# Risk rules kept as data\n\n\
         <!-- Generated from src/risk/catalog.rs; do not edit. Regenerate with\n     \
         AIPERTURE_WRITE_DOCS=1 cargo test --lib risk::catalog -->\n\n\
         Each rule below raises its factor at its tier when a command matches its tables. \
         Every example is rated by the test suite and must rate as listed, with the rule's \
         factor among the command's factors when the rule fires and absent when it does not. \
         How to add a rule: [risk.md](risk.md#adding-a-rule).\n\n\
         | factor | tier | what it finds |\n|---|---|---|\n",
    );
    for r in RULES {
        out.push_str(&format!(
            "| [`{f}`](#{f}) | {} | {} |\n",
            tier_name(r.tier),
            r.summary,
            f = r.factor
        ));
    }
    for r in RULES {
        out.push_str(&format!(
            "\n## {}\n\n{} Tier: {}.\n\n",
            r.factor,
            r.summary,
            tier_name(r.tier)
        ));
        for (name, table) in r.tables {
            let words = match table {
                Table::Words(w) => code_list(w.iter().map(|w| w.to_string())),
                Table::Pairs(p) => code_list(p.iter().map(|(a, b)| {
                    if b.is_empty() {
                        a.to_string()
                    } else {
                        format!("{a} … {b}")
                    }
                })),
                Table::Lists(l) => code_list(l.iter().map(|(k, v)| {
                    let v: Vec<&str> = v
                        .iter()
                        .map(|s| if s.is_empty() { "(empty)" } else { s })
                        .collect();
                    format!("{k}: {}", v.join(" | "))
                })),
            };
            out.push_str(&format!("- `{name}`: {words}\n"));
        }
        out.push_str("\n| example | rates | rule fires |\n|---|---|---|\n");
        for e in r.examples {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                e.command.replace('\n', "\\n").replace('|', "\\|"),
                tier_name(e.tier),
                if e.fires { "yes" } else { "no" }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{Context, assess};

    fn ctx() -> Context {
        Context {
            cwd: "/home/user/project".into(),
            project: "/home/user/project".into(),
            home: "/home/user".into(),
            protected_paths: vec![],
            resolver: None,
        }
    }

    #[test]
    fn every_example_rates_as_its_rule_declares() {
        let mut wrong = Vec::new();
        for r in RULES {
            assert!(
                r.examples.iter().any(|e| e.fires && e.tier == r.tier),
                "{} has no example at its tier",
                r.factor
            );
            for e in r.examples {
                let a = assess("shell", "execute", e.command, &ctx());
                let has = a.risk.factors.iter().any(|f| f == r.factor);
                if a.risk.tier != e.tier || has != e.fires {
                    wrong.push(format!(
                        "{}: `{}` declared {:?}, rates {:?} {:?}",
                        r.factor, e.command, e.tier, a.risk.tier, a.risk.factors
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn every_table_word_is_written_in_lower_case() {
        // The rules compare lower-cased words: an upper-case entry would never match.
        for r in RULES {
            for (name, t) in r.tables {
                let words: Vec<&str> = match t {
                    Table::Words(w) => w.to_vec(),
                    Table::Pairs(p) => p.iter().flat_map(|(a, b)| [*a, *b]).collect(),
                    Table::Lists(l) => l.iter().flat_map(|(_, v)| v.iter().copied()).collect(),
                };
                for w in words {
                    assert_eq!(w, w.to_ascii_lowercase(), "{name}");
                }
            }
        }
    }

    #[test]
    fn the_committed_docs_table_is_what_the_catalog_generates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/risk-rules.md");
        let want = markdown();
        if std::env::var_os("AIPERTURE_WRITE_DOCS").is_some() {
            assert!(
                std::fs::write(&path, &want).is_ok(),
                "cannot write {path:?}"
            );
            return;
        }
        let got = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "docs/risk-rules.md differs from what src/risk/catalog.rs generates; run \
             AIPERTURE_WRITE_DOCS=1 cargo test --lib risk::catalog"
        );
    }
}
