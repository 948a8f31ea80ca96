#!/usr/bin/env bash
# Make sure the system tools the test suite uses are installed from Debian's packages:
# chromium (Playwright e2e tests; never a downloaded browser), gettext (catalogue checks),
# prometheus-alertmanager (the real-client monitoring test, which starts its own instance) and
# dovecot-imapd/dovecot-lmtpd (email intake tests, which start their own Dovecot).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v xgettext >/dev/null 2>&1 || need+=(gettext)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing system packages: ${need[*]}. Run 'sudo apt-get install -y ${need[*]}' and try again." >&2
  exit 1
fi
echo "Installing Debian packages for the tests: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start the tools themselves: keep the packages' init scripts (prometheus-alertmanager's
# listens on :9093 and gossips on :9094, dovecot's on :143 and :993) from starting a daemon,
# unless a policy already decides.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
# A policy that allowed it may have started the system Dovecot: the tests do not use it.
if [[ " ${need[*]} " == *" dovecot-"* ]] && [ -s /run/dovecot/master.pid ]; then
  kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
fi
