//! Fuzzes the shell front end through the risk classifier (`risk::assess` on a shell
//! request parses the command into simple commands): any text must be rated, never panic.
#![no_main]

use aiperture::risk::{Context, assess};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = std::str::from_utf8(data) else {
        return;
    };
    let ctx = Context {
        cwd: "/home/u/proj".into(),
        project: "/home/u/proj".into(),
        home: "/home/u".into(),
        protected_paths: vec![
            "/home/u/.config/aiperture".into(),
            "/home/u/.local/share/aiperture/aiperture.db".into(),
        ],
    };
    let _ = assess("shell", "execute", cmd, &ctx);
});
