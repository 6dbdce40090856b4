//! Every v1 response parser: see `checks::v1_responses`.
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|input: (u16, &[u8])| checks::v1_responses(input.0, input.1));
