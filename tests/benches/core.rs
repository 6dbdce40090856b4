//! Timings of the core against hand-written baselines, in the same run (criterion).
//!
//! * `capture_request`: `Capture::to_http` (validation, Basic auth, JSON body) against a
//!   hand-written serde_json + http request with the same bytes. Target ≤ 1.1×.
//! * `capture_response`: `Capture::parse` of the seed's answer against deserializing the
//!   same JSON into a hand-written struct. Target ≤ 1.1×.
//! * `notification_verify`: `Notification::parse` + `verify` (borrowed fields, streamed
//!   hash) against serde_urlencoded → BTreeMap → joined String → sha256 → hex compare.
//!   Target ≤ 0.5×.
//! * `ureq_call`: the ureq adapter's `call` against the raw `ureq::Agent::run` on the same
//!   loopback server. Target ≤ 1.05×.
//!
//! `cargo bench -p eximbay-tests --bench core`, then `python3 tests/benches/report.py`.
//! Timings on a shared machine are noisy; `counts.rs` measures instructions instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use criterion::{Criterion, criterion_group, criterion_main};

mod raw_clients;
mod workloads;

fn benches(c: &mut Criterion) {
    let workloads = workloads::Workloads::prepare();
    for (group, _) in workloads::GROUPS {
        let mut g = c.benchmark_group(group);
        for variant in ["baseline", "core"] {
            g.bench_function(variant, |b| b.iter(|| workloads.run(group, variant)));
        }
        g.finish();
    }
}

criterion_group!(core_benches, benches);
criterion_main!(core_benches);
