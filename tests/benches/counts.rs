//! Instruction counts for callgrind: `counts GROUP VARIANT N` runs N iterations of one
//! workload (see `workloads.rs`). `python3 tests/benches/report.py --callgrind` runs every
//! workload under `valgrind --tool=callgrind` with two values of N and reports the
//! instructions per iteration as ratios: repeatable where wall-clock timings are not.

// The group list is this binary's output for report.py.
#![allow(clippy::print_stdout)]

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
