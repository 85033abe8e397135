#!/usr/bin/env bash
# The API fuzz check: `bash scripts/api-fuzz/run.sh` (scripts/test.sh runs it after the tests).
#
# Starts the daemon on a fresh SQLite database in a temp dir, gives it data (the example apply
# file, a few imported leads) and an owner's API token, then runs Schemathesis against the
# OpenAPI document the daemon serves: every operation with generated valid and invalid
# requests, checking that none answers 5xx and every answer matches the document (status,
# content type, headers, body schema), that requests the document forbids are refused, and the
# other stateful checks. Not that every request the document allows is accepted: the API's
# rules go beyond what a JSON schema says (an address must parse, a template must render, a
# referenced id must exist), so a schema-valid request may rightly get 422. The stateful phase
# (chains of calls inferred from the answers) is not run: it ignores the fixed parameters of
# schemathesis.toml, so its Run Now calls wait out the default timeout. Schemathesis comes from PyPI, pinned, into a venv under
# ~/.cache/outreachd (reused by later runs); hooks.py beside this script keeps generated
# Idempotency-Keys unique, as real clients make them. Needs python3 with venv (Debian:
# python3-venv).
#
# Environment: API_FUZZ_MAX_EXAMPLES (default 30 per operation), API_FUZZ_ARGS (more
# Schemathesis options, e.g. "--include-path-regex /leads"), API_FUZZ_KEEP=1 keeps the temp dir
# (daemon log, Schemathesis report).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=api-fuzz.sh
# shellcheck source-path=SCRIPTDIR/.. source=../lib/common.sh
. scripts/lib/common.sh

SCHEMATHESIS_VERSION=4.32.5
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/outreachd/schemathesis-$SCHEMATHESIS_VERSION
if [ ! -x "$VENV/bin/schemathesis" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
    die "pip install schemathesis failed"
fi

cargo build --locked --quiet --bin outreachd || die "cargo build failed"
BIN=$ROOT/target/debug/outreachd

WORK=$(mktemp -d "${TMPDIR:-/tmp}/outreachd-fuzz.XXXXXX") || die "mktemp failed"
daemon_pid=""
cleanup() {
  local rc=$?
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  if [ "$rc" = 0 ] && [ "${API_FUZZ_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export OUTREACHD__DATABASE__URL="sqlite://$WORK/fuzz.db"
export OUTREACHD__DAEMON__DATA_DIR="$WORK/data"
export OUTREACHD__SERVER__HOST=127.0.0.1 OUTREACHD__SERVER__PORT=$PORT
# Schemathesis sends thousands of requests with one token.
export OUTREACHD__API__RATE_LIMIT="1000000/min"
export OUTREACHD__LOG__FORMAT=json OUTREACHD__LOG__LEVEL=warn
export ALICE_SMTP_PASSWORD=fuzz-a ALICE_IMAP_PASSWORD=fuzz-b BOB_PASSWORD=fuzz-c CAROL_PASSWORD=fuzz-d

"$BIN" apply -f config/examples/campaign.toml > "$WORK/apply.log" || die "apply failed: $(cat "$WORK/apply.log")"
{
  echo "email,first_name,last_name,company"
  for i in $(seq 1 20); do echo "lead$i@example.com,Lead,Number$i,Company $i"; done
} > "$WORK/leads.csv"
"$BIN" import-leads -w acme "$WORK/leads.csv" --campaign "Q4 outreach" > "$WORK/import.log" ||
  die "import failed: $(cat "$WORK/import.log")"
TOKEN=$("$BIN" token create -w acme --role owner --name fuzz 2> /dev/null) || die "token create failed"

"$BIN" run > "$WORK/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || die "the daemon exited: $(tail -n 20 "$WORK/daemon.log")"
  sleep 0.1
done

# The ids of the seeded objects, for the routes that take one (schemathesis.toml).
first_id() { # path
  curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])'
}
OUTREACHD_FUZZ_CAMPAIGN=$(first_id /campaigns) || die "no campaign to fuzz with"
OUTREACHD_FUZZ_MAILBOX=$(first_id /mailboxes) || die "no mailbox to fuzz with"
OUTREACHD_FUZZ_LEAD=$(first_id /leads) || die "no lead to fuzz with"
OUTREACHD_FUZZ_PRODUCT=$(first_id /products) || die "no product to fuzz with"
export OUTREACHD_FUZZ_CAMPAIGN OUTREACHD_FUZZ_MAILBOX OUTREACHD_FUZZ_LEAD OUTREACHD_FUZZ_PRODUCT

log "schemathesis against http://127.0.0.1:$PORT/api/v1/openapi.json"
# Logging out would end the run's own token (tests/api/auth.rs covers it); Run Now waits up
# to a minute by design for sends that cannot happen here (tests/api/run_now.rs covers it).
# From the temp dir: Schemathesis keeps a cache in its working directory.
cd "$WORK" || die "cannot enter $WORK"
OUTREACHD_FUZZ_TOKEN=$TOKEN PYTHONPATH="$ROOT/scripts/api-fuzz" SCHEMATHESIS_HOOKS=hooks \
  "$VENV/bin/schemathesis" --config-file "$ROOT/scripts/api-fuzz/schemathesis.toml" \
  run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --exclude-path /api/v1/auth/logout \
  --exclude-path-regex '/run$' \
  --max-examples "${API_FUZZ_MAX_EXAMPLES:-30}" ${API_FUZZ_ARGS:-} \
  --workers 1 \
  --seed 1 \
  --no-color \
  --report junit --report-dir "$WORK/report"
rc=$?
if [ "$rc" != 0 ]; then
  log "daemon log (last 40 lines):"
  tail -n 40 "$WORK/daemon.log" >&2
fi
exit "$rc"
