#!/usr/bin/env bash
# Issue 26's figures: resume latency (memory, file, Redis), a WebSocket tick loop with a view read per message against
# the same loop without a session, and sign-out on node A to the socket closing on node B (Redis). Starts a throwaway
# redis-server, runs benchmarks/GameFigures and writes benchmarks/GAME-RESULTS.md. Usage: bench-game.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
eval "$(bash scripts/redis-test-server.sh 2>/dev/null)"
trap 'kill "$SESSIONCONNECTOR_REDIS_PID" 2>/dev/null || true' EXIT
dotnet build benchmarks/GameFigures/GameFigures.csproj -c Release -nologo -v q >/dev/null
{
  echo "# Game-server figures (issue 26)"
  echo
  echo "Produced by \`scripts/bench-game.sh $rounds\` on $(date -u +%Y-%m-%d), .NET $(dotnet --version), JIT, one process (Kestrel + ClientWebSocket on loopback)."
  echo
  dotnet benchmarks/GameFigures/bin/Release/net10.0/GameFigures.dll "$rounds"
  echo
  echo "Reading them: the resume figure is the client's whole reconnect (an HTTP resume, a WebSocket handshake, one message)."
  echo "The tick loops read the view from the connector's cache (file and Redis): no storage I/O per message. In the close"
  echo "figure the sign-out follows the connect at once, so the close waits for the socket's first check: it is the worst"
  echo "case of the CheckInterval bound (a close past twice the interval would mean an invalidation missed its first check)."
} | tee benchmarks/GAME-RESULTS.md
