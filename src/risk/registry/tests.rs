//! The registry's invariants: one owner per program name, every declared name judged by its
//! owner, no family judging a name it does not declare.

use super::*;
use crate::risk::Assessment;

/// A rater that looks for no nested command (claims do not depend on them).
struct NoNesting;

impl Rater for NoNesting {
    fn searches_nested(&self) -> bool {
        false
    }

    fn rate(&self, line: &str, _ctx: &Context) -> Assessment {
        crate::risk::budget::too_complex(line)
    }
}

/// Argument lists that make every family claim the programs it judges, including those it
/// judges only in some forms (`gio trash`, `sed -i`, `mysqladmin drop`, `sysctl -w`,
/// `ip route add`, `mount DEV DIR`).
const ARGSETS: &[&str] = &[
    "",
    "trash",
    "-i f",
    "drop",
    "x=1",
    "add x",
    "a b c",
    "-w a=b",
    "host:path x",
    "publish",
    "--help",
    "create",
    "-L",
    "-c 'x'",
    "-e x",
    "list",
    "-delete",
];

/// Examples of names each declaration covers: the names, the versioned names with a
/// version, the prefixes with a suffix.
fn examples(p: &Programs) -> Vec<String> {
    let mut v: Vec<String> = p.names.iter().map(|n| n.to_string()).collect();
    for n in p.versioned {
        v.push(n.to_string());
        v.push(format!("{n}3"));
        v.push(format!("{n}3.11"));
    }
    for pre in p.prefixes {
        v.push(pre.to_string());
        v.push(format!("{pre}.ext4"));
    }
    v
}

/// Every family whose declaration covers `name`.
fn owners_in(families: &[(Family, &Programs)], name: &str) -> Vec<Family> {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    families
        .iter()
        .filter(|(_, p)| {
            p.names.contains(&name)
                || p.versioned.contains(&name)
                || (!stem.is_empty() && p.versioned.contains(&stem))
                || p.prefixes.iter().any(|pre| name.starts_with(pre))
        })
        .map(|(f, _)| *f)
        .collect()
}

/// The names (declared or covered) that more than one declaration claims.
fn second_owners(families: &[(Family, &Programs)]) -> Vec<(String, Vec<Family>)> {
    let mut out = Vec::new();
    for (_, p) in families {
        for name in examples(p) {
            let owners = owners_in(families, &name);
            if owners.len() > 1 && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, owners));
            }
        }
    }
    out
}

#[test]
fn no_program_name_has_a_second_owner() {
    assert_eq!(second_owners(&FAMILIES), Vec::new());
    // The table is strictly sorted: no name twice, and binary search finds every one.
    for pair in TABLE.windows(2) {
        if let [a, b] = pair {
            assert!(a.name < b.name, "{} before {}", a.name, b.name);
        }
    }
    assert_eq!(TABLE.len(), table_len());
    for (family, p) in FAMILIES {
        for name in examples(p) {
            assert_eq!(owner(&name), Some(family), "{name}");
        }
    }
}

#[test]
fn the_second_owner_check_finds_a_name_declared_twice() {
    let fs = Programs {
        names: &["cp", "rsync"],
        versioned: &[],
        prefixes: &["mkfs"],
        value_options: &[],
    };
    let net = Programs {
        names: &["rsync", "mkfs.x"],
        versioned: &["bun"],
        prefixes: &[],
        value_options: &[],
    };
    let code = Programs {
        names: &[],
        versioned: &["bun"],
        prefixes: &[],
        value_options: &[],
    };
    let found = second_owners(&[
        (Family::Fs, &fs),
        (Family::Net, &net),
        (Family::Code, &code),
    ]);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["rsync", "mkfs.x", "bun", "bun3", "bun3.11"]);
}

#[test]
fn owners_by_name_version_and_prefix() {
    assert_eq!(owner("git"), Some(Family::Git));
    assert_eq!(owner("python3.11"), Some(Family::Code));
    assert_eq!(owner("node18"), Some(Family::Code));
    assert_eq!(owner("mkfs.ext4"), Some(Family::Fs));
    assert_eq!(owner("rsync"), Some(Family::Net));
    assert_eq!(owner("bun"), Some(Family::Code));
    assert_eq!(owner("deno"), Some(Family::Code));
    assert_eq!(owner("drop"), Some(Family::Data));
    assert_eq!(owner("truncate"), Some(Family::Fs));
    // Only the declared versioned names take a version; nothing else is owned.
    assert_eq!(owner("git2"), None);
    assert_eq!(owner("ls"), None);
    assert_eq!(owner("3"), None);
    assert_eq!(owner(""), None);
}

/// The families among `families` that claim `name` run with `args`.
fn claimants(families: &[Family], name: &str, args: &str) -> Vec<Family> {
    let parsed = crate::shell::parse(&format!("{name} {args}"));
    let Some(cmd) = parsed.commands.first() else {
        return Vec::new();
    };
    let ctx = Context::default();
    families
        .iter()
        .filter(|f| {
            let inv = Invocation::new(cmd, name, value_options(Some(**f)));
            judge_by(**f, &inv, &ctx, &mut Judge::default(), &NoNesting)
        })
        .copied()
        .collect()
}

#[test]
fn every_declared_name_is_judged_by_its_family() {
    for (family, p) in FAMILIES {
        for name in examples(p) {
            assert!(
                ARGSETS
                    .iter()
                    .any(|a| !claimants(&[family], &name, a).is_empty()),
                "{family:?} declares {name} but never judges it"
            );
        }
    }
}

/// The string literals of a Rust source that could be program names.
fn literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while b.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            // Character literals ('"', '\'', '\\'); a lifetime's quote is skipped alone.
            b'\'' if b.get(i + 1) == Some(&b'\\') => i += 4,
            b'\'' if b.get(i + 2) == Some(&b'\'') => i += 3,
            b'"' => {
                let start = i + 1;
                i += 1;
                while let Some(&c) = b.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b'"' {
                        break;
                    }
                    i += 1;
                }
                let s = src.get(start..i).unwrap_or("");
                if !s.is_empty()
                    && s.len() <= 24
                    && s.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || b"._+-[:".contains(&c)
                    })
                {
                    out.push(s.to_string());
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[test]
fn no_family_judges_a_name_it_does_not_declare() {
    let sources = [
        include_str!("../rules_fs.rs"),
        include_str!("../rules_git.rs"),
        include_str!("../rules_net.rs"),
        include_str!("../code.rs"),
        include_str!("../rules_data.rs"),
        include_str!("../rules_cloud.rs"),
        include_str!("../rules_pkg.rs"),
        include_str!("../rules_sys.rs"),
        include_str!("../readonly.rs"),
        include_str!("../../shell/shells.rs"),
    ];
    let mut names: Vec<String> = sources.iter().flat_map(|s| literals(s)).collect();
    names.extend(["python3.11", "node18", "mkfs.ext4", "bun1", "perl5"].map(String::from));
    names.sort();
    names.dedup();
    // The scan finds the names of every family (it is not silently empty).
    for n in [
        "rm", "git", "curl", "python", "fish", "psql", "kubectl", "npm", "kill", "ls",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} not found in the sources");
    }
    let families = FAMILIES.map(|(f, _)| f);
    for name in &names {
        let own = owner(name);
        let others: Vec<Family> = families.into_iter().filter(|f| Some(*f) != own).collect();
        for a in ARGSETS {
            let wrong = claimants(&others, name, a);
            assert!(
                wrong.is_empty(),
                "{wrong:?} judge `{name} {a}` but the registry gives {name} to {own:?}"
            );
        }
    }
}

// The arms the ordered chain shadowed, now reached through their one owner.

fn rate(cmd: &str) -> crate::request::Risk {
    let ctx = Context {
        cwd: "/home/u/proj".into(),
        project: "/home/u/proj".into(),
        home: "/home/u".into(),
        ..Context::default()
    };
    crate::risk::assess("shell", "execute", cmd, &ctx).risk
}

#[test]
fn bun_and_deno_publish_like_npm() {
    use crate::request::RiskTier::{High, Medium};
    let npm = rate("npm publish");
    assert_eq!(npm.tier, High);
    for cmd in [
        "bun publish",
        "deno publish",
        "bun publish --access public",
        "deno publish --allow-dirty",
    ] {
        let r = rate(cmd);
        assert_eq!(r.tier, npm.tier, "{cmd}: {:?}", r.factors);
        assert!(r.factors.iter().any(|f| f == "publish"), "{cmd}");
    }
    // A dry run publishes nothing, as `npm publish --dry-run`.
    assert_eq!(rate("npm publish --dry-run").tier, Medium);
    assert_eq!(rate("bun publish --dry-run").tier, Medium);
    assert_eq!(rate("deno publish --dry-run").tier, Medium);
    // The interpreter rules still judge their code and scripts.
    assert_eq!(rate("bun run build").tier, Medium);
    assert_eq!(rate("deno run main.ts").tier, Medium);
    assert_eq!(rate("bun --version").tier, crate::request::RiskTier::Low);
    assert!(rate("bun -e \"require('fs').rmSync('/etc', {recursive: true})\"").tier >= High);
}

#[test]
fn sql_truncate_typed_as_a_command_is_sql() {
    use crate::request::RiskTier::{High, Medium};
    let drop = rate("DROP TABLE users;");
    assert_eq!(drop.tier, High);
    for cmd in [
        "TRUNCATE TABLE users;",
        "TRUNCATE users;",
        "truncate table orders",
    ] {
        let r = rate(cmd);
        assert_eq!(r.tier, High, "{cmd}: {:?}", r.factors);
        assert!(r.factors.iter().any(|f| f == "sql_truncate"), "{cmd}");
    }
    // coreutils truncate is still a file operation.
    let r = rate("truncate -s 0 build.log");
    assert_eq!(r.tier, Medium);
    assert!(r.factors.iter().any(|f| f == "truncate"));
}
