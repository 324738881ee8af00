//! Fuzzes the OpenClaw hook payload parser: any bytes must parse or be refused, never panic, and
//! every outcome must render into the runtime's answer.
#![no_main]

use aiperture::runtimes::{Adapter, Answer, openclaw::OpenClaw};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match OpenClaw.parse(data) {
        Ok(p) => {
            let _ = OpenClaw.render(Some(p.form), &Answer::FailClosed("fuzz".into()));
            let _ = OpenClaw.render(Some(p.form), &Answer::NoOpinion);
        }
        Err(m) => {
            let _ = OpenClaw.render(None, &Answer::FailClosed(m.0));
        }
    }
});
