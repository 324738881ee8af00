//! Fuzzes the Gemini hook payload parser: any bytes must parse or be refused, never panic, and
//! every outcome must render into the runtime's answer.
#![no_main]

use aiperture::runtimes::{Adapter, Answer, gemini::Gemini};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Gemini.parse(data) {
        Ok(p) => {
            let _ = Gemini.render(Some(p.form), &Answer::FailClosed("fuzz".into()));
            let _ = Gemini.render(Some(p.form), &Answer::NoOpinion);
        }
        Err(m) => {
            let _ = Gemini.render(None, &Answer::FailClosed(m.0));
        }
    }
});
