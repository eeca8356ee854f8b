"""Reads the Parquet file `cargo bench --bench parquet_load` writes with
polars' read_parquet, the tool an analyst would use instead, and prints the
median of N runs (import not counted).

Run: python3 benches/parquet_vs_polars.py [/tmp/cityops_bench_traffic_1m.parquet] [N]
"""
import statistics
import sys
import tempfile
import time
import os

import polars as pl

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    tempfile.gettempdir(), "cityops_bench_traffic_1m.parquet"
)
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
times = []
for _ in range(runs):
    t = time.perf_counter()
    df = pl.read_parquet(path)
    times.append(time.perf_counter() - t)
print(
    f"polars {pl.__version__} read_parquet: {df.shape[0]} rows x {df.shape[1]} columns, "
    f"median {statistics.median(times) * 1000:.1f} ms of {runs}"
)
