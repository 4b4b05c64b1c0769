#!/usr/bin/env bash
# Runs every test in the repository: the command the README names and .ci/run executes.
#
# Works on a fresh Debian 12 machine with only the .NET SDK: it installs and starts a private PostgreSQL
# (scripts/postgres.sh, left running for the next run), builds the solution once in Release, runs every
# test project and prints, as its last line, "N passed, N failed, N skipped". It exits non-zero when the
# build fails, any test fails or no test ran.
#
# Output is streamed and also kept in artifacts/test/test.log; per-project TRX files in artifacts/test/trx.
set -euo pipefail

cd "$(dirname "$0")"
ROOT="$(pwd)"
OUT="$ROOT/artifacts/test"
LOG="$OUT/test.log"
TRX_DIR="$OUT/trx"
SOLUTION="Herald.slnx"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! command -v dotnet >/dev/null && [[ -x "$HOME/.dotnet/dotnet" ]]; then
  export PATH="$HOME/.dotnet:$PATH"
fi

rm -rf "$TRX_DIR"
mkdir -p "$OUT"
: >"$LOG"

say() { echo "test.sh: $*" | tee -a "$LOG"; }

# The last line is always the count, even when we stop early.
finish() {
  local passed=$1 failed=$2 skipped=$3 status=$4
  echo "$passed passed, $failed failed, $skipped skipped" | tee -a "$LOG"
  exit "$status"
}

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# apt-get update at most once per run, and only when something must be installed.
apt_update_once() {
  if [[ "${HERALD_APT_UPDATED:-}" != "1" ]]; then
    say "updating package lists (apt-get update)"
    DEBIAN_FRONTEND=noninteractive as_root apt-get update -qq || return 1
    export HERALD_APT_UPDATED=1
  fi
}

# ---------------------------------------------------------------- browser tests (Chromium)
# Browser tests (tests/Herald.Dashboard.Tests) need a real Chromium. Installed only when such a project
# exists; the path is exported for the tests as HERALD_TEST_CHROMIUM.
ensure_chromium() {
  local browser
  browser="$(command -v chromium || command -v chromium-browser || true)"
  if [[ -z "$browser" ]]; then
    apt_update_once || return 1
    say "installing Chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null || return 1
    browser="$(command -v chromium || command -v chromium-browser)" || return 1
  fi
  export HERALD_TEST_CHROMIUM="$browser"
  say "Chromium: $browser"
}

# ---------------------------------------------------------------- Kannel
# The Kannel end-to-end tests (tests/Herald.Tests/Kannel) run a real Kannel 1.4.5: Debian's kannel package (bearerbox, smsbox).
ensure_kannel() {
  if [[ -x /usr/sbin/bearerbox && -x /usr/sbin/smsbox ]]; then
    return 0
  fi
  apt_update_once || return 1
  say "installing Kannel for the Kannel end-to-end tests"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends kannel >/dev/null || return 1
  # The package starts its own bearerbox as a service; the tests start theirs on free ports, so leave the service alone.
  [[ -x /usr/sbin/bearerbox && -x /usr/sbin/smsbox ]]
}
# ---------------------------------------------------------------- Segment's Node.js client
# tests/Herald.Tests drives Segment's own library, @segment/analytics-node, against the real binary. Node.js comes from Debian
# when missing; the package is installed once into artifacts/segment-client (kept for the next run) and its folder exported
# as HERALD_TEST_SEGMENT_CLIENT.
SEGMENT_CLIENT_VERSION="3.1.0"
ensure_segment_client() {
  local dir="$ROOT/artifacts/segment-client"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_update_once || return 1
    say "installing Node.js for the Segment client test"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || return 1
  fi
  if [[ "$(node -p "require('$dir/node_modules/@segment/analytics-node/package.json').version" 2>/dev/null)" != "$SEGMENT_CLIENT_VERSION" ]]; then
    say "installing @segment/analytics-node@$SEGMENT_CLIENT_VERSION into $dir"
    mkdir -p "$dir"
    (cd "$dir" && [[ -f package.json ]] || echo '{"private": true}' >"$dir/package.json")
    npm install --prefix "$dir" --no-audit --no-fund --silent "@segment/analytics-node@$SEGMENT_CLIENT_VERSION" >>"$LOG" 2>&1 || return 1
  fi
  export HERALD_TEST_SEGMENT_CLIENT="$dir"
  say "Segment client: $dir (node $(node --version))"
}
if ! ensure_segment_client; then
  say "could not install Node.js or @segment/analytics-node for the Segment client test"
  finish 0 0 0 1
fi

# ---------------------------------------------------------------- PostgreSQL
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  apt_update_once || say "apt-get update failed; trying to install PostgreSQL anyway"
fi
if ! scripts/postgres.sh start 2>&1 | tee -a "$LOG"; then
  say "could not start PostgreSQL (scripts/postgres.sh start; server log in ${HERALD_PG_DIR:-/tmp/herald-pg}/postgres.log)"
  finish 0 0 0 1
fi
HERALD_TEST_POSTGRES="$(scripts/postgres.sh url)"
export HERALD_TEST_POSTGRES

if [[ -d tests/Herald.Dashboard.Tests ]] && ! ensure_chromium; then
  say "could not install Chromium for the browser tests"
  finish 0 0 0 1
fi

if [[ -d tests/Herald.Tests/Kannel ]] && ! ensure_kannel; then
  say "could not install Kannel for the Kannel end-to-end tests (apt-get install -y kannel)"
  finish 0 0 0 1
fi

# ---------------------------------------------------------------- build once
say "building $SOLUTION (Release)"
set +e
dotnet build "$SOLUTION" -c Release -nologo -v minimal --tl:off 2>&1 | tee -a "$LOG"
build_status=${PIPESTATUS[0]}
set -e
if [[ $build_status -ne 0 ]]; then
  say "the build failed (exit $build_status); no tests ran. Errors are above and in $LOG"
  finish 0 0 0 1
fi

# ---------------------------------------------------------------- known vulnerabilities
# `dotnet list package --vulnerable` asks each package source's VulnerabilityInfo resource. A source without one (an offline
# mirror) makes it report "no vulnerable packages" without having looked: so the resource is checked first, and when no source
# has it the check is reported as not run (a warning, not a failure: CI must not fail for lack of network). A vulnerable
# package fails the run. Output: artifacts/test/vulnerable.txt.
VULN_LOG="$OUT/vulnerable.txt"
vulnerable=0
fetch() {
  if command -v curl >/dev/null; then curl -fsSL --max-time 20 "$1"
  elif command -v wget >/dev/null; then wget -qO- --timeout=20 "$1"
  else return 127; fi
}
check_vulnerable() {
  local sources=() source with_data=()
  mapfile -t sources < <(dotnet nuget list source --format short 2>/dev/null | awk '$1 ~ /^E/ && $2 ~ /^https?:/ { print $2 }')
  for source in "${sources[@]}"; do
    if fetch "$source" 2>/dev/null | grep -q '"VulnerabilityInfo'; then
      with_data+=("$source")
    fi
  done
  if [[ ${#with_data[@]} -eq 0 ]]; then
    say "WARNING: known-vulnerability check NOT run: no package source offers NuGet's vulnerability database (VulnerabilityInfo) from here (sources: ${sources[*]:-none}; offline or a mirror). Run 'dotnet list package --vulnerable --include-transitive' where nuget.org is reachable."
    echo "not run: no source with a VulnerabilityInfo resource (sources: ${sources[*]:-none})" >"$VULN_LOG"
    return 0
  fi
  say "checking packages for known vulnerabilities (vulnerability data from: ${with_data[*]})"
  local status=0
  dotnet list "$SOLUTION" package --vulnerable --include-transitive >"$VULN_LOG" 2>&1 || status=$?
  cat "$VULN_LOG" >>"$LOG"
  if [[ $status -ne 0 ]]; then
    say "WARNING: the known-vulnerability check could not run (exit $status; see $VULN_LOG); not failing the run for it"
  elif grep -q "has the following vulnerable packages" "$VULN_LOG"; then
    grep -E "^\s*(>|Project|\[)" "$VULN_LOG" | tee -a "$LOG" || true
    say "known vulnerable packages (above; all of it in $VULN_LOG): update them in Directory.Packages.props"
    vulnerable=1
  else
    say "no known vulnerable packages"
  fi
}
check_vulnerable

# ---------------------------------------------------------------- run every test project
say "running the tests"
set +e
# --report-xunit-trx: every test project is xUnit v3 (tests/Directory.Build.props); one TRX per project.
# Purpose=docs marks explicit tools that regenerate docs/ evidence (screenshots, report JSON), not tests: left out, not skipped.
dotnet test --solution "$SOLUTION" -c Release --no-build --no-ansi --no-progress \
  --results-directory "$TRX_DIR" --report-xunit-trx -- --filter-not-trait "Purpose=docs" 2>&1 | tee -a "$LOG"
test_status=${PIPESTATUS[0]}
set -e

# ---------------------------------------------------------------- results
# Per project, from the TRX counters.
trx_attr() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2"; }
trx_total=0 trx_passed=0 trx_failed=0 trx_skipped=0
echo | tee -a "$LOG"
say "results per project:"
shopt -s nullglob
for trx in "$TRX_DIR"/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)"
  project="$(grep -o 'codeBase="[^"]*"' "$trx" | head -n 1 | sed 's/.*[\/\\]//; s/\.dll"$//' || true)"
  total="$(trx_attr total "$counters")"; passed="$(trx_attr passed "$counters")"
  failed="$(trx_attr failed "$counters")"; skipped="$(trx_attr notExecuted "$counters")"
  total=${total:-0} passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
  printf '  %-32s %5d passed, %d failed, %d skipped\n' "${project:-$(basename "$trx")}" "$passed" "$failed" "$skipped" | tee -a "$LOG"
  trx_total=$((trx_total + total)) trx_passed=$((trx_passed + passed))
  trx_failed=$((trx_failed + failed)) trx_skipped=$((trx_skipped + skipped))
done
shopt -u nullglob

# Totals from dotnet test's own "Test run summary" (it also counts projects that crashed before writing a TRX).
read -r total failed passed skipped < <(awk '
  /Test run summary:/ { found = 1; t = f = p = s = 0 }
  found && $1 == "total:" { t = $2 } found && $1 == "failed:" { f = $2 }
  found && $1 == "succeeded:" { p = $2 } found && $1 == "skipped:" { s = $2 }
  END { if (found) print t, f, p, s; else print "-", "-", "-", "-" }' "$LOG")
if [[ "$total" == "-" ]]; then
  say "dotnet test printed no summary; using the TRX counts"
  total=$trx_total failed=$trx_failed passed=$trx_passed skipped=$trx_skipped
elif [[ "$total" != "$trx_total" || "$failed" != "$trx_failed" ]]; then
  say "note: the TRX files count $trx_total tests ($trx_failed failed); a project may have crashed before reporting"
fi

status=0
if [[ $test_status -ne 0 ]]; then
  say "dotnet test exited with $test_status (see $LOG)"
  status=1
fi
if [[ $failed -gt 0 ]]; then
  status=1
fi
if [[ $total -eq 0 ]]; then
  say "no tests ran"
  status=1
fi
if [[ $vulnerable -ne 0 ]]; then
  say "failing: known vulnerable packages (see $VULN_LOG)"
  status=1
fi
finish "$passed" "$failed" "$skipped" "$status"
