#!/usr/bin/env bash
# The README's first command: build outreachd and run it on the embedded SQLite default.
#
#   bash scripts/run.sh            # the demo: a seeded workspace sends a 3-step sequence from
#                                  # 2 mailboxes into ./data/demo/outbox/, then exits
#   bash scripts/run.sh run        # the daemon itself (HTTP on 127.0.0.1:8080), until Ctrl-C
#   bash scripts/run.sh ARGS...    # any outreachd command
#
# Needs no database server: data lives in ./data/. Installs a Rust toolchain with rustup when
# none is found (Debian's own rustc is too old for this crate). PROFILE=dev builds faster.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=run.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. scripts/lib/common.sh

if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  log "no Rust toolchain found: installing one with rustup (needs internet access)"
  if [ "$(id -u)" = 0 ]; then
    apt_install_missing curl ca-certificates build-essential
  fi
  command -v curl >/dev/null || die "curl is needed to install Rust (apt-get install curl)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain 1.95
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cc >/dev/null && [ "$(id -u)" = 0 ]; then
  apt_install_missing build-essential
fi

profile=${PROFILE:-release}
log "building outreachd ($profile profile; the first build takes a few minutes)"
cargo build --locked --profile "$profile" --bin outreachd
dir=target/$([ "$profile" = dev ] && echo debug || echo "$profile")
[ $# -gt 0 ] || set -- demo
exec "$dir/outreachd" "$@"
