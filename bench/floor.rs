//! The floor: an empty Rust program that reads its stdin to the end and exits, built by
//! `bench/run` with `rustc -O`. Nothing a hook does can cost less than this.
use std::io::Read;

fn main() {
    let mut buf = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut buf);
}
