#!/usr/bin/env bash
# Event ingest benchmark: Segment-style track calls through POST /api/v1/batch on the real binary, BATCH events per request,
# POSTERS requests at a time, timed from the first POST to the last answer; the server's CPU time and resident memory too.
#
#   bench/ingest-events.sh [EVENTS] [BATCH] [sqlite|postgres] [POSTERS]      # default 200000 5000 sqlite 2
#
# First it identifies 10,000 contacts (userId u<N>, traits.phone) in batches of 5,000 (not timed), then posts EVENTS track
# events (four names, a `value` property, timestamps over the last 30 days, each with its own messageId) for random known users.
# The request bodies are made before the clock starts. Uses src/Herald/bin/Release/net10.0/herald (dotnet build -c Release
# src/Herald first), a fresh data folder (and a fresh PostgreSQL database on scripts/postgres.sh for postgres), a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${1:-200000}"
BATCH="${2:-5000}"
DB="${3:-sqlite}"
POSTERS="${4:-2}"
HERALD="src/Herald/bin/Release/net10.0/herald"
WORK="$(mktemp -d /tmp/herald-ingest-bench.XXXXXX)"
KEY="hk_ingest_bench_0123456789abcdef"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
PID=""
PGDB=""
pgurl() { scripts/postgres.sh url | sed 's/Host=\([^;]*\);Port=\([^;]*\);Username=\([^;]*\);Password=\([^;]*\);Database=\(.*\)/postgresql:\/\/\3:\4@\1:\2\/\5/'; }
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  if [[ -n "$PGDB" ]]; then psql "$(pgurl)" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ENVS=(HERALD_API_KEY="$KEY")
if [[ "$DB" == "postgres" ]]; then
  scripts/postgres.sh start >/dev/null
  PGDB="herald_ingest_bench_$$"
  CS="$(scripts/postgres.sh url)"
  psql "$(pgurl)" -qc "CREATE DATABASE $PGDB" >/dev/null
  ENVS+=(Herald__Database__Provider=postgres "Herald__Database__ConnectionString=${CS%Database=*}Database=$PGDB")
fi
env "${ENVS[@]}" "$HERALD" serve --urls "$URL" --data-dir "$WORK/data" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done

python3 - "$URL" "$KEY" "$EVENTS" "$BATCH" "$POSTERS" "$PID" "$DB" <<'PY'
import json, os, random, sys, threading, time, urllib.request
url, key, events, batch, posters, pid, db = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
def post(body):
    req = urllib.request.Request(url + "/api/v1/batch", data=body, method="POST",
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)
users = 10_000
r = random.Random(42)
for start in range(0, users, 5000):
    post(json.dumps({"batch": [{"type": "identify", "userId": f"u{i}", "messageId": f"id-{i}",
        "traits": {"phone": f"+9198{i:08d}", "city": r.choice(["Pune", "Mumbai", "Delhi"])}} for i in range(start, start + 5000)]}).encode())
names = ["viewed_product", "added_to_cart", "checkout_completed", "app_opened"]
now = time.time()
bodies = []
for start in range(0, events, batch):
    items = [{"type": "track", "userId": f"u{r.randrange(users)}", "event": r.choice(names), "messageId": f"ev-{n}",
              "properties": {"value": r.randrange(1000), "sku": f"sku{r.randrange(500)}"},
              "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - r.randrange(30 * 86400)))}
             for n in range(start, min(start + batch, events))]
    bodies.append(json.dumps({"batch": items, "sentAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode())
cpu0, rss0, peak = cpu(), rss(), 0
lock = threading.Lock()
queue = list(reversed(bodies))
def worker():
    while True:
        with lock:
            if not queue: return
            body = queue.pop()
        post(body)
start = time.time()
threads = [threading.Thread(target=worker) for _ in range(posters)]
for t in threads: t.start()
while any(t.is_alive() for t in threads):
    peak = max(peak, rss()); time.sleep(0.1)
elapsed = time.time() - start
peak = max(peak, rss())
print(f"{db}: {events:,} events in {len(bodies)} batches of {batch:,} ({posters} posters) in {elapsed:.1f} s = {events / elapsed:,.0f} events/s; "
      f"server CPU {cpu() - cpu0:.1f} s ({(cpu() - cpu0) / events * 1e6:.0f} us/event); "
      f"RSS {rss0} MB before, {peak} MB peak; load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
PY
# What was stored: the track events, and the per-contact aggregates' total, which must equal them.
if [[ "$DB" == "postgres" ]]; then
  COUNT="$(psql "$(pgurl | sed "s|/[^/]*$|/$PGDB|")" -Atc "SELECT (SELECT count(*) FROM events WHERE type = 'track') || ' ' || (SELECT coalesce(sum(count), 0) FROM contact_event_stats)")"
else
  COUNT="$(sqlite3 "$WORK/data/herald.db" "SELECT (SELECT count(*) FROM events WHERE type = 'track') || ' ' || (SELECT coalesce(sum(count), 0) FROM contact_event_stats)")"
fi
echo "stored track events ${COUNT% *}, sum of the per-contact aggregates ${COUNT#* }"
