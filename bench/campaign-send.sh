#!/usr/bin/env bash
# Campaign send benchmark: RECIPIENTS contacts imported (not timed), one campaign to all of them (type txn, +1 numbers, so no
# consent, DLT or legal window applies) through `herald simulate`'s connector face (the generic provider of Herald.Bench's
# single mode), timed from the launch: the launch's answer (the audience freeze), the enqueue rate (recipients out of
# `pending` per second), the send rate (messages at the provider) and the time until every message is final. Duplicates are
# the simulator's exact per-message counter (`/_sim/stats` byMessageId.duplicates), and the report's counts must add up.
#
#   bench/campaign-send.sh [RECIPIENTS] [sqlite|postgres]      # default 100000 sqlite
#
# Uses src/Herald/bin/Release/net10.0/herald (dotnet build -c Release src/Herald first), fresh data, free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-100000}"
DB="${2:-sqlite}"
HERALD="src/Herald/bin/Release/net10.0/herald"
WORK="$(mktemp -d /tmp/herald-campaign-bench.XXXXXX)"
KEY="hk_campaign_bench_0123456789abcdef"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"; SIMPORT="$(free_port)"
URL="http://127.0.0.1:$PORT"; SIM="http://127.0.0.1:$SIMPORT"
PID=""; SIMPID=""; PGDB=""
pgurl() { scripts/postgres.sh url | sed 's/Host=\([^;]*\);Port=\([^;]*\);Username=\([^;]*\);Password=\([^;]*\);Database=\(.*\)/postgresql:\/\/\3:\4@\1:\2\/\5/'; }
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  [[ -n "$SIMPID" ]] && kill "$SIMPID" 2>/dev/null && wait "$SIMPID" 2>/dev/null || true
  if [[ -n "$PGDB" ]]; then psql "$(pgurl)" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

ENVS=(HERALD_API_KEY="$KEY")
if [[ "$DB" == "postgres" ]]; then
  scripts/postgres.sh start >/dev/null
  PGDB="herald_campaign_bench_$$"
  CS="$(scripts/postgres.sh url)"
  psql "$(pgurl)" -qc "CREATE DATABASE $PGDB" >/dev/null
  ENVS+=(Herald__Database__Provider=postgres "Herald__Database__ConnectionString=${CS%Database=*}Database=$PGDB")
fi
"$HERALD" simulate --urls "$SIM" --api-key sim-api-key --sid SIM0000001 --dlr-delay 00:00:00.05 --seed 42 >"$WORK/simulate.log" 2>&1 &
SIMPID=$!
env "${ENVS[@]}" "$HERALD" serve --urls "$URL" --data-dir "$WORK/data" --allow-insecure-loopback >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do curl -sf "$URL/healthz" >/dev/null && curl -sf "$SIM/_sim/stats" >/dev/null && break; sleep 0.2; done

python3 - "$URL" "$SIM" "$KEY" "$ROWS" "$PID" "$DB" <<'PY'
import json, os, sys, time, urllib.request, urllib.error
url, sim, key, rows, pid, db = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
def call(method, path, body=None, base=None, content="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request((base or url) + path, data=data, method=method, headers={"Authorization": "Bearer " + key, "Content-Type": content})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            text = r.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path} answered {e.code}: {e.read().decode()[:500]}")
# Contacts: +1 415 2EE NNNN, the last four digits 1000-9999 (none of the simulator's special endings).
csv = "phone,first_name\n" + "".join(f"+1415{200 + i // 9000}{1000 + i % 9000},N{i}\n" for i in range(rows))
imp = call("POST", "/api/v1/contacts/import", csv.encode(), content="text/csv")
while (status := call("GET", f"/api/v1/imports/{imp['id']}"))["status"] == "running":
    time.sleep(0.5)
print(f"imported {status['imported']:,} contacts ({status['failed']:,} failed)")
call("POST", "/api/v1/providers", {"nickname": "bench_sim", "kind": "generic", "settings": {
    "requestType": "POST", "endpoint": f"{sim}/connector/sms", "authentication": {"type": "none"},
    "headers": [{"key": "api-key", "value": "sim-api-key"}, {"key": "sid", "value": "SIM0000001"},
                {"key": "kaleyra-host", "value": "api.in.kaleyra.io"}, {"key": "callback_url", "value": "$$CallbackURL"}],
    "bodyType": "form",
    "parameters": [{"key": k, "value": v} for k, v in [("to", "$$To"), ("sender", "$$Sender"), ("body", "$$Body"), ("template_id", "$$TemplateID"),
        ("message_id", "$$MessageID"), ("campaign_id", "$$CampaignID"), ("type", "$$TYPE"), ("long_url", "$$LongURL")]]}})
campaign = call("POST", "/api/v1/campaigns", {"name": "bench", "allContacts": True, "provider": "bench_sim", "type": "txn", "sender": "HERALD",
    "body": "Hi {{ contact.attributes.first_name | default: \"there\" }}, your order shipped"})
cpu0, peak = cpu(), rss()
start = time.time()
call("POST", f"/api/v1/campaigns/{campaign['id']}/launch")
launched = time.time() - start
enqueued_at = sent_at = None
while True:
    report = call("GET", f"/api/v1/campaigns/{campaign['id']}/report")
    stats = call("GET", "/_sim/stats", base=sim)
    peak = max(peak, rss())
    now = time.time() - start
    recipients = report["recipients"]
    if enqueued_at is None and recipients.get("pending", 0) == 0 and sum(recipients.values()) >= report["audience"]:
        enqueued_at = now
    if sent_at is None and enqueued_at is not None and stats["byMessageId"]["distinct"] >= recipients.get("queued", rows):
        sent_at = now
    messages = report["messages"]
    final = sum(messages.get(s, 0) for s in ("delivered", "failed", "undelivered", "rejected", "expired"))
    if enqueued_at is not None and sent_at is not None and final >= recipients.get("queued", 0):
        break
    if now > 3600:
        raise SystemExit("not done after an hour")
    time.sleep(1)
done = time.time() - start
queued = recipients.get("queued", 0)
print(f"{db}: campaign of {report['audience']:,} recipients: launch (freeze) answered in {launched:.1f} s; all enqueued after {enqueued_at:.1f} s "
      f"({queued / enqueued_at:,.0f} recipients/s); all at the provider after {sent_at:.1f} s ({queued / sent_at:,.0f} msg/s); all final after {done:.1f} s")
print(f"  recipients {json.dumps(recipients)}, messages {json.dumps(messages)}, skipped {json.dumps(report['skippedByReason'])}")
print(f"  simulator: {stats['byMessageId']['distinct']:,} distinct messages, duplicates {stats['byMessageId']['duplicates']}; "
      f"server CPU {cpu() - cpu0:.1f} s ({(cpu() - cpu0) / max(queued, 1) * 1000:.2f} ms/message), RSS peak {peak} MB; "
      f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
PY
