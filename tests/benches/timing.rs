//! Wall-clock measurement in interleaved rounds, and the result rows `scripts/bench` reads.
//!
//! Every round runs one batch of each variant, in an order that rotates from round to round,
//! so drift in the machine's speed (another process, frequency changes) falls on all
//! variants alike. A variant's figure is the median of its per-call times over the rounds;
//! the spread is the smallest and largest round.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]
// The table is the bench's output.
#![allow(clippy::print_stdout)]

use std::time::Instant;

/// A number from the environment (`ROUNDS`, `BATCH`, `SECONDS`), or `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One variant: runs a batch of `n` calls.
pub type Variant<'a> = (&'a str, Box<dyn FnMut(usize) + 'a>);

/// Per-call times of one variant, in microseconds, one per round.
#[derive(Clone, Debug)]
pub struct Sample {
    pub name: String,
    pub per_call_us: Vec<f64>,
}

impl Sample {
    pub fn median(&self) -> f64 {
        median(&self.per_call_us)
    }
    pub fn min(&self) -> f64 {
        self.per_call_us
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }
    pub fn max(&self) -> f64 {
        self.per_call_us.iter().copied().fold(0.0, f64::max)
    }
    /// `median µs (min–max)`.
    pub fn describe(&self) -> String {
        format!(
            "{:.1} µs ({:.1}–{:.1})",
            self.median(),
            self.min(),
            self.max()
        )
    }
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Runs `rounds` rounds of `batch` calls of every variant (after one warm-up batch each).
pub fn interleaved(rounds: usize, batch: usize, variants: &mut [Variant<'_>]) -> Vec<Sample> {
    for (_, run) in variants.iter_mut() {
        run(batch);
    }
    let mut samples: Vec<Sample> = variants
        .iter()
        .map(|(name, _)| Sample {
            name: (*name).to_owned(),
            per_call_us: Vec::with_capacity(rounds),
        })
        .collect();
    let count = variants.len();
    for round in 0..rounds {
        for k in 0..count {
            let index = (round + k) % count;
            let (_, run) = &mut variants[index];
            let started = Instant::now();
            run(batch);
            let took = started.elapsed().as_secs_f64() * 1e6 / batch as f64;
            samples[index].per_call_us.push(took);
        }
    }
    samples
}

/// Median over rounds of `a`'s time ÷ `b`'s time in the same round (pairs taken round by
/// round, so drift cancels).
pub fn paired_ratio(a: &Sample, b: &Sample) -> f64 {
    let ratios: Vec<f64> = a
        .per_call_us
        .iter()
        .zip(&b.per_call_us)
        .map(|(x, y)| x / y)
        .collect();
    median(&ratios)
}

/// One line of the benchmark table.
pub struct Row {
    pub figure: String,
    pub measured: String,
    pub target: String,
    /// `None`: for information, no target.
    pub pass: Option<bool>,
    pub detail: String,
}

impl Row {
    fn to_json(&self) -> String {
        serde_json::json!({
            "figure": self.figure,
            "measured": self.measured,
            "target": self.target,
            "pass": self.pass,
            "detail": self.detail,
        })
        .to_string()
    }
}

/// Prints the rows as a table and writes them to `target/bench-results/NAME.jsonl` for
/// `scripts/bench`.
pub fn report(name: &str, rows: &[Row]) {
    println!("| figure | measured | target | | detail |");
    println!("|---|---|---|---|---|");
    for row in rows {
        let mark = match row.pass {
            Some(true) => "pass",
            Some(false) => "MISS",
            None => "",
        };
        println!(
            "| {} | {} | {} | {mark} | {} |",
            row.figure, row.measured, row.target, row.detail
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-results");
    std::fs::create_dir_all(&dir).expect("create target/bench-results");
    let lines: String = rows.iter().map(|r| r.to_json() + "\n").collect();
    std::fs::write(dir.join(format!("{name}.jsonl")), lines).expect("write the results");
}
