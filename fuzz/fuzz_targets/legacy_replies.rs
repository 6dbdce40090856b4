//! The legacy reply parsers: see `checks::legacy_replies`.
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|body: &[u8]| checks::legacy_replies(body));
