//! The sandbox's request handling: see `checks/sandbox.rs`.
#![no_main]

#[path = "../checks/sandbox.rs"]
mod sandbox;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| sandbox::sandbox_requests(bytes));
