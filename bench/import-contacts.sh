#!/usr/bin/env bash
# Contact import benchmark: N CSV rows through POST /api/v1/contacts/import on the real binary, timed from the
# upload's start to status "completed", with the server's resident memory sampled every 100 ms.
#
#   bench/import-contacts.sh [ROWS] [sqlite|postgres]      # default 1000000 sqlite
#
# Uses src/Herald/bin/Release/net10.0/herald (dotnet build -c Release src/Herald first), a fresh data folder (and a
# fresh PostgreSQL database on scripts/postgres.sh for postgres), a free loopback port. Prints one summary line:
# rows, seconds, rows/s, RSS before and peak, and the import's own counts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"
DB="${2:-sqlite}"
HERALD="src/Herald/bin/Release/net10.0/herald"
WORK="$(mktemp -d /tmp/herald-import-bench.XXXXXX)"
KEY="hk_import_bench_0123456789abcdef"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
PID=""
PGDB=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  if [[ -n "$PGDB" ]]; then psql "$(scripts/postgres.sh url | sed 's/Host=\([^;]*\);Port=\([^;]*\);Username=\([^;]*\);Password=\([^;]*\);Database=\(.*\)/postgresql:\/\/\3:\4@\1:\2\/\5/')" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "generating $ROWS rows"
python3 - "$ROWS" >"$WORK/contacts.csv" <<'PY'
import sys, random
n = int(sys.argv[1]); r = random.Random(42)
cities = ["Pune", "Mumbai", "Delhi", "Chennai", "Kochi", "Goa", "Jaipur", "Kolkata"]
out = sys.stdout
out.write("phone,first_name,city,plan,orders,signed_up,consent.promotional\n")
for i in range(n):
    out.write(f"+9197{i:08d},Name{i},{r.choice(cities)},{r.choice(('free','gold','pro'))},{r.randint(0,40)},2024-{r.randint(1,12):02d}-{r.randint(1,28):02d},{r.choice(('yes','no'))}\n")
PY
echo "CSV: $(du -m "$WORK/contacts.csv" | cut -f1) MB"

ENVS=(HERALD_API_KEY="$KEY")
if [[ "$DB" == "postgres" ]]; then
  scripts/postgres.sh start >/dev/null
  PGDB="herald_import_bench_$$"
  CS="$(scripts/postgres.sh url)"
  psql "$(echo "$CS" | sed 's/Host=\([^;]*\);Port=\([^;]*\);Username=\([^;]*\);Password=\([^;]*\);Database=\(.*\)/postgresql:\/\/\3:\4@\1:\2\/\5/')" -qc "CREATE DATABASE $PGDB" >/dev/null
  ENVS+=(Herald__Database__Provider=postgres "Herald__Database__ConnectionString=${CS%Database=*}Database=$PGDB")
fi
env "${ENVS[@]}" "$HERALD" serve --urls "$URL" --data-dir "$WORK/data" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$PID/status"; }
# CPU seconds the server used (user + system): on a shared, loaded machine the wall time says more about the neighbours.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$PID/stat"; }
BEFORE="$(rss)"
PEAK="$BEFORE"
CPU_BEFORE="$(cpu)"
START="$(date +%s.%N)"
ID="$(curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' --data-binary @"$WORK/contacts.csv" "$URL/api/v1/contacts/import" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
UPLOADED="$(date +%s.%N)"
while :; do
  now="$(rss)"; (( now > PEAK )) && PEAK="$now"
  STATUS="$(curl -sf -H "Authorization: Bearer $KEY" "$URL/api/v1/imports/$ID")"
  [[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$STATUS")" != "running" ]] && break
  sleep 0.1
done
END="$(date +%s.%N)"
CPU_AFTER="$(cpu)"
python3 - "$ROWS" "$DB" "$START" "$UPLOADED" "$END" "$BEFORE" "$PEAK" "$STATUS" "$CPU_BEFORE" "$CPU_AFTER" "$(uptime | sed 's/.*load average: //')" <<'PY'
import json, sys
rows, db, start, uploaded, end, before, peak, status, cpu0, cpu1, load = sys.argv[1:]
s = json.loads(status); total = float(end) - float(start)
print(f"{db}: {int(rows):,} rows in {total:.1f} s ({int(rows)/total:,.0f} rows/s; upload+spool {float(uploaded)-float(start):.1f} s), "
      f"RSS {before} MB before, {peak} MB peak (+{int(peak)-int(before)} MB); status {s['status']}, imported {s['imported']:,}, "
      f"updated {s['updated']:,}, failed {s['failed']:,}; server CPU {float(cpu1)-float(cpu0):.1f} s; load average {load}")
PY
