//! Mutation fuzzing of the classifier over the corpora (development aid): inserts shell
//! metacharacters into every corpus row, checks nothing panics and every derived pattern
//! matches its own segment. `cargo run --release --example risk_fuzzmut -- ../shared/corpora`
use aiperture::risk::{Context, assess, pattern_matches};
fn main() {
    let ctx = Context {
        cwd: "/home/u/p".into(),
        project: "/home/u/p".into(),
        home: "/home/u".into(),
        protected_paths: vec!["/home/u/.config/aiperture".into()],
        resolver: None,
    };
    let toks = [
        "$(",
        ")",
        "`",
        "'",
        "\"",
        "<<EOF\n",
        "\nEOF",
        "|",
        "&&",
        ";",
        "\\",
        "${",
        "}",
        " -c ",
        "bash -c ",
        "eval ",
        "<(",
        ">",
        ">>",
        "2>&1",
        "\n",
        "{}",
        "\\;",
        "*",
        "~",
        "..",
        "$'",
        "<<<",
        "&",
        "((",
        "[[",
        "=",
        "xargs ",
        "find . -exec ",
        "sudo ",
        "env -S ",
        "$((",
        "#",
    ];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpora".into());
    let mut cmds = Vec::new();
    for f in ["dcg", "dippy", "safe-chains"] {
        let Ok(t) = std::fs::read_to_string(format!("{dir}/{f}.jsonl")) else {
            continue;
        };
        for l in t.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            cmds.push(v["command"].as_str().unwrap().to_string());
        }
    }
    let mut n = 0;
    for round in 0..8 {
        for c in &cmds {
            let mut s = c.clone();
            for _ in 0..(1 + rnd() % 4) {
                let tok = toks[(rnd() % toks.len() as u64) as usize];
                let mut pos = (rnd() as usize) % (s.len() + 1);
                while !s.is_char_boundary(pos) {
                    pos -= 1;
                }
                if rnd() % 5 == 0 {
                    s.truncate(pos);
                } else {
                    s.insert_str(pos, tok);
                }
            }
            let a = assess("shell", "execute", &s, &ctx);
            for seg in &a.segments {
                if let Some(p) = &seg.pattern
                    && !pattern_matches(p, &seg.command)
                {
                    println!("MISMATCH {p:?} {:?}", seg.command);
                }
            }
            n += 1;
        }
        eprintln!("round {round} ok ({n})");
    }
}
