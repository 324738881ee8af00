//! Fuzzes the Copilot CLI hook payload parser (camelCase and PascalCase payloads, each event
//! the `--event` flag can name): any bytes must parse or be refused, never panic.
#![no_main]

use aiperture::runtimes::{Adapter, Answer, copilot::Copilot};
use libfuzzer_sys::fuzz_target;

const EVENTS: &[&str] = &[
    "preToolUse",
    "permissionRequest",
    "postToolUse",
    "sessionEnd",
];

fuzz_target!(|data: &[u8]| {
    let (sel, payload) = match data.split_first() {
        Some((s, rest)) => (*s as usize, rest),
        None => (0, data),
    };
    let adapter = Copilot {
        event: EVENTS[sel % EVENTS.len()].to_string(),
    };
    match adapter.parse(payload) {
        Ok(p) => {
            let _ = adapter.render(Some(p.form), &Answer::FailClosed("fuzz".into()));
        }
        Err(m) => {
            let _ = adapter.render(None, &Answer::FailClosed(m.0));
        }
    }
});
