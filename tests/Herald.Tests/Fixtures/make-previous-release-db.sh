#!/usr/bin/env bash
# Makes herald-previous-release.db (and the data-protection key ring its provider secrets are encrypted with) the way
# a user of the previous release would have: with that release's real `herald` binary, `herald simulate` standing in
# for Kaleyra, the seed's generic provider, API sends, a test SMS and Kaleyra-connector traffic from CleverTap.
# UpgradeTests.cs starts the current binary on a copy of it.
#
#   tests/Herald.Tests/Fixtures/make-previous-release-db.sh [CHECKOUT]
#
# CHECKOUT is a checkout of the previous release (default: a temporary detached worktree of $PREVIOUS_RELEASE, made
# and removed by this script). It is built with `dotnet build src/Herald -c Release`. Needs curl, jq and sqlite3.
# Re-running replaces the fixture; the ids, tokens and timestamps in it change, the shape does not.
#
# What ends up in the database (UpgradeTests.cs relies on it):
#   - provider Kaleyra_SMS: generic, exactly the seed's form, to the simulator's connector face on 127.0.0.1:29411;
#   - a delivered test SMS through it; API messages: an OTP with Idempotency-Key fixture-otp-1 (delivered), a txn
#     (delivered), one to the simulator's DND number (rejected) and a batch of two with Idempotency-Key fixture-batch-1;
#   - provider CleverTap_Kaleyra: the seed's form with Herald's own /connect/kaleyra as its HTTP Endpoint and the
#     simulator's Kaleyra face as kaleyra-host, and a delivered test SMS through it, so its connector message's relay
#     to the provider's callback URL is `sent`;
#   - connector messages posted by "CleverTap" (curl) to /connect/kaleyra, message_id:
#       ct-fixture-pending   delivered; relay to 127.0.0.1:29412 (nothing listens): `pending` after its first attempt
#       ct-fixture-failed    delivered as rejected (DND number); relay `pending` like the one above
#       ct-fixture-retried   first refused by Kaleyra (wrong api-key: the message is `failed`), then sent again by
#                            CleverTap with the right key: a second message, delivered, relay `pending`
#       ct-fixture-dead      delivered; relay to a callback URL that answers 404: `dead`
#       ct-fixture-waiting   accepted by a simulator whose reports come an hour later (127.0.0.1:29413, stopped
#                            first): no Kaleyra callback yet, so the upgrade test can make one
#   Every relay target is 127.0.0.1, so the upgrade test can listen where the pending ones go (29412). Relays are retried
#   after 5 s (RelayRetryBaseDelay; default 10 min), so the pending ones are due when the upgraded server starts even
#   right after the fixture was made.
set -euo pipefail

PREVIOUS_RELEASE=e374892
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(git -C "$HERE" rev-parse --show-toplevel)"
OUT_DB="$HERE/herald-previous-release.db"
OUT_KEYS="$HERE/herald-previous-release.keys"

# Fixed ports below Linux's ephemeral range (32768-60999), so tests that take free ports never sit on them.
HERALD_PORT=29410   # Herald (the old release)
SIM_PORT=29411      # herald simulate: Kaleyra and its connector face, reports after 0.2 s
DEAD_PORT=29412     # CleverTap's callback URL for the pending relays: nothing listens here while the fixture is made
SLOW_PORT=29413     # herald simulate with reports an hour late
API_KEY=hk_upgrade_fixture_0123456789abcdef
KALEYRA_KEY=KALEYRA_API_KEY
SID=HXIN00000001

for tool in curl jq sqlite3 dotnet; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/herald-fixture-XXXXXX)"
PIDS=()
CHECKOUT="${1:-}"
MADE_WORKTREE=""
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ -n "$MADE_WORKTREE" ]]; then git -C "$REPO" worktree remove --force "$MADE_WORKTREE" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "$CHECKOUT" ]]; then
    CHECKOUT="$WORK/previous-release"
    git -C "$REPO" worktree add --detach "$CHECKOUT" "$PREVIOUS_RELEASE" >/dev/null
    MADE_WORKTREE="$CHECKOUT"
fi
CHECKOUT="$(cd "$CHECKOUT" && pwd)"
COMMIT="$(git -C "$CHECKOUT" rev-parse HEAD)"
echo "previous release: $COMMIT ($CHECKOUT)"

for port in $HERALD_PORT $SIM_PORT $DEAD_PORT $SLOW_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use: stop what listens there" >&2; exit 1; fi
done

dotnet build "$CHECKOUT/src/Herald" -c Release -nologo -v q --tl:off
HERALD="$CHECKOUT/src/Herald/bin/Release/net10.0/herald"
DATA="$WORK/data"
mkdir -p "$DATA"
export NO_COLOR=1

"$HERALD" simulate --urls "http://127.0.0.1:$SIM_PORT" --api-key "$KALEYRA_KEY" --sid "$SID" --dlr-delay 00:00:00.200 \
    --delivery-rate 1 --seed 7 >"$WORK/simulator.log" 2>&1 &
PIDS+=($!)
"$HERALD" simulate --urls "http://127.0.0.1:$SLOW_PORT" --api-key "$KALEYRA_KEY" --sid "$SID" --dlr-delay 01:00:00 \
    --delivery-rate 1 --seed 8 >"$WORK/slow-simulator.log" 2>&1 &
SLOW_PID=$!
PIDS+=($SLOW_PID)
HERALD_API_KEY="$API_KEY" \
Herald__Connector__Kaleyra__AdditionalHosts__0=127.0.0.1 \
Herald__Connector__Kaleyra__AdditionalCallbackHosts__0=127.0.0.1 \
Herald__Connector__Kaleyra__RelayRetryBaseDelay=00:00:05 \
    "$HERALD" serve --urls "http://127.0.0.1:$HERALD_PORT" --data-dir "$DATA" --allow-insecure-loopback >"$WORK/herald.log" 2>&1 &
HERALD_PID=$!
PIDS+=($HERALD_PID)

BASE="http://127.0.0.1:$HERALD_PORT"
wait_for() { # wait_for DESCRIPTION COMMAND...: retries COMMAND (quietly) for up to 60 s
    local what="$1"; shift
    for _ in $(seq 1 300); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "timed out waiting for $what" >&2
    tail -n 50 "$WORK/herald.log" >&2
    exit 1
}
api() { # api METHOD PATH [JSON [extra curl args...]]
    local args=(-sS --fail-with-body -X "$1" "$BASE$2" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json')
    if [[ -n "${3:-}" ]]; then args+=(-d "$3"); fi
    curl "${args[@]}" "${@:4}"
}
status_is() { # status_is MESSAGE_ID STATUS...: whether the message is in one of these states
    local status
    status="$(api GET "/api/v1/messages/$1" | jq -r .status)"
    for wanted in "${@:2}"; do [[ "$status" == "$wanted" ]] && return 0; done
    return 1
}
relay_is() { [[ "$(api GET "/api/v1/connector/kaleyra/messages/$1" | jq -r '.relays[0].status // empty')" == "$2" ]]; }

wait_for "Herald" curl -sf "$BASE/healthz"
wait_for "the simulator" curl -s "http://127.0.0.1:$SIM_PORT/"
wait_for "the slow simulator" curl -s "http://127.0.0.1:$SLOW_PORT/"

# ------------------------------------------------------------ the seed's provider (README, "The seed's flow")
seed_provider() { # seed_provider NICKNAME ENDPOINT KALEYRA_HOST
    jq -n --arg nickname "$1" --arg endpoint "$2" --arg host "$3" --arg key "$KALEYRA_KEY" --arg sid "$SID" '{
        nickname: $nickname, kind: "generic",
        settings: {
            requestType: "POST", endpoint: $endpoint, authentication: { type: "none" },
            headers: [ { key: "api-key", value: $key }, { key: "sid", value: $sid }, { key: "kaleyra-host", value: $host },
                       { key: "callback_url", value: "$$CallbackURL" } ],
            bodyType: "form",
            parameters: [ { key: "to", value: "$$To" }, { key: "sender", value: "$$Sender" }, { key: "body", value: "$$Body" },
                          { key: "template_id", value: "$$TemplateID" }, { key: "message_id", value: "$$MessageID" },
                          { key: "campaign_id", value: "$$CampaignID" }, { key: "type", value: "$$TYPE" },
                          { key: "long_url", value: "$$LongURL" } ] } }'
}
api POST /api/v1/providers "$(seed_provider Kaleyra_SMS "http://127.0.0.1:$SIM_PORT/connector/sms" api.in.kaleyra.io)" >/dev/null

test_sms() { # test_sms PROVIDER MOBILE: prints the message id
    api POST "/api/v1/providers/$1/test-sms" "$(jq -n --arg mobile "$2" '{countryCode: "+91", mobile: $mobile,
        templateId: "1107160000000012345", message: "This is a test message powered by Kaleyra",
        dynamicFields: { sender: "KLRHXA", type: "OTP" }}')" | jq -r .messageId
}
TEST_SMS="$(test_sms Kaleyra_SMS 9812345678)"
wait_for "the test SMS" status_is "$TEST_SMS" delivered

# ------------------------------------------------------------ API sends
send() { # send JSON [curl args...]: prints the message id
    local body="$1"; shift
    api POST /api/v1/messages "$body" "$@" | jq -r .id
}
OTP="$(send '{"to":"+919812345601","body":"Your OTP is 481516","type":"otp","sender":"KLRHXA","provider":"Kaleyra_SMS","dynamicFields":{"type":"OTP"}}' \
    -H 'Idempotency-Key: fixture-otp-1')"
TXN="$(send '{"to":"+919812345602","body":"Order 1001 shipped","type":"txn","sender":"KLRHXA","provider":"Kaleyra_SMS","dynamicFields":{"type":"TXN"}}')"
DND="$(send '{"to":"+919812340001","body":"Order 1002 shipped","type":"txn","sender":"KLRHXA","provider":"Kaleyra_SMS","dynamicFields":{"type":"TXN"}}')"
api POST /api/v1/messages/batch '{"messages":[
    {"to":"+919812345603","body":"Sale starts at 10","type":"mkt","sender":"KLRHXA","provider":"Kaleyra_SMS","dynamicFields":{"type":"MKT"}},
    {"to":"+919812345604","body":"Sale starts at 10","type":"mkt","sender":"KLRHXA","provider":"Kaleyra_SMS","dynamicFields":{"type":"MKT"}}]}' \
    -H 'Idempotency-Key: fixture-batch-1' >"$WORK/batch.json"
wait_for "the OTP" status_is "$OTP" delivered
wait_for "the txn" status_is "$TXN" delivered
wait_for "the DND message" status_is "$DND" rejected undelivered failed
for id in $(jq -r '.. | objects | select(has("id") and has("status")) | .id' "$WORK/batch.json"); do
    wait_for "batch message $id" status_is "$id" delivered
done

# ------------------------------------------------------------ the connector: CleverTap in front of Herald
api POST /api/v1/providers "$(seed_provider CleverTap_Kaleyra "$BASE/connect/kaleyra" "127.0.0.1:$SIM_PORT")" >/dev/null
VIA_CONNECTOR="$(test_sms CleverTap_Kaleyra 9812345610)"
wait_for "the test SMS through the connector" status_is "$VIA_CONNECTOR" delivered
relayed_sent() { # the connector message CleverTap_Kaleyra's test SMS made has its relay sent
    local id
    for id in $(api GET "/api/v1/messages?source=connector&limit=100" | jq -r '.items[].id'); do
        [[ "$(api GET "/api/v1/connector/kaleyra/messages/$id" | jq -r '.externalId + " " + (.relays[0].status // "")')" == "$VIA_CONNECTOR sent" ]] && return 0
    done
    return 1
}
wait_for "the relay of the test SMS through the connector" relayed_sent

connect() { # connect MESSAGE_ID TO CALLBACK_URL [KALEYRA_HOST] [API_KEY]: CleverTap's request as the seed configures it
    curl -sS -X POST "$BASE/connect/kaleyra" -H "api-key: ${5:-$KALEYRA_KEY}" -H "sid: $SID" \
        -H "kaleyra-host: ${4:-127.0.0.1:$SIM_PORT}" -H "callback_url: $3" \
        --data-urlencode "to=$2" --data-urlencode sender=KLRHXA --data-urlencode "body=Your order $1 is on its way" \
        --data-urlencode "message_id=$1" --data-urlencode template_id=1107160000000012345 --data-urlencode campaign_id=cmp-fixture --data-urlencode type=TXN
}
herald_id() { jq -r '.herald_id // empty'; }
PENDING_URL="http://127.0.0.1:$DEAD_PORT/a1/sms/dlr/kaleyra"
PENDING="$(connect ct-fixture-pending +919812345611 "$PENDING_URL" | herald_id)"
FAILED="$(connect ct-fixture-failed +919812340001 "$PENDING_URL" | herald_id)"
REFUSED="$(connect ct-fixture-retried +919812345612 "$PENDING_URL" "" wrong-api-key | herald_id)"
wait_for "Kaleyra's refusal" status_is "$REFUSED" failed
RETRIED="$(connect ct-fixture-retried +919812345612 "$PENDING_URL" | herald_id)"
DEAD="$(connect ct-fixture-dead +919812345613 "$BASE/dlr/prv_nosuchprovider/nosuchtoken" | herald_id)"
WAITING="$(connect ct-fixture-waiting +919812345614 "$PENDING_URL" "127.0.0.1:$SLOW_PORT" | herald_id)"
[[ -n "$PENDING" && -n "$FAILED" && -n "$REFUSED" && -n "$RETRIED" && -n "$DEAD" && -n "$WAITING" && "$REFUSED" != "$RETRIED" ]] \
    || { echo "a connector request was not answered as expected" >&2; exit 1; }
wait_for "ct-fixture-pending's relay attempt" relay_is "$PENDING" pending
wait_for "ct-fixture-failed's relay attempt" relay_is "$FAILED" pending
wait_for "ct-fixture-retried's relay attempt" relay_is "$RETRIED" pending
wait_for "ct-fixture-dead's relay" relay_is "$DEAD" dead
wait_for "ct-fixture-waiting's acceptance" status_is "$WAITING" accepted
for id in $PENDING $RETRIED; do wait_for "$id delivered" status_is "$id" delivered; done
wait_for "ct-fixture-failed rejected" status_is "$FAILED" rejected undelivered failed
attempted() { [[ "$(api GET "/api/v1/connector/kaleyra/messages/$1" | jq -r '.relays[0].attempts')" -ge 1 ]]; }
for id in $PENDING $FAILED $RETRIED; do wait_for "$id's first relay attempt" attempted "$id"; done

# ------------------------------------------------------------ a clean stop, then the files
kill "$SLOW_PID"          # its reports (an hour away) never come
kill -TERM "$HERALD_PID"
wait "$HERALD_PID" || true
sqlite3 "$DATA/herald.db" 'VACUUM; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
[[ ! -s "$DATA/herald.db-wal" ]] || { echo "the WAL was not checkpointed" >&2; exit 1; }
cp "$DATA/herald.db" "$OUT_DB"
rm -rf "$OUT_KEYS"
mkdir -p "$OUT_KEYS"
cp "$DATA"/keys/*.xml "$OUT_KEYS/"
echo "wrote $OUT_DB ($(stat -c %s "$OUT_DB") bytes) and $OUT_KEYS from $COMMIT"
sqlite3 "$OUT_DB" "SELECT 'messages', COUNT(*) FROM messages UNION ALL SELECT 'connector_messages', COUNT(*) FROM connector_messages
    UNION ALL SELECT 'relays ' || status, COUNT(*) FROM connector_relays GROUP BY status
    UNION ALL SELECT 'callbacks', COUNT(*) FROM connector_callbacks;"
