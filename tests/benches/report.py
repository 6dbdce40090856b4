#!/usr/bin/env python3
"""The core's workloads against hand-written baselines (tests/benches/workloads.rs), as
ratios measured in the same run.

    python3 tests/benches/report.py --callgrind  # instructions per iteration under valgrind (builds and runs `counts`)
    python3 tests/benches/report.py              # criterion medians (run `cargo bench -p eximbay-tests --bench core` first)

Instruction counts are repeatable for the same binary and inputs, whatever else the machine
is doing; wall-clock medians on a shared machine are not. Both write their rows to
target/bench-results/ for scripts/bench.
"""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "target" / "bench-results"


def bench_binary(name):
    out = subprocess.run(
        ["cargo", "bench", "-p", "eximbay-tests", "--bench", name, "--no-run", "--message-format=json"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == name and message.get("executable"):
            return message["executable"]
    raise SystemExit(f"{name} bench binary not found")


def counts_binary():
    return bench_binary("counts")


def groups(binary):
    """The groups and their targets, as the workloads declare them."""
    out = subprocess.run([binary, "--groups"], check=True, capture_output=True, text=True).stdout
    return {name: float(target) for name, target in (line.split() for line in out.splitlines())}


def rows_of(unit, kind, targets, measured):
    rows = []
    for group, (base, core) in measured.items():
        ratio = core / base
        rows.append({
            "figure": f"{group}: eximbay-rs ÷ baseline ({kind})",
            "measured": f"{ratio:.2f}×",
            "target": f"≤ {targets[group]}×",
            "pass": ratio <= targets[group],
            "detail": f"{core:,.0f} vs {base:,.0f} {unit} per iteration",
        })
    sizes = {"notification_verify_1k": 1_000, "notification_verify_60k": 60_000}
    if all(name in measured for name in sizes):
        per_kb = {name: measured[name][1] / (size / 1000) for name, size in sizes.items()}
        growth = per_kb["notification_verify_60k"] / per_kb["notification_verify_1k"]
        rows.append({
            "figure": f"notification parse + verify, {unit} per KB, 60 KB ÷ 1 KB ({kind})",
            "measured": f"{growth:.2f}×",
            "target": "≤ 1.2× (linear)",
            "pass": growth <= 1.2,
            "detail": f"{per_kb['notification_verify_1k']:,.0f} → {per_kb['notification_verify_60k']:,.0f} {unit} per KB; bodies over 64 KiB are refused unread",
        })
    return rows


def write(name, rows):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print("| figure | measured | target | | detail |")
    print("|---|---|---|---|---|")
    for r in rows:
        mark = {True: "pass", False: "MISS", None: ""}[r["pass"]]
        print(f"| {r['figure']} | {r['measured']} | {r['target']} | {mark} | {r['detail']} |")


def instructions(binary, *args, toggle=None):
    """Instructions a run of `binary args` executes (only inside functions matching
    `toggle`, when given)."""
    options = [f"--toggle-collect={toggle}"] if toggle else []
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *options, binary, *map(str, args)],
        capture_output=True, text=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(f"callgrind failed for {args}:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def sandbox_handle(low=500, high=1500):
    """Instructions per request in `Sandbox::handle` (everything the server does but HTTP)
    and in `handle_prepared` (the part done holding the sandbox lock), in-process."""
    binary = bench_binary("sandbox")
    rows = []
    for operation in ("retrieve", "capture", "cancel"):
        per = {}
        for part, toggle in (("handle", "*Sandbox>::handle"), ("lock", "*Sandbox>::handle_prepared")):
            per[part] = (instructions(binary, "handle", operation, high, toggle=toggle)
                         - instructions(binary, "handle", operation, low, toggle=toggle)) / (high - low)
        label = "refund" if operation == "cancel" else operation
        rows.append({
            "figure": f"sandbox: instructions per {label} in `Sandbox::handle`, in-process (callgrind)",
            "measured": f"{per['handle']:,.0f}",
            "target": "information",
            "pass": None,
            "detail": f"{per['lock']:,.0f} of them holding the sandbox lock",
        })
    return rows


def callgrind(low=10, high=110):
    binary = counts_binary()
    targets = groups(binary)
    measured = {}
    for group in targets:
        per = {}
        for variant in ("baseline", "core"):
            # The difference between two run lengths removes start-up and set-up costs.
            per[variant] = (instructions(binary, group, variant, high) - instructions(binary, group, variant, low)) / (high - low)
        measured[group] = (per["baseline"], per["core"])
    write("counts", rows_of("instructions", "callgrind", targets, measured) + sandbox_handle())


def criterion():
    targets = groups(counts_binary())
    root = ROOT / "target" / "criterion"

    def median(group, name):
        path = root / group / name / "new" / "estimates.json"
        return json.loads(path.read_text())["median"]["point_estimate"]

    measured = {}
    for group in targets:
        try:
            measured[group] = (median(group, "baseline"), median(group, "core"))
        except FileNotFoundError:
            print(f"no criterion result for {group}: run `cargo bench -p eximbay-tests --bench core` first", file=sys.stderr)
    write("criterion", rows_of("ns", "criterion median", targets, measured))


if __name__ == "__main__":
    if "--callgrind" in sys.argv:
        callgrind()
    else:
        criterion()
