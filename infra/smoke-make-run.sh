#!/usr/bin/env bash
# Runs `make run` with no service configured (SQLite, in-memory layer, eager tasks), waits for
# /healthz, fetches the home page and the API schema, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
var_dir=$(mktemp -d)
env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u DJANGO_ENV \
  COMMUNITY_VAR_DIR="$var_dir" setsid make run PORT="$port" >"$log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "smoke: make run exited" >&2; exit 1; fi
  sleep 1
done
expect() {  # expect PATH TEXT: the page at PATH contains TEXT (no pipe: grep -q would SIGPIPE curl)
  local body
  body=$(curl -fsS "http://127.0.0.1:$port$1") || { cat "$log"; echo "smoke: GET $1 failed" >&2; exit 1; }
  [[ "$body" == *"$2"* ]] || { cat "$log"; echo "smoke: GET $1 lacks $2" >&2; exit 1; }
}
expect / "Game Community"
expect /readyz '"status": "ok"'
expect /api/schema/ "openapi"
grep -q "Demo logins" "$log" || { cat "$log"; echo "smoke: no demo logins printed" >&2; exit 1; }
# The game simulator make run starts keeps running beside the server (it logs on exit only).
sleep 5
# The simulator this make run started (its PID file), not any simulator on the machine.
sim_pid=$(cat "$var_dir/simulate_game.pid" 2>/dev/null || true)
if [ -z "$sim_pid" ] || ! kill -0 "$sim_pid" 2>/dev/null \
    || ! tr '\0' ' ' <"/proc/$sim_pid/cmdline" | grep -q "manage.py simulate_game"; then
  cat "$var_dir/simulate_game.log"; echo "smoke: the game simulator is not running" >&2; exit 1
fi
if grep -q Traceback "$var_dir/simulate_game.log"; then
  cat "$var_dir/simulate_game.log"; echo "smoke: the game simulator failed" >&2; exit 1
fi
echo "smoke: make run serves the portal, readyz and the API schema on port $port; simulator live"
