"""geopandas on the files `cargo bench --bench map` writes: the same two
measurements as that bench, side by side.

1. Read the 100,489-feature GeoJSON (geopandas.read_file, pyogrio engine).
2. Count 1,000,000 points per district of the 1,024-polygon GeoJSON by
   location (points_from_xy, sjoin with "within", value_counts) — the
   choropleth's spatial join. The points' CSV read is not counted.

Run: python3 benches/map_vs_geopandas.py [ROUNDS]   (default 3; median)
"""

import os
import statistics
import sys
import tempfile
import time

import geopandas as gpd
import pandas as pd

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
tmp = tempfile.gettempdir()
big = os.path.join(tmp, "cityops_bench_districts_100k.geojson")
small = os.path.join(tmp, "cityops_bench_districts_1024.geojson")
points_csv = os.path.join(tmp, "cityops_bench_points_1m.csv")


def median_of(f):
    times = []
    out = None
    for _ in range(rounds):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


t, gdf = median_of(lambda: gpd.read_file(big))
print(f"geopandas {gpd.__version__}: read {len(gdf)} features in {t * 1e3:.0f} ms (median of {rounds})")

districts = gpd.read_file(small)
df = pd.read_csv(points_csv)


def join():
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.longitude, df.latitude), crs=districts.crs)
    joined = gpd.sjoin(pts, districts, predicate="within")
    return joined["name"].value_counts()


t, counts = median_of(join)
print(f"geopandas: 1,000,000 points joined to {len(districts)} polygons in {t * 1e3:.0f} ms "
      f"({int(counts.sum())} points inside one; median of {rounds})")
