#!/usr/bin/env python3
"""The benchmark table: eximbay-rs against hand-written baselines, as ratios measured in
the same run.

    python3 tests/benches/report.py              # criterion medians (run `cargo bench -p eximbay-tests --bench core` first)
    python3 tests/benches/report.py --callgrind  # instructions per iteration under valgrind (builds and runs `counts`)

Instruction counts are repeatable for the same binary and inputs, whatever else the machine
is doing; wall-clock medians on a shared machine are not.
"""
import json
import pathlib
import re
import subprocess
import sys

GROUPS = {
    "capture_request": 1.1,
    "capture_response": 1.1,
    "notification_verify": 1.1,
    "ureq_call": 1.05,
}


def table(unit, rows):
    print(f"| benchmark | baseline | eximbay-rs | ratio | target |")
    print("|---|---|---|---|---|")
    for group, base, core in rows:
        target = GROUPS[group]
        if base is None:
            print(f"| {group} | – | – | – | ≤ {target}× |")
            continue
        ratio = core / base
        mark = "" if ratio <= target else " (over)"
        print(f"| {group} | {base:,.0f} {unit} | {core:,.0f} {unit} | {ratio:.2f}×{mark} | ≤ {target}× |")


def criterion(root=pathlib.Path("target/criterion")):
    def median(group, name):
        path = root / group / name / "new" / "estimates.json"
        return json.loads(path.read_text())["median"]["point_estimate"]

    rows = []
    for group in GROUPS:
        try:
            rows.append((group, median(group, "baseline"), median(group, "core")))
        except FileNotFoundError:
            rows.append((group, None, None))
    table("ns", rows)


def counts_binary():
    out = subprocess.run(
        ["cargo", "bench", "-p", "eximbay-tests", "--bench", "counts", "--no-run", "--message-format=json"],
        check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "counts" and message.get("executable"):
            return message["executable"]
    raise SystemExit("counts bench binary not found")


def instructions(binary, group, variant, n):
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, group, variant, str(n)],
        capture_output=True, text=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(f"callgrind failed for {group}/{variant}:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def callgrind(low=10, high=110):
    binary = counts_binary()
    rows = []
    for group in GROUPS:
        per = {}
        for variant in ("baseline", "core"):
            # The difference between two run lengths removes start-up and set-up costs.
            per[variant] = (instructions(binary, group, variant, high) - instructions(binary, group, variant, low)) / (high - low)
        rows.append((group, per["baseline"], per["core"]))
    table("instr", rows)


if __name__ == "__main__":
    if "--callgrind" in sys.argv:
        callgrind()
    else:
        criterion()
