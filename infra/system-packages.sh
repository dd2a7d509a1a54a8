#!/usr/bin/env bash
# Debian packages the test suite needs (headless Chromium for the portal tests).
# Playwright drives Debian's /usr/bin/chromium; it never downloads a browser of its own.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-packages: /usr/bin/chromium is missing; install Debian's chromium" >&2
    exit 1
  fi
  echo "system-packages: installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
