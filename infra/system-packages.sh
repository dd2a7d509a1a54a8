#!/usr/bin/env bash
# Debian packages the test suite needs: headless Chromium for the portal tests (with a CJK
# font, so screenshots of Japanese pages show Japanese), GNU gettext
# (msgfmt) for compiling the translation catalogs, ICU's headers with pkg-config and a C++
# compiler to build PyICU (names' spoof checker; it has no wheels), and for the deployment
# files' checks (tests/infra/): nginx, docker-compose and systemd's systemd-analyze.
# Playwright drives Debian's /usr/bin/chromium; it never downloads a browser of its own.
# Usage: system-packages.sh [chromium] [gettext] [icu] [nginx] [compose] [systemd] [wrk]
# (none: all but wrk, the HTTP load generator of bench/rest_reads.py, which `make bench-tools` asks for)
set -euo pipefail
wanted=("${@:-chromium gettext icu nginx compose systemd}")
wanted=(${wanted[*]})
missing=()
for package in "${wanted[@]}"; do
  case "$package" in
    chromium)
      [ -x /usr/bin/chromium ] || missing+=(chromium)
      [ -n "$(fc-list :lang=ja 2>/dev/null)" ] || missing+=(fonts-noto-cjk) ;;
    gettext) command -v msgfmt >/dev/null || missing+=(gettext) ;;
    icu)
      command -v pkg-config >/dev/null || missing+=(pkg-config)
      pkg-config --exists icu-i18n 2>/dev/null || missing+=(libicu-dev)
      command -v g++ >/dev/null || missing+=(g++) ;;
    # nginx-light: the binary for `nginx -t` and the test hosts, without extra modules.
    nginx) command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light) ;;
    compose) command -v docker-compose >/dev/null || missing+=(docker-compose) ;;
    systemd) command -v systemd-analyze >/dev/null || missing+=(systemd) ;;
    wrk) command -v wrk >/dev/null || missing+=(wrk) ;;
    *) echo "system-packages: unknown package $package" >&2; exit 2 ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-packages: missing ${missing[*]}; install them from Debian's packages" >&2
    exit 1
  fi
  echo "system-packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
