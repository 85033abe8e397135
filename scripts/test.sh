#!/usr/bin/env bash
# The project's test command: `bash scripts/test.sh` (as root, Debian 12; CI runs it too).
#
# 1. Services: PostgreSQL on 127.0.0.1:5432 (trust for user postgres) and Redis on
#    127.0.0.1:6379 are used if they answer, else started, else installed and started. Setting
#    OUTREACHD_TEST_PG_URL / OUTREACHD_TEST_REDIS_URL means "I run my own": nothing is done.
# 2. Mail peers (Dovecot IMAP+LMTP, Postfix, smtp-sink) are installed if missing, with promtool,
#    and started on free loopback ports; their ports are exported (see scripts/mail-peers/).
# 3. Checks, all of them even when one fails: cargo fmt --check, clippy -D warnings, doc tests,
#    every test target (cargo-nextest when installed, else cargo test), then Schemathesis
#    against the API's OpenAPI document (scripts/api-fuzz/run.sh). Tests that skipped
#    because a peer or tool was missing are listed at the end (under CI=true they fail instead).
# Whatever this run started is stopped on exit, failure or Ctrl-C included. Exit 0 only when
# every step passed. Packages are the only change it makes to the system, plus, only when it
# installed PostgreSQL itself, a pg_hba.conf line trusting user postgres on 127.0.0.1.
set -uo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=test.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. scripts/lib/common.sh

T_START=$SECONDS
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || die "cargo not found on PATH nor in ~/.cargo/bin (install Rust with rustup)"
[ "$(id -u)" = 0 ] || die "run as root: this installs and starts PostgreSQL, Redis and the mail peers"

# --- what this run started, undone by the EXIT trap -------------------------------------------
RUN_DIR=""          # per-run state: owner.pid, mail peers, Redis pid and log
started_pg=""       # PostgreSQL version whose cluster "main" this run started
started_redis=""    # PID of the redis-server this run started
started_peers=0
step_pid=""         # the running check, leader of its own process group

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$step_pid" ]; then
    log "stopping the running check"
    kill -TERM -- "-$step_pid" 2>/dev/null
    wait "$step_pid" 2>/dev/null
  fi
  if [ "$started_peers" = 1 ]; then
    log "stopping the mail peers"
    MAILPEERS_DIR="$RUN_DIR/mailpeers" bash scripts/mail-peers/stop.sh
  fi
  if [ -n "$started_redis" ]; then
    log "stopping redis-server ($started_redis)"
    kill -TERM "$started_redis" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$started_redis" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -n "$started_pg" ]; then
    log "stopping PostgreSQL $started_pg/main"
    pg_ctlcluster --skip-systemctl-redirect "$started_pg" main stop
  fi
  if [ -n "$RUN_DIR" ]; then
    # Keep the peers' logs of a failed run for a look; the next run removes them.
    if [ "$rc" = 0 ]; then rm -rf "$RUN_DIR"; else log "logs of this run: $RUN_DIR"; fi
  fi
  log "finished in $((SECONDS - T_START))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A run killed outright (SIGKILL, power loss) leaves its directory behind, and maybe its mail
# peers: stop those whose owner is gone, so re-running is always safe.
RUN_ROOT=${TMPDIR:-/tmp}
for d in "$RUN_ROOT"/outreachd-test.*; do
  [ -f "$d/owner.pid" ] || continue
  owner=$(tr -dc 0-9 < "$d/owner.pid")
  if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
  log "cleaning up after an earlier run: $d"
  MAILPEERS_DIR="$d/mailpeers" bash scripts/mail-peers/stop.sh > /dev/null
  rm -rf "$d"
done
RUN_DIR=$(mktemp -d "$RUN_ROOT/outreachd-test.XXXXXX") || die "cannot create a run directory"
chmod 755 "$RUN_DIR" # Dovecot's mail processes (user mail) walk through it to the maildirs
echo $$ > "$RUN_DIR/owner.pid"

# --- packages: one apt-get run for everything missing ----------------------------------------
manage_pg=0 manage_redis=0
[ -z "${OUTREACHD_TEST_PG_URL:-}" ] && manage_pg=1
[ -z "${OUTREACHD_TEST_REDIS_URL:-}" ] && manage_redis=1
pg_ready() {
  if command -v pg_isready > /dev/null; then pg_isready -q -h 127.0.0.1 -p 5432; else port_open 5432; fi
}
pg_installed() { compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null; }

packages=("${MAILPEER_PACKAGES[@]}")
installing_pg=0
if [ "$manage_pg" = 1 ] && ! pg_ready && ! pg_installed; then
  packages+=(postgresql)
  installing_pg=1
fi
if [ "$manage_redis" = 1 ] && ! port_open 6379 && ! command -v redis-server > /dev/null; then
  packages+=(redis-server)
fi
# Node and npm type-check the Grafana dashboard against @grafana/schema (tests/observability).
if ! command -v npm > /dev/null; then
  packages+=(nodejs npm)
fi
# The API fuzz check (scripts/api-fuzz) installs Schemathesis into a Python venv.
if ! command -v python3 > /dev/null || ! python3 -c 'import venv, ensurepip' 2> /dev/null; then
  packages+=(python3 python3-venv)
fi
command -v curl > /dev/null || packages+=(curl)
apt_install_missing "${packages[@]}"

# --- PostgreSQL -------------------------------------------------------------------------------
if [ "$manage_pg" = 1 ] && ! pg_ready; then
  version=$(find /etc/postgresql -mindepth 2 -maxdepth 2 -name main -printf '%h\n' 2> /dev/null |
    xargs -r -n1 basename | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    [ -n "$version" ] || die "PostgreSQL is installed but no server version was found"
    log "creating the PostgreSQL $version cluster main"
    pg_createcluster "$version" main || die "pg_createcluster $version main failed"
  fi
  if [ "$installing_pg" = 1 ]; then
    # Debian's default asks for a password on 127.0.0.1; the tests connect as postgres without
    # one. First match wins, so the line goes on top. Only for a server this script installed.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
      sed -i '1i host all postgres 127.0.0.1/32 trust # added by outreachd scripts/test.sh' "$hba"
    fi
  fi
  log "starting PostgreSQL $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "PostgreSQL did not start"
  started_pg=$version
  for _ in $(seq 1 300); do pg_ready && break; sleep 0.1; done
  pg_ready || die "PostgreSQL $version/main started but 127.0.0.1:5432 does not answer"
fi
export OUTREACHD_TEST_PG_URL=${OUTREACHD_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if command -v psql > /dev/null && ! psql "$OUTREACHD_TEST_PG_URL" -Atqc 'SELECT 1' > /dev/null; then
  die "cannot log in to $OUTREACHD_TEST_PG_URL; the tests need user postgres with trust auth on 127.0.0.1 (pg_hba.conf)"
fi
# Each test makes its own database; tests that stop a daemon mid-run can leave theirs behind,
# and a killed run leaves some too. Dropped before and after the run: dozens of leftover
# databases keep autovacuum busy and slowed the pipeline bench by about a fifth (measured once).
drop_test_databases() {
  command -v psql > /dev/null || return 0
  psql "$OUTREACHD_TEST_PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'outreachd\_test\_%'" |
    while read -r db; do
      psql "$OUTREACHD_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" > /dev/null 2>&1 || true
    done
}
drop_test_databases

# --- Redis ------------------------------------------------------------------------------------
if [ "$manage_redis" = 1 ] && ! port_open 6379; then
  log "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" ||
    die "redis-server did not start"
  wait_port 6379 redis-server || die "see $RUN_DIR/redis.log"
  for _ in $(seq 1 50); do [ -s "$RUN_DIR/redis.pid" ] && break; sleep 0.1; done
  started_redis=$(tr -dc 0-9 < "$RUN_DIR/redis.pid")
fi
export OUTREACHD_TEST_REDIS_URL=${OUTREACHD_TEST_REDIS_URL:-redis://127.0.0.1:6379}

# --- mail peers -------------------------------------------------------------------------------
export MAILPEERS_DIR="$RUN_DIR/mailpeers" MAILPEERS_AUTO_PORTS=1
started_peers=1 # set first: a half-started instance is stopped by the PID files it wrote
bash scripts/mail-peers/start.sh || die "the mail peers did not start"
# shellcheck source=/dev/null
. "$MAILPEERS_DIR/env.sh"

# --- dashboard schema checker (tests/observability): @grafana/schema and tsc, from the lock file
log "installing the dashboard schema checker (npm ci in dashboards/schema-check)"
(cd dashboards/schema-check && npm ci --no-audit --no-fund --loglevel=error) ||
  die "npm ci in dashboards/schema-check failed"

# --- the checks -------------------------------------------------------------------------------
summary=() failed=0
# A test that finds a peer or tool missing (and CI unset) skips and appends a line here
# (tests/support/skip.rs): the runner shows no output of passing tests.
export OUTREACHD_TEST_SKIPS="$RUN_DIR/skipped-tests"
# Each check runs in its own process group and the script waits for it, so that a signal runs
# the cleanup at once (bash defers traps while a foreground child runs) and stops the check's
# whole process tree (cargo does not pass signals on to the test binaries it runs).
step() { # name command...
  local name=$1 t0=$SECONDS rc=0
  shift
  log "== $name: $*"
  setsid "$@" &
  step_pid=$!
  wait "$step_pid" || rc=$?
  step_pid=""
  if [ "$rc" = 0 ]; then
    summary+=("ok    $name ($((SECONDS - t0))s)")
  else
    summary+=("FAIL  $name (exit $rc, $((SECONDS - t0))s)")
    failed=1
  fi
}
step docs bash scripts/check-docs.sh
step fmt cargo fmt --all -- --check
step clippy cargo clippy --locked --all-targets -- -D warnings
# Doc tests first: neither nextest nor `cargo test --all-targets` runs them, and the test
# runner's summary should be the last thing printed.
step doctests cargo test --locked --doc
if cargo nextest --version > /dev/null 2>&1; then
  step tests cargo nextest run --locked --all-targets --no-fail-fast
else
  step tests cargo test --locked --all-targets --no-fail-fast
fi
# Schemathesis against the served OpenAPI document: no 5xx, every answer as documented.
step api-fuzz bash scripts/api-fuzz/run.sh

drop_test_databases
if [ -s "$OUTREACHD_TEST_SKIPS" ]; then
  summary+=("skipped $(wc -l < "$OUTREACHD_TEST_SKIPS") tests, something they need is missing:")
  while IFS= read -r line; do summary+=("  ${line#SKIPPED }"); done < "$OUTREACHD_TEST_SKIPS"
fi
printf '%s\n' "test.sh summary:" "${summary[@]/#/  }" >&2
[ "$failed" = 0 ] || exit 1
