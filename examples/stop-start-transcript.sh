#!/usr/bin/env bash
# STOP/START against the real binary: `herald simulate` (its Kaleyra face delivers the person's messages and takes Herald's
# sends) and `herald serve` on a fresh SQLite data folder, driven with curl. Prints each request and Herald's answer,
# shortened with jq: a campaign sent → inbound STOP → suppression (reason opt-out) → confirmation recorded → the next
# campaign skips the number (reason suppressed) → START → resubscribed → the next campaign sends. docs/inbound.md shows a run.
#
#   examples/stop-start-transcript.sh        # uses src/Herald/bin/Release/net10.0/herald (dotnet build -c Release first)
#
# Needs curl, jq and python3 (for free ports). Ends non-zero if a step does not give the answer the flow expects.
set -euo pipefail
cd "$(dirname "$0")/.."
HERALD="${HERALD:-src/Herald/bin/Release/net10.0/herald}"
WORK="$(mktemp -d /tmp/herald-stop-start.XXXXXX)"
KEY="hk_transcript_0123456789abcdef"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIM="http://127.0.0.1:$(free_port)"
URL="http://127.0.0.1:$(free_port)"
PERSON="+4915155000000"
OUR_NUMBER="+4930901820"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$HERALD" simulate --urls "$SIM" --api-key kaleyra-api-key --sid HXIN0000000001 --delivery-rate 1 --dlr-delay 00:00:00.200 --seed 3 >"$WORK/simulate.log" 2>&1 &
PIDS+=($!)
# Three campaigns to one number in a minute: the default caps (1 mkt per 4 h, 3 per 24 h) would skip the third for
# frequency-cap, so this run allows 10 per hour.
HERALD_API_KEY="$KEY" Herald__Dispatch__PollInterval=00:00:00.100 Herald__Campaigns__PollInterval=00:00:00.100 \
  Herald__Policy__FrequencyCaps__0__Count=10 Herald__Policy__FrequencyCaps__0__Window=01:00:00 \
  "$HERALD" serve --urls "$URL" --data-dir "$WORK/data" --allow-insecure-loopback >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -sf "$URL/healthz" >/dev/null && curl -sf "$SIM/_sim/stats" >/dev/null && break; sleep 0.2; done

api() { # api METHOD PATH [JSON]: Herald's API with the key
  if [[ $# -ge 3 ]]; then curl -sS -X "$1" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$3" "$URL$2"
  else curl -sS -X "$1" -H "Authorization: Bearer $KEY" "$URL$2"; fi
}
say() { printf '%s\n' "$*"; }
shorten() { sed -E "s#$URL#http://herald#g; s#$SIM#http://simulator#g; s#/inbound/(prv_[^/\"]{0,6})[^/\"]*/[^\"]*#/inbound/\1…/…#g"; }
expect() { # expect JQ-FILTER JSON: fail unless the filter is true
  if [[ "$(jq -r "$1" <<<"$2")" != "true" ]]; then say "UNEXPECTED: $1 on $2" >&2; exit 1; fi
}
wait_for() { # wait_for PATH JQ-FILTER: poll a GET until the filter is true; prints the answer
  local answer
  for _ in $(seq 1 150); do
    answer="$(api GET "$1")"
    [[ "$(jq -r "$2" <<<"$answer")" == "true" ]] && { printf '%s' "$answer"; return; }
    sleep 0.2
  done
  say "TIMEOUT: $2 on GET $1: $answer" >&2; exit 1
}

PROVIDER="$(api POST /api/v1/providers "$(jq -nc --arg host "$SIM" '{nickname:"Kaleyra", kind:"kaleyra",
  settings:{apiKey:"kaleyra-api-key", sid:"HXIN0000000001", host:$host, allowCustomHost:true, sender:"KLRHXA"}}')")"
INBOUND_URL="$(jq -r .inboundUrl <<<"$PROVIDER")"
CONTACT="$(api POST /api/v1/contacts "$(jq -nc --arg p "$PERSON" '{phone:$p, consent:{promotional:true}}')")"
CONTACT_ID="$(jq -r .id <<<"$CONTACT")"
say "# herald serve + herald simulate; provider Kaleyra (inboundUrl $(shorten <<<"$INBOUND_URL")); contact $CONTACT_ID $PERSON, promotional consent granted"

campaign() { # campaign NAME: create, launch, wait for it to complete; prints the report
  local id report
  say ""
  say "POST /api/v1/campaigns {\"name\":\"$1\",\"allContacts\":true,\"type\":\"mkt\",\"body\":\"$1: 20% off\",\"sender\":\"KLRHXA\"}"
  id="$(api POST /api/v1/campaigns "$(jq -nc --arg n "$1" '{name:$n, allContacts:true, type:"mkt", body:($n + ": 20% off"), sender:"KLRHXA"}')" | jq -r .id)"
  say "POST /api/v1/campaigns/$id/launch → $(api POST "/api/v1/campaigns/$id/launch" | jq -c '{status}')"
  report="$(wait_for "/api/v1/campaigns/$id/report" '.campaign.status == "completed"')"
  say "GET  /api/v1/campaigns/$id/report → $(jq -c '{status:.campaign.status, recipients, skippedByReason}' <<<"$report")"
  CAMPAIGN_REPORT="$report"
}

inbound() { # inbound TEXT ID: the simulator's Kaleyra face forwards the person's message to Herald
  local result
  say ""
  say "POST simulator /_sim/inbound {\"url\":\"<inboundUrl>\",\"from\":\"$PERSON\",\"to\":\"$OUR_NUMBER\",\"text\":\"$1\",\"id\":\"$2\"}"
  say "  (the simulator posts Kaleyra's form to Herald: sender=${PERSON#+}&receiver=${OUR_NUMBER#+}&message=$1&id=$2&created_at=…)"
  result="$(curl -sS -H 'Content-Type: application/json' -d "$(jq -nc --arg u "$INBOUND_URL" --arg f "$PERSON" --arg t "$OUR_NUMBER" --arg x "$1" --arg i "$2" \
    '{url:$u, from:$f, to:$t, text:$x, id:$i}')" "$SIM/_sim/inbound")"
  INBOUND="$(jq -r .body <<<"$result" | jq -c '.messages[0]')"
  say "→ Herald $(jq -r .status <<<"$result") $(jq -c '{id, from, text, keyword, messageId, replyMessageId, note}' <<<"$INBOUND")"
}

confirmation() { # the confirmation Herald sent for the last inbound message, once delivered
  local id message
  id="$(jq -r .replyMessageId <<<"$INBOUND")"
  message="$(wait_for "/api/v1/messages/$id" '.status == "delivered"')"
  say "GET  /api/v1/messages/$id → $(jq -c '{to, type, source, provider:.provider.nickname, status, body}' <<<"$message")"
}

suppression() {
  local answer
  answer="$(api GET "/api/v1/suppressions?phone=%2B${PERSON#+}")"
  say "GET  /api/v1/suppressions?phone=%2B${PERSON#+} → $(jq -c '[.items[] | {phone, reason, categories, source}]' <<<"$answer")"
  SUPPRESSION="$answer"
}

delivered() { # the last campaign's message to the person, once delivered
  local sent
  sent="$(wait_for "/api/v1/messages?to=%2B${PERSON#+}&campaign=$(jq -r .campaign.id <<<"$CAMPAIGN_REPORT")" '.items[0].status == "delivered"')"
  say "GET  /api/v1/messages?to=%2B${PERSON#+}&campaign=$(jq -r .campaign.id <<<"$CAMPAIGN_REPORT") → $(jq -c '[.items[] | {id, status, body}]' <<<"$sent")"
}

campaign "Winter sale"
expect '.recipients.queued == 1' "$CAMPAIGN_REPORT"
delivered

inbound "STOP" "kal-in-1001"
expect '.keyword == "stop"' "$INBOUND"
suppression
expect '.items[0].reason == "opt-out"' "$SUPPRESSION"
confirmation
say "GET  /api/v1/contacts/$CONTACT_ID → $(api GET "/api/v1/contacts/$CONTACT_ID" | jq -c '{phone, consent:{promotional:.consent.promotional.granted}}')"

campaign "Spring sale"
expect '.skippedByReason.suppressed == 1' "$CAMPAIGN_REPORT"

inbound "start" "kal-in-1002"
expect '.keyword == "start"' "$INBOUND"
suppression
expect '.items == []' "$SUPPRESSION"
confirmation
say "GET  /api/v1/contacts/$CONTACT_ID → $(api GET "/api/v1/contacts/$CONTACT_ID" | jq -c '{phone, consent:{promotional:.consent.promotional.granted}}')"

campaign "Summer sale"
expect '.recipients.queued == 1' "$CAMPAIGN_REPORT"
delivered

say ""
say "GET  /api/v1/inbound?from=%2B${PERSON#+} → $(api GET "/api/v1/inbound?from=%2B${PERSON#+}" | jq -c '[.items[] | {text, keyword, replyMessageId}]')"
