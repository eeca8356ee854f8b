"""cityops inspect against polars on the same CSV, side by side in one run.

Usage (after `cargo build --release` and `cargo bench --bench csv_load`,
which writes the 1,000,000-row traffic file):

    python3 benches/inspect_vs_polars.py [FILE] [ROUNDS]

Each round runs, one right after the other:
- `target/release/cityops inspect FILE --json` as a whole process (start,
  load, type inference, roles, JSON out), timed from fork to exit;
- polars in this process: `pl.read_csv(FILE)` then `str.to_datetime(time_zone="UTC")` on the
  timestamp column, timed around those two calls only (the interpreter and
  `import polars` are not counted, which favours polars).

It prints the median of each, their ratio, and each one's peak RSS (cityops
from GNU time, `apt-get install time`; polars as this process's peak minus its peak after import).
"""

import os
import resource
import statistics
import subprocess
import sys
import time

import polars as pl

FILE = sys.argv[1] if len(sys.argv) > 1 else "/tmp/cityops_bench_traffic_1m.csv"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "cityops")


def run_cityops():
    # GNU time reports the peak RSS of cityops itself (a child forked from
    # this process would count the interpreter's pages until it execs).
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", BIN, "inspect", FILE, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"cityops inspect failed: {proc.stderr}")
    return elapsed, int(proc.stderr.strip().splitlines()[-1])  # KiB


def run_polars():
    start = time.perf_counter()
    df = pl.read_csv(FILE)
    df = df.with_columns(pl.col("timestamp").str.to_datetime(time_zone="UTC"))
    elapsed = time.perf_counter() - start
    assert df.height > 0
    return elapsed


def main():
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run_polars()  # warm the page cache and polars' thread pool
    run_cityops()
    ours, theirs, rss = [], [], []
    for _ in range(ROUNDS):
        t, r = run_cityops()
        ours.append(t)
        rss.append(r)
        theirs.append(run_polars())
    polars_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"file: {FILE} ({os.path.getsize(FILE) / 1e6:.1f} MB), {ROUNDS} paired rounds")
    print(f"cityops inspect --json (whole process): median {a * 1000:.0f} ms, runs {[round(x * 1000) for x in ours]}")
    print(f"polars {pl.__version__} read_csv + str.to_datetime:  median {b * 1000:.0f} ms, runs {[round(x * 1000) for x in theirs]}")
    print(f"ratio cityops / polars: {a / b:.2f}")
    print(f"peak RSS: cityops {max(rss) / 1024:.0f} MiB; polars (above the interpreter with polars imported) {polars_rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
