#!/usr/bin/env bash
# Installs PostgreSQL when it is missing and runs throwaway servers for the tests (SessionConnector.Postgres.Tests) and
# the Postgres benchmark.
#
#   bash scripts/postgres-test-server.sh --install        # only make sure initdb/pg_ctl are installed (scripts/test.sh calls this)
#   bash scripts/postgres-test-server.sh start DIR PORT   # initdb DIR if empty, start on 127.0.0.1:PORT (trust auth, user postgres)
#   bash scripts/postgres-test-server.sh stop DIR [fast|immediate]
#   eval "$(bash scripts/postgres-test-server.sh)"        # start one in a temp folder on a free port and export
#                                                         # SESSIONCONNECTOR_POSTGRES (a connection string) and SESSIONCONNECTOR_POSTGRES_DIR
#
# initdb refuses to run as root, so as root the server runs as the `postgres` OS user (created by the package, or here).
# The xunit fixture calls start/stop itself on a free port; the tests only need PostgreSQL installed.
set -euo pipefail

pg_bin() {
  if [ -n "${SESSIONCONNECTOR_PG_BIN:-}" ]; then echo "$SESSIONCONNECTOR_PG_BIN"; return; fi
  # Debian keeps the server binaries per major version, off PATH; take the newest.
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  echo ""
}

install_postgres() {
  if [ -n "$(pg_bin)" ]; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is missing and apt-get is not available: install PostgreSQL 13 or later yourself." >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "Installing postgresql..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
  # The package may start a system cluster on 5432; the tests never use it.
}

# Runs a command as the server's OS user: root cannot run initdb or postgres.
as_server_user() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  if ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home --shell /usr/sbin/nologin postgres; fi
  runuser -u postgres -- "$@"
}

start_server() {
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chmod 0700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home --shell /usr/sbin/nologin postgres; fi
    chown postgres: "$dir"
    # The postgres user must be able to reach the folder (mktemp folders are 0700 root, but /tmp itself is 1777).
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # Throwaway server: no fsync, sockets in the folder (not /var/run/postgresql), loopback only. Commits stay
  # synchronous: the restart tests kill the server (-m immediate) and expect every acknowledged write to survive.
  as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c full_page_writes=off -c max_connections=300" >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
}

stop_server() {
  local dir="$1" mode="${2:-fast}" bin
  bin="$(pg_bin)"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 30 stop >&2 || true
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}

install_postgres
case "${1:-}" in
  --install) "$(pg_bin)/postgres" --version >&2; exit 0 ;;
  start) start_server "$2" "$3"; exit 0 ;;
  stop) stop_server "$2" "${3:-fast}"; exit 0 ;;
esac

port="$(free_port)"
dir="$(mktemp -d)"
chmod 0755 "$dir"
start_server "$dir/pg" "$port"
echo "export SESSIONCONNECTOR_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres'"
echo "export SESSIONCONNECTOR_POSTGRES_DIR=$dir/pg"
echo "postgres listening on 127.0.0.1:$port (stop it with: bash scripts/postgres-test-server.sh stop \$SESSIONCONNECTOR_POSTGRES_DIR)" >&2
