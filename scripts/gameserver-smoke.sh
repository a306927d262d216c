#!/usr/bin/env bash
# Starts a published samples/GameServer binary and drives it with the published samples/GameServer.Client: login, play
# over a WebSocket, drop, resume, play on, sign out (the socket must close), ended session refused. Used by
# scripts/aot-gate.sh. Usage: gameserver-smoke.sh path/to/GameServer path/to/GameServer.Client
set -euo pipefail
bin=$(realpath "$1")
client=$(realpath "$2")
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
key=$(head -c 32 /dev/urandom | base64 -w0)
# Production environment (the default): a key is required, so pass one.
(cd "$work" && SESSIONCONNECTOR_KEYS="*1:$key" ASPNETCORE_URLS="$base" exec "$bin") >"$work/app.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 100); do curl -fs "$base/ping" >/dev/null 2>&1 && break; sleep 0.05; done
if ! "$client" "$base"; then
  echo "--- app log"; cat "$work/app.log"; exit 1
fi
