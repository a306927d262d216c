#!/usr/bin/env bash
# Runs the SessionConnector benchmark suite in Release and regenerates its section of benchmarks/RESULTS.md (between
# <!-- bdn:begin --> and <!-- bdn:end -->; other scripts own the file's other sections).
#   scripts/bench.sh            quick suite (< 10 min on 2 cores): short in-process BenchmarkDotNet job, hit-ratio
#                               simulation, paired interleaved check, Get/Update throughput loop
#   scripts/bench.sh --full     BenchmarkDotNet's default (out-of-process, statistically driven) job
#   scripts/bench.sh --noisy    mark RESULTS.md as measured on a busy machine
#   scripts/bench.sh --only X   only the benchmark classes whose name contains X (RESULTS.md left alone)
# Targets are declared with [Target] next to each benchmark. Exit code 2 when one cannot be judged (a benchmark
# failed or did not run): the suite never reports a target as "not measured".
# Comparison 7 (Redis) uses SESSIONCONNECTOR_REDIS=host:port, or a throwaway redis-server this script starts.
# The throughput part sweeps 1, 2, 4, … threads up to the core count and prints contention counters, so a 16–64-core
# machine gives the scaling curve with no edits (scripts/bench.sh --throughput memory: memory storage alone). The memory
# sweep runs twice: under this project's workstation collector, and in a child process under the server collector
# (DOTNET_gcServer=1, what a server runs); issue 27's 2-thread target is judged on the server rows.
# scripts/bench.sh --durable-writes: PowerLoss file writes/s at 1 writer, 16 threads, 16 async writers, 4 processes.
# Any other arguments go to the benchmark program (see benchmarks/SessionConnector.Benchmarks/Program.cs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/benchmarks/SessionConnector.Benchmarks/SessionConnector.Benchmarks.csproj"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
start=$(date +%s)
# Comparison 7 needs a Redis server: start a throwaway one (loopback, persistence off) unless one is given.
if [ -z "${SESSIONCONNECTOR_REDIS:-}" ]; then
  eval "$(bash "$root/scripts/redis-test-server.sh" 2>/dev/null)" || true
  trap 'kill "${SESSIONCONNECTOR_REDIS_PID:-}" 2>/dev/null || true' EXIT
fi
dotnet build "$project" -c Release -nologo -v quiet
dotnet "$root/benchmarks/SessionConnector.Benchmarks/bin/Release/net10.0/SessionConnector.Benchmarks.dll" "$@"
echo "bench.sh: done in $(( $(date +%s) - start )) s"
