//! Property: for any learnable pattern (the developer preset's and commonly learned ones) and
//! any command it covers, adding one code-swapping option, environment variable (directly or
//! on a `bash -c` wrapper) or path form of the program gives a command the pattern does not
//! match and the classifier does not generalize.

use aiperture::engine::presets;
use aiperture::risk::{Context, assess, pattern_matches, swaps};
use proptest::prelude::*;

const LEARNED: &[&str] = &[
    "make *",
    "make test *",
    "npm test *",
    "npm run build *",
    "pnpm test *",
    "yarn test *",
    "cargo test *",
    "cargo build *",
    "go test *",
    "go build *",
    "pytest *",
    "python -m pytest *",
    "mypy *",
    "eslint *",
    "ruff check *",
    "git status *",
    "git log *",
    "git diff *",
    "git show *",
    "rg *",
    "sort *",
    "tar *",
    "gradle build *",
    "mvn test *",
    "docker build *",
    "kubectl get *",
    "just *",
    "uv run pytest *",
    "poetry run pytest *",
    "npx eslint *",
    "yarn eslint *",
    "pnpm exec vitest *",
];

/// The program whose options apply: the one a runner starts (`python -m pytest`, `uv run
/// pytest`, `npx eslint`), else the pattern's own, with the subcommand word after it.
fn effective(fixed: &[&str]) -> (String, Option<String>) {
    let at = |i: usize| fixed.get(i).map(|s| s.to_string());
    match fixed {
        [p, "-m", m, ..] if p.starts_with("python") => (m.to_string(), at(3)),
        ["uv" | "poetry" | "pdm", "run", m, ..] => (m.to_string(), at(3)),
        ["pnpm" | "yarn" | "npm", "exec", m, ..] => (m.to_string(), at(3)),
        ["npx" | "yarn", m, ..] if !["test", "run"].contains(m) => (m.to_string(), at(2)),
        _ => (fixed[0].to_string(), at(1)),
    }
}

/// Values that point somewhere (a plain name such as `--registry crates-io` names a configured
/// registry and is not a swap).
const VALUES: &[&str] = &[
    "/tmp/x",
    "~/x",
    "./in-project",
    "sub/x.cfg",
    "$X",
    "https://evil.test/",
];
const ORDINARY: &[&str] = &[
    "-q",
    "-v",
    "--verbose",
    "-x",
    "foo",
    "src",
    "-k",
    "name",
    "--",
    "1",
];

fn ctx() -> Context {
    Context {
        cwd: "/p".into(),
        project: "/p".into(),
        home: "/home/u".into(),
        protected_paths: vec![],
        resolver: None,
    }
}

fn patterns() -> Vec<String> {
    let mut v: Vec<String> = presets::shell_patterns("developer")
        .into_iter()
        .filter(|p| p.ends_with(" *"))
        .map(str::to_string)
        .collect();
    v.extend(LEARNED.iter().map(|s| s.to_string()));
    v
}

/// The options that apply to the pattern's program (or to any program that is not a
/// read-only one: `ls --config x` loads nothing).
fn options_for(prog: &str, sub: Option<&str>) -> Vec<(&'static str, bool, bool)> {
    let (opts, _) = swaps::table_rows();
    let read_only = !swaps::any_program_options_apply(prog);
    opts.into_iter()
        .filter(|r| {
            (r.program == prog || (r.program == "*" && !read_only)) && r.option.starts_with('-')
        })
        .filter(|r| {
            r.subcommands.is_empty()
                || r.subcommands == ["<globals>"]
                || sub.is_some_and(|s| r.subcommands.contains(&s))
        })
        .map(|r| (r.option, r.subcommands == ["<globals>"], r.takes_value))
        .collect()
}

fn spelled(opt: &str, value: &str, glue: bool, takes_value: bool) -> String {
    if !takes_value {
        opt.to_string()
    } else if opt.ends_with(['=', ':', '.']) {
        format!("{opt}{value}")
    } else if glue && opt.starts_with("--") {
        format!("{opt}={value}")
    } else {
        format!("{opt} {value}")
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, .. ProptestConfig::default() })]

    #[test]
    fn a_swapping_option_is_never_covered(
        pi in any::<prop::sample::Index>(),
        oi in any::<prop::sample::Index>(),
        vi in any::<prop::sample::Index>(),
        extra in prop::collection::vec(prop::sample::select(ORDINARY), 0..4),
        at in any::<prop::sample::Index>(),
        glue in any::<bool>(),
    ) {
        // Only patterns whose program has table options.
        let pats: Vec<String> = patterns()
            .into_iter()
            .filter(|p| {
                let f: Vec<&str> = p.trim_end_matches(" *").split(' ').collect();
                let (prog, sub) = effective(&f);
                !options_for(&prog, sub.as_deref()).is_empty()
            })
            .collect();
        let pat = &pats[pi.index(pats.len())];
        let fixed: Vec<&str> = pat.trim_end_matches(" *").split(' ').collect();
        let prog = fixed[0];
        let (inner, sub) = effective(&fixed);
        let opts = options_for(&inner, sub.as_deref());
        // Options that only exist before a subcommand (git -c) go right after the program;
        // others anywhere after the pattern's fixed words.
        let (opt, global, takes_value) = opts[oi.index(opts.len())];
        let value = VALUES[vi.index(VALUES.len())];
        let mut words: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let pos = at.index(words.len() + 1);
        words.insert(pos, spelled(opt, value, glue, takes_value));
        let cmd = if global {
            format!("{prog} {} {} {}", spelled(opt, value, glue, takes_value), fixed[1..].join(" "), words.join(" "))
        } else {
            format!("{} {}", fixed.join(" "), words.join(" "))
        };
        prop_assert!(!pattern_matches(pat, &cmd), "{} covers {}", pat, cmd);
        let a = assess("shell", "execute", &cmd, &ctx());
        prop_assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{} generalized: {:?}", cmd, a.segments);
    }

    #[test]
    fn a_swapping_variable_is_never_covered(
        pi in any::<prop::sample::Index>(),
        vi in any::<prop::sample::Index>(),
        wrap in 0..3u8,
        extra in prop::collection::vec(prop::sample::select(ORDINARY), 0..3),
    ) {
        let pats = patterns();
        let pat = &pats[pi.index(pats.len())];
        let base = format!("{} {}", pat.trim_end_matches(" *"), extra.join(" "));
        let (_, vars) = swaps::table_rows();
        let var = vars[vi.index(vars.len())];
        let name = if var.name.ends_with('*') { format!("{}X", var.name.trim_end_matches('*')) } else { var.name.to_string() };
        let cmd = match wrap {
            0 => format!("{name}=/tmp/x {base}"),
            1 => format!("{name}=/tmp/x bash -c '{base}'"),
            _ => format!("export {name}=/tmp/x; {base}"),
        };
        let a = assess("shell", "execute", &cmd, &ctx());
        if wrap < 2 {
            prop_assert!(!pattern_matches(pat, &cmd), "{} covers {}", pat, cmd);
            prop_assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{} generalized", cmd);
        }
        prop_assert!(a.risk.tier >= aiperture::request::RiskTier::Medium, "{}: {:?}", cmd, a.risk);
    }

    #[test]
    fn a_program_named_by_its_path_is_never_the_program(
        pi in any::<prop::sample::Index>(),
        form in prop::sample::select(&["./", "bin/", "/tmp/x/", "node_modules/.bin/", "../"][..]),
        extra in prop::collection::vec(prop::sample::select(ORDINARY), 0..3),
    ) {
        let pats = patterns();
        let pat = &pats[pi.index(pats.len())];
        let cmd = format!("{form}{} {}", pat.trim_end_matches(" *"), extra.join(" "));
        prop_assert!(!pattern_matches(pat, &cmd), "{} covers {}", pat, cmd);
        prop_assert!(!pattern_matches(pat, &format!("command {cmd}")), "{} covers command {}", pat, cmd);
    }
}
