# shellcheck shell=bash
# Helpers shared by the scripts under scripts/ (sourced, never run). Debian 12, bash.
#
# Package installs go through apt_install_missing so that every script installs the same way:
# one `apt-get update` only when something is missing, and service start-up blocked during the
# install (a policy-rc.d that exits 101), because Debian's postinst scripts would otherwise start
# a system Dovecot on *:143, Postfix on :25, Prometheus on :9090 and so on.

# What the mail peers (scripts/mail-peers/) and the metrics lint need:
#   postfix                       postfix itself, smtp-sink, smtp-source
#   dovecot-imapd, dovecot-lmtpd  Dovecot with IMAP and LMTP delivery
#   prometheus                    promtool (`promtool check metrics`)
#   procps                        ps, which scripts/mail-peers/stop.sh uses (not in minimal images)
#   socat, openssl                the SMTP TLS tests put a TLS front (socat) with a throw-away CA
#                                 (openssl) before smtp-sink; openssl also makes DKIM test keys
#                                 and the mail peers' private CA (Postfix's STARTTLS listener)
#   python3-dkim                  dkimpy, which verifies our DKIM signatures offline
# shellcheck disable=SC2034 # used by the scripts that source this file
MAILPEER_PACKAGES=(postfix dovecot-imapd dovecot-lmtpd prometheus procps socat openssl python3-dkim)

log() { printf '%s: %s\n' "${LOG_TAG:-outreachd}" "$*" >&2; }
die() { log "$*"; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT WHAT [TENTHS]: waits up to TENTHS/10 seconds (default 10 s) for a listener.
wait_port() {
  local i
  for ((i = 0; i < ${3:-100}; i++)); do
    port_open "$1" && return 0
    sleep 0.1
  done
  log "$2 did not open 127.0.0.1:$1"
  return 1
}

# True when the Debian package is installed (not merely known or half-configured).
pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# apt_install_missing PKG...: installs those of PKG that are not installed yet; no-op otherwise.
apt_install_missing() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}): run as root to install them"
  log "installing ${missing[*]}"
  local made_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  # Postfix asks debconf for a mailer type; "No configuration" leaves /etc/postfix alone (our
  # instance uses its own config directory).
  if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
        --no-install-recommends "${missing[@]}"
  } || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
}
