#!/usr/bin/env bash
# Starts the local services the test suite talks to, each only if it is down:
# PostgreSQL (127.0.0.1:5432, trust auth), Redis (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672).
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  echo "services: port $1 did not open" >&2; return 1
}

if ! port_open 5432; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_port 5432
fi
# The database the README's real-services command names (pytest makes its own test_ copy, but
# `makemigrations --check` and `manage.py` connect to this one).
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'community'" | grep -q 1; then
  echo "services: creating database community"
  createdb -h 127.0.0.1 -U postgres community
fi
if ! port_open 6379; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379
fi
if ! port_open 5672 && command -v rabbitmq-server >/dev/null; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached
  wait_port 5672
fi
