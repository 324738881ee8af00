//! Fuzzes the Codex hook payload parser: any bytes must parse or be refused, never panic, and
//! every outcome must render into the runtime's answer.
#![no_main]

use aiperture::runtimes::{Adapter, Answer, codex::Codex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Codex.parse(data) {
        Ok(p) => {
            let _ = Codex.render(Some(p.form), &Answer::FailClosed("fuzz".into()));
            let _ = Codex.render(Some(p.form), &Answer::NoOpinion);
        }
        Err(m) => {
            let _ = Codex.render(None, &Answer::FailClosed(m.0));
        }
    }
});
