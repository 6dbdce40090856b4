//! Amounts and dates: see `checks::amounts`.
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|text: &str| checks::amounts(text));
