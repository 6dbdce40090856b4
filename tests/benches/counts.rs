//! Instruction counts for callgrind: `counts GROUP VARIANT N` runs N iterations of one
//! workload (see `workloads.rs`). `python3 tests/benches/report.py --callgrind` runs every
//! workload under `valgrind --tool=callgrind` with two values of N and reports the
//! instructions per iteration as ratios: repeatable where wall-clock timings are not.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
// The group list is this binary's output for report.py.
#![allow(clippy::print_stdout)]

mod raw_clients;
mod timing;
mod workloads;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--groups") {
        // For report.py: the groups and their targets, one per line.
        for (group, target) in workloads::GROUPS {
            println!("{group} {target}");
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--wall") {
        wall_clock();
        return;
    }
    let [group, variant, iterations] = args.as_slice() else {
        eprintln!("usage: counts GROUP VARIANT N");
        std::process::exit(2);
    };
    let iterations: u32 = iterations.parse().expect("N is a number");
    let workloads = workloads::Workloads::prepare();
    for _ in 0..iterations {
        workloads.run(group, variant);
    }
}

/// `counts --wall`: each group's baseline and core in interleaved rounds (`timing.rs`), so
/// drift on a busy machine falls on both sides alike (criterion measures one side after the
/// other). Rows go to `target/bench-results/wall.jsonl`.
fn wall_clock() {
    let workloads = workloads::Workloads::prepare();
    let rounds = timing::env_or("ROUNDS", 41);
    let mut rows = Vec::new();
    for (group, target) in workloads::GROUPS {
        // About 20 ms per batch whatever the workload costs.
        let started = std::time::Instant::now();
        workloads.run(group, "core");
        let once = started.elapsed().as_secs_f64().max(1e-7);
        let batch = ((0.02 / once) as usize).clamp(10, 20_000);
        let w = &workloads;
        let mut variants: Vec<timing::Variant<'_>> = ["baseline", "core"]
            .into_iter()
            .map(|variant| {
                let run = move |n: usize| {
                    for _ in 0..n {
                        w.run(group, variant);
                    }
                };
                (variant, Box::new(run) as Box<dyn FnMut(usize) + '_>)
            })
            .collect();
        let samples = timing::interleaved(rounds, batch, &mut variants);
        let ratio = timing::paired_ratio(&samples[1], &samples[0]);
        rows.push(timing::Row {
            figure: format!("{group}: eximbay-rs ÷ baseline (wall clock, interleaved)"),
            measured: format!("{ratio:.2}×"),
            target: format!("≤ {target}×"),
            pass: Some(ratio <= target),
            detail: format!(
                "core {} vs baseline {}",
                samples[1].describe(),
                samples[0].describe()
            ),
        });
    }
    timing::report("wall", &rows);
}
