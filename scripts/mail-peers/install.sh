#!/usr/bin/env bash
# Installs what scripts/mail-peers/start.sh runs, and promtool for the metrics lint (the list
# is MAILPEER_PACKAGES in ../lib/common.sh): Debian 12, as root. Installs only the missing
# packages (apt-get update only then), with service start-up blocked so that no system Dovecot,
# Postfix or Prometheus starts listening.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=install-mail-peers
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

apt_install_missing "${MAILPEER_PACKAGES[@]}"
