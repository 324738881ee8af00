//! The library's layers only point down (issue 22, docs/architecture.md "Layers"):
//! core types → shell → risk → realpath → audit → config → engine → store → report → runtimes →
//! server, and the binary (`src/cli/`, `src/main.rs`) on top. A module may use modules of lower layers
//! only; the core's few modules may use each other as long as no two use each other. A new
//! top-level module fails this test until it is given a layer here and in the document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and its layer (higher layers may use lower ones).
const LAYERS: &[(&str, u32)] = &[
    ("request", 0),
    ("callsite", 0),
    ("client_env", 0),
    ("request_id", 0),
    ("identity", 0),
    ("clock", 0),
    ("error", 0),
    ("paths", 0),
    ("pathnorm", 0),
    ("atomic", 0),
    ("key", 0),
    ("warm", 0),
    ("shell", 1),
    ("risk", 2),
    ("realpath", 3),
    ("files", 4),
    ("audit", 4),
    ("config", 5),
    ("engine", 6),
    ("store", 7),
    ("admin_proof", 7),
    ("report", 8),
    ("views", 8),
    ("artifacts", 8),
    ("runtimes", 9),
    ("hook_process", 10),
    ("server", 10),
];

/// Source text outside tests: files named `tests.rs` or under a `tests/` folder are skipped,
/// and a file's text stops at its `#[cfg(test)] mod tests`. Comment lines are dropped.
fn production_text(path: &Path) -> Option<String> {
    let p = path.to_string_lossy();
    if p.ends_with("/tests.rs") || p.contains("/tests/") {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    Some(
        text[..cut]
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The top-level modules a text names through `crate::<module>` (also inside `crate::{…}`).
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// Module → the modules it uses, for the library's top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(top.as_str(), "main" | "lib" | "cli" | "bin") {
            continue;
        }
        let Some(text) = production_text(&f) else {
            continue;
        };
        let entry = g.entry(top.clone()).or_default();
        for u in uses(&text) {
            if u != top {
                entry.insert(u);
            }
        }
    }
    g
}

#[test]
fn every_module_has_a_layer_and_uses_only_lower_layers() {
    let layer: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let g = graph();
    let mut wrong = Vec::new();
    for (module, used) in &g {
        let Some(&mine) = layer.get(module.as_str()) else {
            wrong.push(format!("src/{module} has no layer in tests/layering.rs"));
            continue;
        };
        for u in used {
            match layer.get(u.as_str()) {
                None => wrong.push(format!("{module} uses unknown module {u}")),
                Some(&theirs) if theirs > mine || (theirs == mine && mine != 0) => {
                    wrong.push(format!("{module} (layer {mine}) uses {u} (layer {theirs})"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_modules_use_each_other() {
    let g = graph();
    // Depth-first search for a cycle among the top-level modules.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for u in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(u, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_scanner_sees_uses_and_groups() {
    let t = "use crate::risk::{self, Context};\nuse crate::{audit, store::Db};\nfn f() { crate::engine::x(); }";
    let got: Vec<String> = uses(t).into_iter().collect();
    assert_eq!(got, ["audit", "engine", "risk", "store"]);
}

/// The files of one module folder (`src/<module>/`) and the siblings each uses through
/// `super::<file>` or `crate::<module>::<file>`, outside tests.
fn file_graph(module: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(module);
    let mut names = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        if p.is_dir() || p.extension().is_some_and(|x| x == "rs") {
            names.insert(stem);
        }
    }
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in &names {
        let file = dir.join(format!("{name}.rs"));
        if name == "mod" || name == "tests" || !file.is_file() {
            continue;
        }
        let Some(text) = production_text(&file) else {
            continue;
        };
        let prefixes = ["super::".to_string(), format!("crate::{module}::")];
        let entry = g.entry(name.clone()).or_default();
        for prefix in &prefixes {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(prefix.as_str()) {
                rest = &rest[i + prefix.len()..];
                let items: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    group[..end]
                        .split(',')
                        .map(|s| s.trim().split("::").next().unwrap_or("").to_string())
                        .collect()
                } else {
                    vec![
                        rest.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect(),
                    ]
                };
                for item in items {
                    if names.contains(&item) && &item != name {
                        entry.insert(item);
                    }
                }
            }
        }
    }
    g
}

/// Import cycles among the files of a module folder: each a sorted list of files.
fn file_cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two files are in one cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for u in g.get(&m).into_iter().flatten() {
                if seen.insert(u.clone()) {
                    todo.push(u.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|k| (k, reach(k))).collect();
    let mut cycles: Vec<Vec<String>> = Vec::new();
    for (a, ra) in &reaches {
        let mut cycle: Vec<String> = ra
            .iter()
            .filter(|b| reaches.get(b).is_some_and(|rb| rb.contains(*a)))
            .cloned()
            .collect();
        if cycle.is_empty() {
            continue;
        }
        if !cycle.contains(a) {
            cycle.push((*a).clone());
        }
        cycle.sort();
        if !cycles.contains(&cycle) {
            cycles.push(cycle);
        }
    }
    cycles
}

#[test]
fn files_inside_a_module_do_not_import_each_other_in_circles() {
    // One known pair, kept on purpose: lexical path classes and the symbolic-link step that
    // re-classifies where a link lands.
    let allowed: &[(&str, &[&str])] = &[("risk", &["paths", "realpaths"])];
    let mut wrong = Vec::new();
    for module in [
        "shell", "risk", "audit", "engine", "store", "report", "runtimes",
    ] {
        for cycle in file_cycles(&file_graph(module)) {
            let ok = allowed.iter().any(|(m, files)| {
                *m == module && cycle.iter().map(String::as_str).eq(files.iter().copied())
            });
            if !ok {
                wrong.push(format!("src/{module}: {}", cycle.join(" ⇄ ")));
            }
        }
    }
    assert!(wrong.is_empty(), "import cycles:\n{}", wrong.join("\n"));
}
