#!/usr/bin/env bash
# The API load bench: `bash benches/api/run.sh` (PostgreSQL on 127.0.0.1, wrk installed:
# `apt-get install wrk`).
#
# On a fresh PostgreSQL database it applies config/examples/campaign.toml, imports
# API_BENCH_LEADS leads (default 100,000) into the example campaign (with the CLI, timed),
# starts the daemon (release build) and, for each read route below, runs wrk with
# API_BENCH_CONNECTIONS concurrent clients (default 50) for API_BENCH_SECONDS (default 20),
# printing requests per second and the latency percentiles wrk measures. When the daemon has
# the import-job route, it also times a whole import job over HTTP. The database is dropped
# at the end.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=api-bench
# shellcheck source-path=SCRIPTDIR/../../scripts source=../../scripts/lib/common.sh
. scripts/lib/common.sh

LEADS=${API_BENCH_LEADS:-100000}
CONNS=${API_BENCH_CONNECTIONS:-50}
SECONDS_EACH=${API_BENCH_SECONDS:-20}
ADMIN_URL=${OUTREACHD_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk > /dev/null || die "wrk is not installed (apt-get install wrk)"
command -v psql > /dev/null || die "psql is not installed"

cargo build --release --locked --quiet --bin outreachd || die "cargo build failed"
BIN=$ROOT/target/release/outreachd
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outreachd-api-bench.XXXXXX")
DB=outreachd_bench_api_$$
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2> /dev/null && wait "$daemon_pid" 2> /dev/null
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" > /dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" || die "cannot create database $DB"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export OUTREACHD__DATABASE__URL="${ADMIN_URL%/*}/$DB?sslmode=disable"
export OUTREACHD__SECURITY__ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
export OUTREACHD__DAEMON__DATA_DIR="$WORK/data"
export OUTREACHD__SERVER__HOST=127.0.0.1 OUTREACHD__SERVER__PORT=$PORT
export OUTREACHD__API__RATE_LIMIT="100000000/min"
export OUTREACHD__LOG__LEVEL=warn OUTREACHD__LOG__FORMAT=json
export ALICE_SMTP_PASSWORD=a ALICE_IMAP_PASSWORD=b BOB_PASSWORD=c CAROL_PASSWORD=d

"$BIN" apply -f config/examples/campaign.toml > /dev/null || die "apply failed"
python3 - "$LEADS" > "$WORK/leads.csv" << 'PY'
import sys
n = int(sys.argv[1])
print("email,first_name,last_name,company,title")
for i in range(n):
    print(f"lead{i}@bench{i % 997}.example,First{i},Last{i},Company {i % 5000},Title {i % 13}")
PY
t0=$(date +%s%N)
"$BIN" import-leads -w acme "$WORK/leads.csv" --campaign "Q4 outreach" > "$WORK/import.log" 2>&1 ||
  die "import failed: $(tail -n 5 "$WORK/import.log")"
t1=$(date +%s%N)
echo "CLI import of $LEADS leads with enrolment: $(((t1 - t0) / 1000000)) ms"

# Autovacuum analyses the new rows within a minute or so; do it now, so that the figures are
# the steady state's rather than a race with autovacuum. API_BENCH_ANALYZE=0 measures the
# minute right after a bulk import instead.
if [ "${API_BENCH_ANALYZE:-1}" = 1 ]; then
  psql "${ADMIN_URL%/*}/$DB" -qc ANALYZE || die "ANALYZE failed"
fi
TOKEN=$("$BIN" token create -w acme --role owner --name bench 2> /dev/null) || die "token create failed"
"$BIN" run > "$WORK/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
  sleep 0.1
done
BASE=http://127.0.0.1:$PORT/api/v1
auth=(-H "Authorization: Bearer $TOKEN")
campaign=$(curl -fsS "${auth[@]}" "$BASE/campaigns" 2> /dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])' 2> /dev/null)

routes=("/mailboxes" "/leads?limit=100" "/leads?limit=100&q=company%2042" "/leads?limit=100&q=last4217")
[ -n "$campaign" ] && routes+=("/campaigns/$campaign/stats" "/campaigns/$campaign/leads?limit=100")
printf '\n%-48s %10s %8s %8s %8s\n' route req/s p50 p90 p99
for route in "${routes[@]}"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$BASE$route")
  if [ "$status" != 200 ]; then
    printf '%-48s %s\n' "$route" "skipped: answers $status"
    continue
  fi
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "${auth[@]}" "$BASE$route")
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
  p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
  p90=$(awk '$1 == "90%" {print $2}' <<< "$out")
  p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<< "$out" | tr '\n' ' ')
  printf '%-48s %10s %8s %8s %8s %s\n' "$route" "$rps" "$p50" "$p90" "$p99" "$errors"
done

# The import job over HTTP, when the daemon has it.
status=$(curl -s -o "$WORK/job.json" -w '%{http_code}' "${auth[@]}" -F "file=@$WORK/leads.csv" "$BASE/leads/imports")
if [ "$status" = 202 ]; then
  job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/job.json")
  t0=$(date +%s%N)
  while :; do
    state=$(curl -fsS "${auth[@]}" "$BASE/imports/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case $state in completed | failed) break ;; esac
    sleep 0.2
  done
  t1=$(date +%s%N)
  echo
  echo "import job of $LEADS rows (all known already, so each is looked up): $state in $(((t1 - t0) / 1000000)) ms"
fi
