#!/usr/bin/env bash
# Make sure the system tools the test suite uses are installed from Debian's packages:
# chromium (Playwright e2e tests; never a downloaded browser) and gettext (catalogue checks).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v xgettext >/dev/null 2>&1 || need+=(gettext)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing system packages: ${need[*]}. Run 'sudo apt-get install -y ${need[*]}' and try again." >&2
  exit 1
fi
echo "Installing Debian packages for the tests: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
