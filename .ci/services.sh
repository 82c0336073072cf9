#!/usr/bin/env bash
# Starts the throwaway Postgres and Redis the tests use when no Docker engine is present, on
# loopback ports of their own, and prints the environment that points the tests at them.
# Usage: eval "$(bash .ci/services.sh start)"   |   bash .ci/services.sh stop
set -euo pipefail

state="${GATEWAY_CI_STATE:-/tmp/gateway-ci}"
pg_port="${GATEWAY_CI_PG_PORT:-55432}"
redis_port="${GATEWAY_CI_REDIS_PORT:-56379}"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  mkdir -p "$state"
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] || { echo "postgres binaries not found (apt-get install postgresql)" >&2; exit 1; }
  if [ "$(id -u)" = 0 ]; then chown postgres "$state"; fi
  if ! as_postgres "$bin/pg_ctl" -D "$state/pg" status >/dev/null 2>&1; then
    rm -rf "$state/pg"
    as_postgres "$bin/initdb" -D "$state/pg" -U postgres --auth=trust -E UTF8 >/dev/null
    as_postgres "$bin/pg_ctl" -D "$state/pg" -l "$state/pg.log" -w \
      -o "-p $pg_port -k $state -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  fi
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --logfile "$state/redis.log" --dir "$state" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export GATEWAY_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres'"
  echo "export GATEWAY_TEST_REDIS='127.0.0.1:$redis_port'"
}

stop() {
  local bin; bin="$(pg_bin)"
  [ -z "$bin" ] || as_postgres "$bin/pg_ctl" -D "$state/pg" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}

"${1:-start}"
