//! Fuzzes the ClaudeCode hook payload parser: any bytes must parse or be refused, never panic, and
//! every outcome must render into the runtime's answer.
#![no_main]

use aiperture::runtimes::{Adapter, Answer, claude_code::ClaudeCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ClaudeCode.parse(data) {
        Ok(p) => {
            let _ = ClaudeCode.render(Some(p.form), &Answer::FailClosed("fuzz".into()));
            let _ = ClaudeCode.render(Some(p.form), &Answer::NoOpinion);
        }
        Err(m) => {
            let _ = ClaudeCode.render(None, &Answer::FailClosed(m.0));
        }
    }
});
