#!/usr/bin/env bash
# Azurite, the Azure Storage emulator the UGC tests and bench run against (Azure Blob Storage
# stands in production). Installed from the npm registry, pinned, into a folder of the
# virtualenv (ignored by git); the test fixture (tests/support/azurite.py) starts it on a free
# loopback port with a temporary data folder.
#   infra/azurite.sh [venv folder]    (default .venv)
set -euo pipefail
AZURITE_VERSION=3.37.0
TARGET="${1:-.venv}/azurite"
installed="$TARGET/node_modules/azurite/package.json"
if [ -f "$installed" ] && grep -q "\"version\": \"$AZURITE_VERSION\"" "$installed"; then
  exit 0
fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "azurite: Node.js and npm are missing; install them (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "azurite: installing nodejs and npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
echo "azurite: installing azurite@$AZURITE_VERSION into $TARGET"
mkdir -p "$TARGET"
npm install --prefix "$TARGET" --no-audit --no-fund --omit=dev --no-save --loglevel=error \
  "azurite@$AZURITE_VERSION" >/dev/null
test -x "$TARGET/node_modules/.bin/azurite-blob"
