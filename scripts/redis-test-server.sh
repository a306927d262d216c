#!/usr/bin/env bash
# Installs redis-server when it is missing and, unless --install is given, starts a throwaway server for manual runs.
#
#   bash scripts/redis-test-server.sh --install   # only make sure redis-server is installed (CI calls this before `dotnet test`)
#   eval "$(bash scripts/redis-test-server.sh)"   # also start one on a free loopback port, persistence off, and
#                                                 # export SESSIONCONNECTOR_REDIS=127.0.0.1:PORT and SESSIONCONNECTOR_REDIS_PID
#
# The xunit tests do not need a running server: their fixtures start redis-server themselves on free ports (one server,
# and a 3-primary + 3-replica cluster) and stop them afterwards (set SESSIONCONNECTOR_REDIS_SERVER to use a specific
# binary; redis-cli is taken from the same directory). They only need Redis installed.
set -euo pipefail

install_redis() {
  # redis-cli (package redis-tools, a dependency of redis-server) is needed too: the cluster fixture runs
  # `redis-cli --cluster create`.
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-server is missing and apt-get is not available: install Redis 7 yourself." >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "Installing redis-server..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >&2
  # The package may start a system service on 6379; the tests never use it.
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}

install_redis
if [ "${1:-}" = "--install" ]; then
  redis-server --version >&2
  exit 0
fi

port="$(free_port)"
dir="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null
echo "export SESSIONCONNECTOR_REDIS=127.0.0.1:$port"
echo "export SESSIONCONNECTOR_REDIS_PID=$(cat "$dir/redis.pid")"
echo "redis-server listening on 127.0.0.1:$port (stop it with: kill \$SESSIONCONNECTOR_REDIS_PID)" >&2
