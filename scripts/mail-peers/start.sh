#!/usr/bin/env bash
# Starts loopback-only mail peers for the integration tests (Debian 12, as root; packages:
# scripts/mail-peers/install.sh). Nothing under /etc is modified; every server listens on
# 127.0.0.1 only.
#
#   Dovecot   IMAP  127.0.0.1:$IMAP_PORT, plain IMAP, LOGIN/AUTH PLAIN allowed
#             LMTP  127.0.0.1:$LMTP_PORT and unix:$D/dovecot/run/lmtp
#   Postfix   SMTP  127.0.0.1:$SMTP_PORT     AUTH PLAIN/LOGIN offered, optional
#             SMTP  127.0.0.1:$SUBMIT_PORT   AUTH required (RCPT rejected without it)
#             SMTP  127.0.0.1:$STARTTLS_PORT STARTTLS then AUTH required; certificate for
#                   localhost/127.0.0.1 from a private CA ($D/tls/ca.pem, MAILPEERS_CA)
#             mail for @$DOMAIN -> Dovecot LMTP; other domains rejected at RCPT (550 5.7.1)
#             SMTP  127.0.0.1:$DISCARD_PORT  real AUTH optional, accepts any rcpt, discards it
#   smtp-sink 127.0.0.1:$SINK_PORT accept+discard, $SINK_TEMPFAIL_PORT 4xx on RCPT,
#             $SINK_PERMFAIL_PORT 5xx on RCPT (smtp-sink fakes AUTH: it answers "250", not "235";
#             SINK_OPTS=-a hides AUTH)
#
# Ports: each *_PORT variable is a number, "auto" (a free port is picked) or "" (skip that
# listener; sinks only). Unset ones default to the fixed ports below, or to "auto" when
# MAILPEERS_AUTO_PORTS=1 (what scripts/test.sh uses, so runs never collide).
# Users: <name>@$DOMAIN for name in $MAILPEERS_USERS, password $MAILPEERS_PASSWORD.
# State (configs, maildirs, logs, pid files, env.sh) lives in $MAILPEERS_DIR, which must not
# exist or be a previous instance's (it is wiped on every start). `source $MAILPEERS_DIR/env.sh`
# exports the ports; scripts/mail-peers/stop.sh stops everything by PID.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=start-mail-peers
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

D=${MAILPEERS_DIR:-/tmp/outreachd-mailpeers}
case "$D" in /*) ;; *) D=$PWD/$D ;; esac # the generated configs need absolute paths
DOMAIN=${MAILPEERS_DOMAIN:-example.test}
USERS=${MAILPEERS_USERS:-"sender1 sender2 sender3 recipient1 recipient2 recipient3"}
PASS=${MAILPEERS_PASSWORD:-secret}
if [ "${MAILPEERS_AUTO_PORTS:-0}" = 1 ]; then
  IMAP_PORT=${IMAP_PORT-auto} LMTP_PORT=${LMTP_PORT-auto} SMTP_PORT=${SMTP_PORT-auto}
  SUBMIT_PORT=${SUBMIT_PORT-auto} DISCARD_PORT=${DISCARD_PORT-auto} SINK_PORT=${SINK_PORT-auto}
  STARTTLS_PORT=${STARTTLS_PORT-auto}
  SINK_TEMPFAIL_PORT=${SINK_TEMPFAIL_PORT-auto} SINK_PERMFAIL_PORT=${SINK_PERMFAIL_PORT-auto}
fi
IMAP_PORT=${IMAP_PORT:-1143}
LMTP_PORT=${LMTP_PORT:-24}
SMTP_PORT=${SMTP_PORT:-2525}
SUBMIT_PORT=${SUBMIT_PORT:-2587}
STARTTLS_PORT=${STARTTLS_PORT:-2588}
DISCARD_PORT=${DISCARD_PORT:-2529}
SINK_PORT=${SINK_PORT-2526}
SINK_TEMPFAIL_PORT=${SINK_TEMPFAIL_PORT-2527}
SINK_PERMFAIL_PORT=${SINK_PERMFAIL_PORT-2528}
SINK_OPTS=${SINK_OPTS:-} # extra smtp-sink options for all sinks, e.g. "-a" or "-w 1"

# "auto" ports: free ones below Linux's ephemeral range (32768+), so an outgoing connection's
# local port cannot take one between this check and the daemon's bind.
picked=" "
free_port() {
  local p=$((15000 + RANDOM % 15000)) i
  for ((i = 0; i < 2000; i++, p++)); do
    ((p < 32000)) || p=15000
    case "$picked" in *" $p "*) continue ;; esac
    port_open "$p" && continue
    echo "$p"
    return 0
  done
  die "no free port found"
}
for v in IMAP_PORT LMTP_PORT SMTP_PORT SUBMIT_PORT STARTTLS_PORT DISCARD_PORT SINK_PORT SINK_TEMPFAIL_PORT SINK_PERMFAIL_PORT; do
  if [ "${!v}" = auto ]; then
    p=$(free_port)
    picked="$picked$p "
    printf -v "$v" '%s' "$p"
  fi
done

t0=$(date +%s.%N)
on_err() {
  echo "start-mail-peers: FAILED; last log lines follow; run scripts/mail-peers/stop.sh to clean up" >&2
  tail -n 20 "$D"/dovecot/startup.log "$D"/dovecot/dovecot.log "$D"/postfix/maillog "$D"/postfix/start.log "$D"/sink/*.log >&2 2>/dev/null
}
trap on_err ERR
[ "$(id -u)" = 0 ] || { echo "start-mail-peers: must run as root" >&2; exit 1; }
for b in dovecot postfix smtp-sink; do
  command -v "$b" >/dev/null || { echo "start-mail-peers: $b not installed (run scripts/mail-peers/install.sh)" >&2; exit 1; }
done

wait_file() {
  local i; for i in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.05; done
  echo "start-mail-peers: $1 did not appear" >&2; return 1
}

# --- refuse to clobber a live instance, then start from a clean directory ---
if [ -e "$D" ]; then
  [ -e "$D/.mailpeers" ] || { echo "start-mail-peers: $D exists and is not ours" >&2; exit 1; }
  for f in "$D"/pids/*.pid; do
    [ -e "$f" ] || continue
    if kill -0 "$(tr -dc 0-9 < "$f")" 2>/dev/null; then
      echo "start-mail-peers: already running ($f); run scripts/mail-peers/stop.sh first" >&2; exit 1
    fi
  done
  rm -rf "$D"
fi
for p in $IMAP_PORT $LMTP_PORT $SMTP_PORT $SUBMIT_PORT $STARTTLS_PORT $DISCARD_PORT $SINK_PORT $SINK_TEMPFAIL_PORT $SINK_PERMFAIL_PORT; do
  if port_open "$p"; then echo "start-mail-peers: 127.0.0.1:$p already in use" >&2; exit 1; fi
done

mkdir -p "$D"/{pids,dovecot,mail,postfix/etc,sink}
touch "$D/.mailpeers"
chmod 755 "$D" "$D/mail"

# --- users: one passwd-file for Dovecot, one recipient map for Postfix ---
MUID=$(id -u mail); MGID=$(id -g mail)      # Debian's "mail" user (8:8) owns the maildirs
: > "$D/dovecot/users"; : > "$D/postfix/etc/vmailbox"
for u in $USERS; do
  echo "$u@$DOMAIN:{PLAIN}$PASS:$MUID:$MGID::$D/mail/$DOMAIN/$u::" >> "$D/dovecot/users"
  echo "$u@$DOMAIN OK" >> "$D/postfix/etc/vmailbox"
done
chown root:dovecot "$D/dovecot/users"; chmod 640 "$D/dovecot/users"
chown -R mail:mail "$D/mail"

# --- Dovecot ---
cat > "$D/dovecot/dovecot.conf" <<EOF
# generated by scripts/mail-peers/start.sh
instance_name = mailpeers
base_dir = $D/dovecot/run
state_dir = $D/dovecot/state
log_path = $D/dovecot/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# failed logins are still answered after ~0.5s (Dovecot's 500 ms failure-flush timer)
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = $MUID
first_valid_gid = $MGID
mail_location = maildir:~/Maildir
mail_fsync = never
recipient_delimiter = +
postmaster_address = postmaster@$DOMAIN
verbose_proctitle = yes
protocol imap {
  mail_max_userip_connections = 500
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/dovecot/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service auth {
  # SASL socket for Postfix smtpd (smtpd_sasl_type = dovecot)
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  # no per-IP auth penalty (2..15s after failed logins; Postfix SASL is not "trusted")
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  # imap/lmtp run as the "mail" user, which is not in group dovecot
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
# stdio must not be inherited: the daemons keep fd 0-2 open, so a CI step that pipes
# or captures this script's output would otherwise wait forever
dovecot -c "$D/dovecot/dovecot.conf" < /dev/null >> "$D/dovecot/startup.log" 2>&1
wait_port "$IMAP_PORT" dovecot-imap
wait_port "$LMTP_PORT" dovecot-lmtp
wait_file "$D/dovecot/run/auth-postfix"
wait_file "$D/dovecot/run/master.pid"
cp "$D/dovecot/run/master.pid" "$D/pids/dovecot.pid"
t1=$(date +%s.%N)

# --- a private CA and a certificate for localhost/127.0.0.1 (Postfix's STARTTLS listener) ---
# ECDSA keys: fast to make. The leaf is not a CA (webpki refuses a CA as an end entity).
TLS=$D/tls
mkdir -p "$TLS"
(
  cd "$TLS"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -subj "/CN=mailpeers test CA" -days 7 -out ca.pem
  openssl ecparam -name prime256v1 -genkey -noout -out server.key
  openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
    -extfile server.ext -out server.pem
) > "$D/tls.log" 2>&1 < /dev/null
chmod 644 "$TLS/ca.pem" "$TLS/server.pem"

# --- Postfix (own config dir, queue dir, data dir, log file; no chroot) ---
PF=$D/postfix/etc
mkdir -p "$D/postfix/spool" "$D/postfix/data"   # postfix creates the queue subdirs, not these
chown postfix:postfix "$D/postfix/data"
cat > "$PF/main.cf" <<EOF
# generated by scripts/mail-peers/start.sh
compatibility_level = 3.6
queue_directory = $D/postfix/spool
data_directory = $D/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $D/postfix/maillog
maillog_file_prefixes = $D
myhostname = mx.$DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PF/vmailbox
virtual_transport = lmtp:unix:$D/dovecot/run/lmtp
default_transport = error:5.7.1 outbound delivery disabled on test peer
relay_transport = \$default_transport
smtpd_banner = \$myhostname ESMTP mailpeers
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/dovecot/run/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
# tests: no 1s tarpit after each rejected command
smtpd_error_sleep_time = 0
biff = no
append_dot_mydomain = no
readme_directory = no
EOF
cat > "$PF/master.cf" <<EOF
# service              type  private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT    inet  n       -      n      -      -       smtpd
127.0.0.1:$SUBMIT_PORT  inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$STARTTLS_PORT inet n       -      n      -      -       smtpd
  -o syslog_name=postfix/submission-tls
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_tls_cert_file=$TLS/server.pem
  -o smtpd_tls_key_file=$TLS/server.key
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$DISCARD_PORT inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/discard
  -o smtpd_reject_unlisted_recipient=no
  -o content_filter=discard:
pickup     unix  n  -  n  60   1  pickup
cleanup    unix  n  -  n  -    0  cleanup
qmgr       unix  n  -  n  300  1  qmgr
rewrite    unix  -  -  n  -    -  trivial-rewrite
bounce     unix  -  -  n  -    0  bounce
defer      unix  -  -  n  -    0  bounce
trace      unix  -  -  n  -    0  bounce
verify     unix  -  -  n  -    1  verify
flush      unix  n  -  n  1000? 0 flush
proxymap   unix  -  -  n  -    -  proxymap
proxywrite unix  -  -  n  -    1  proxymap
smtp       unix  -  -  n  -    -  smtp
relay      unix  -  -  n  -    -  smtp
showq      unix  n  -  n  -    -  showq
error      unix  -  -  n  -    -  error
retry      unix  -  -  n  -    -  error
discard    unix  -  -  n  -    -  discard
lmtp       unix  -  -  n  -    -  lmtp
anvil      unix  -  -  n  -    1  anvil
scache     unix  -  -  n  -    1  scache
postlog    unix-dgram n - n -  1  postlogd
tlsmgr     unix  -  -  n  1000? 1 tlsmgr
EOF
postfix -c "$PF" start < /dev/null >> "$D/postfix/start.log" 2>&1
wait_port "$SMTP_PORT" postfix-smtpd
wait_port "$SUBMIT_PORT" postfix-submission
wait_port "$STARTTLS_PORT" postfix-submission-tls
wait_port "$DISCARD_PORT" postfix-discard
wait_file "$D/postfix/spool/pid/master.pid"
tr -dc 0-9 < "$D/postfix/spool/pid/master.pid" > "$D/pids/postfix.pid"
t2=$(date +%s.%N)

# --- smtp-sink instances (foreground programs; setsid detaches them from the CI job).
# The inner sh writes its own PID and then execs smtp-sink, so the PID file is right
# even when setsid has to fork (it does when run from a job-control shell).
start_sink() {  # name port [smtp-sink options...]
  local name=$1 port=$2; shift 2
  [ -n "$port" ] || return 0
  # shellcheck disable=SC2086,SC2016 # SINK_OPTS splits into words; $$ is the inner sh's
  setsid sh -c 'echo $$ > "$0"; shift; exec "$@"' "$D/pids/sink-$name.pid" _ \
    smtp-sink -4 -u postfix -h "sink-$name" $SINK_OPTS "$@" "127.0.0.1:$port" 256 \
    < /dev/null >> "$D/sink/$name.log" 2>&1 &
  wait_port "$port" "smtp-sink-$name"
}
start_sink discard  "$SINK_PORT"
start_sink tempfail "$SINK_TEMPFAIL_PORT" -r RCPT -b "451 4.3.0 mailpeers: temporary failure"
start_sink permfail "$SINK_PERMFAIL_PORT" -f RCPT -B "550 5.1.1 mailpeers: user unknown"
t3=$(date +%s.%N)

{
  printf 'export MAILPEERS_HOST=127.0.0.1 MAILPEERS_DIR=%q MAILPEERS_DOMAIN=%q MAILPEERS_PASSWORD=%q\n' \
    "$D" "$DOMAIN" "$PASS"
  printf 'export MAILPEERS_USERS=%q\n' "$USERS"
  printf 'export MAILPEERS_CA=%q\n' "$TLS/ca.pem"
  for v in IMAP_PORT LMTP_PORT SMTP_PORT SUBMIT_PORT STARTTLS_PORT DISCARD_PORT SINK_PORT SINK_TEMPFAIL_PORT SINK_PERMFAIL_PORT; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
} > "$D/env.sh"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN{printf "mail peers up: dovecot %.2fs, postfix %.2fs, sinks %.2fs, total %.2fs\n", b-a, c-b, d-c, d-a}'
echo "pids: $(cd "$D/pids" && for f in *.pid; do printf '%s=%s ' "${f%.pid}" "$(cat "$f")"; done)"
echo "state/logs: $D  (source $D/env.sh for ports)"
