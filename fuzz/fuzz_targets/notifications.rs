//! Notifications: see `checks::notifications`.
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|body: &[u8]| checks::notifications(body));
