#!/usr/bin/env bash
# Charts a 10,000,000-row PostgreSQL table of hourly readings (30 days of
# 13,889 sensors) with `cityops charts` — the server aggregates — and loads
# the same rows into memory with `cityops inspect --row-limit`, printing
# the wall time and peak RSS of each. Starts a throwaway cluster from
# Debian's postgresql package on a free loopback port (as the postgres
# user when run as root) and removes it afterwards.
#
#   cargo build --release && bash benches/postgres_vs_memory.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
bin=${CITYOPS_BIN:-target/release/cityops}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/cityops-pgbench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; as_pg=(runuser -u postgres --); fi
cleanup() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=512MB -c max_parallel_workers_per_gather=2" start >/dev/null
psql=(psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)
sensors=$(( (rows + 719) / 720 ))
echo "== filling $rows rows ($sensors sensors × 720 hours)"
start=$(date +%s.%N)
"${psql[@]}" -c "CREATE UNLOGGED TABLE readings AS
  SELECT TIMESTAMPTZ '2026-06-01 00:00+00' + (h * INTERVAL '1 hour') AS t,
         'S' || lpad(s::text, 5, '0') AS sensor,
         (40 + 20 * sin(h / 24.0 * 2 * pi()) + (s % 17))::float8 AS speed,
         ((s * 7 + h * 13) % 400)::int AS volume
  FROM generate_series(0, $sensors - 1) s, generate_series(0, 719) h
  LIMIT $rows;
  ANALYZE readings;"
echo "   filled in $(echo "$(date +%s.%N) - $start" | bc) s; table $("${psql[@]}" -A -t -c "SELECT pg_size_pretty(pg_table_size('readings'))")"
url="postgres://postgres@127.0.0.1:$port/postgres"
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
  read -r secs kib <"$dir/time"
  printf '%-58s %8.2f s  %8.1f MiB peak RSS\n' "$label" "$secs" "$(echo "$kib / 1024" | bc -l)"
}
spec="$dir/spec.json"
cat >"$spec" <<'JSON'
{"title": "Mean speed by day", "kind": "line", "x": "t", "measures": ["speed"], "aggregation": "mean", "bucket": "day"}
JSON
measure "chart: mean speed by day (the server aggregates)" \
  "$bin" chart --data "$url" --table readings --spec "$spec" --out "$dir/day.png" --tz UTC
cat >"$spec" <<'JSON'
{"title": "Volume by sensor", "kind": "bar", "x": "sensor", "measures": ["volume"], "aggregation": "sum", "top_n": 20}
JSON
measure "chart: volume by sensor, top 20 (the server aggregates)" \
  "$bin" chart --data "$url" --table readings --spec "$spec" --out "$dir/sensor.png" --tz UTC
measure "charts: every suggested chart (--json)" \
  "$bin" charts --data "$url" --table readings --json --tz UTC
measure "load all $rows rows into memory (inspect --row-limit)" \
  "$bin" inspect "$url" --table readings --row-limit "$rows" --tz UTC
