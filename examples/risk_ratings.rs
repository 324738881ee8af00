//! Dumps tier, score and factors (overall and per segment) for every row of every corpus, one
//! line per command, so that a refactoring of `risk/` can be proved rating-neutral by diffing
//! two dumps (development aid).
//!
//! `cargo run --example risk_ratings -- ../shared/corpora tests/corpus > ratings.txt`
use aiperture::risk::{Context, assess};

fn main() {
    let ctx = Context {
        cwd: "/home/user/project".into(),
        project: "/home/user/project".into(),
        home: "/home/user".into(),
        protected_paths: vec!["/home/user/.local/share/aiperture/aiperture.db".into()],
        resolver: None,
    };
    for dir in std::env::args().skip(1) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for line in text.lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                let Some(cmd) = v["command"].as_str() else {
                    continue;
                };
                let a = assess("shell", "execute", cmd, &ctx);
                let segs: Vec<String> = a
                    .segments
                    .iter()
                    .map(|s| {
                        format!(
                            "{}:{:?}:{:.4}:{}:{:?}",
                            s.program,
                            s.risk.tier,
                            s.risk.score,
                            s.risk.factors.join(","),
                            s.pattern
                        )
                    })
                    .collect();
                println!(
                    "{cmd:?}\t{:?}\t{:.4}\t{}\t{}",
                    a.risk.tier,
                    a.risk.score,
                    a.risk.factors.join(","),
                    segs.join(" | ")
                );
            }
        }
    }
}
