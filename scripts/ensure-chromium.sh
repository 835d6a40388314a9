#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core,
# which never downloads a browser. On a fresh Debian machine, install it once; elsewhere,
# say what is missing. CHROMIUM_PATH overrides the location.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "browser tests need Chromium: installing Debian's chromium package (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "browser tests need Chromium at $browser (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)" >&2
exit 1
