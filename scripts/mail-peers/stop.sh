#!/usr/bin/env bash
# Stops everything scripts/mail-peers/start.sh started, by the PIDs it recorded in
# $MAILPEERS_DIR/pids. SIGTERM to the Dovecot/Postfix master makes it stop its children; the
# masters call setsid(), so any leftover child is found by session id (= master PID) and killed
# by PID. MAILPEERS_WIPE=1 also deletes $MAILPEERS_DIR (maildirs, logs). Safe to run twice.
set -uo pipefail
D=${MAILPEERS_DIR:-/tmp/outreachd-mailpeers}
[ -d "$D/pids" ] || { echo "stop-mail-peers: nothing to stop ($D/pids missing)"; exit 0; }

# Zombies count as gone: if nothing reaps orphans promptly (PID 1 in a container), a dead
# daemon lingers as <defunct> and kill -0 still succeeds.
alive() { case "$(ps -o stat= -p "$1" 2>/dev/null)" in "" | Z*) return 1 ;; esac; }
session_pids() { ps -eo pid=,sid=,stat= | awk -v s="$1" '$2==s && $3 !~ /^Z/ {print $1}'; }
stop_pid() { # name pid
  local name=$1 pid=$2 left="" t0
  t0=$(date +%s%N)
  if alive "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && { echo "  $name: $pid ignored SIGTERM, SIGKILL"; kill -KILL "$pid"; }
  else
    echo "  $name: $pid was not running"
  fi
  for _ in $(seq 1 50); do left=$(session_pids "$pid"); [ -z "$left" ] && break; sleep 0.1; done
  # shellcheck disable=SC2086 # one PID per word
  [ -n "$left" ] && { echo "  $name: killing leftover children" $left; kill -KILL $left 2>/dev/null; }
  echo "  $name ($pid) stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
}
for f in "$D"/pids/sink-*.pid "$D"/pids/postfix.pid "$D"/pids/dovecot.pid; do
  [ -e "$f" ] || continue
  pid=$(tr -dc 0-9 < "$f")
  [ -n "$pid" ] && stop_pid "$(basename "$f" .pid)" "$pid"
  rm -f "$f"
done
if [ "${MAILPEERS_WIPE:-0}" = 1 ] && [ -e "$D/.mailpeers" ]; then rm -rf "$D"; fi
exit 0
