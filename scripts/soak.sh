#!/usr/bin/env bash
# Soak (issue 23): samples/WebApi published with NativeAOT under wrk, a mix of reads (60 %), writes (28 %), renewals (8 %)
# and sign-outs (4 %) per session (scripts/soak/mix.lua), on memory, file and Redis storage in turn. On Redis the server
# is restarted (SIGTERM, append-only file with fsync always, so every acknowledged write is on disk) at a third of the
# run and frozen with SIGSTOP for 5 s at two thirds. Recorded per backend: requests, statuses, p50/p99 per slice (wrk
# restarts every --slice seconds, so latency is seen over time), RSS, GC heap, open fds and threads at start and end,
# and acknowledged writes lost (see mix.lua for how they are counted). Not part of the test command; the long reliability
# mode runs it for 3 minutes (SESSIONCONNECTOR_LONG=1, see docs/reliability.md).
#
# Usage: bash scripts/soak.sh [--duration SECONDS per backend, default 1800] [--backends "memory file redis"]
#                             [--slice SECONDS, default 30] [--connections N, default 8] [--out DIR]
# Exit code 1 when any acknowledged write was lost, a session vanished, or a status other than 200/204/401/409/503 came.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

duration=1800; backends="memory file redis"; slice=30; connections=8; out=artifacts/soak
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --slice) slice=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$slice" -gt "$duration" ] && slice=$duration

need() { command -v "$1" >/dev/null || { [ "$(id -u)" = 0 ] && { apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; } || { echo "install $2" >&2; exit 1; }; }
need wrk wrk
case " $backends " in *" redis "*) need redis-server redis-server ;; esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
app=$out/WebApi/WebApi
if [ ! -x "$app" ]; then
  echo "== publishing samples/WebApi (NativeAOT, soak build)" >&2
  dotnet publish samples/WebApi/WebApi.csproj -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full -p:WebApiSoak=true \
    -o "$out/WebApi" -nologo >"$out/publish.log" 2>&1
fi

work=$(mktemp -d)
app_pid=""; redis_pid=""; chaos_pid=""
cleanup() {
  [ -f "$work/redis.pid" ] && redis_pid="$redis_pid $(cat "$work/redis.pid")"
  for p in $chaos_pid $app_pid $redis_pid; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
key=$(head -c 32 /dev/urandom | base64 -w0)

start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync always --save "" \
    --daemonize no --protected-mode no >"$out/redis.log" 2>&1 &
  redis_pid=$!
  echo "$redis_pid" >"$work/redis.pid" # the chaos subshell restarts it: the file is where the current pid lives
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}

# The outage plan, run in the background: restart at 1/3 of the run, SIGSTOP for 5 s at 2/3.
chaos() {
  sleep $((duration / 3))
  echo "$(date -u +%T) chaos: redis restart" >>"$out/chaos.log"
  kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; sleep 2; start_redis
  echo "$(date -u +%T) chaos: redis up (pid $redis_pid)" >>"$out/chaos.log"
  sleep $((duration / 3))
  echo "$(date -u +%T) chaos: redis SIGSTOP 5 s" >>"$out/chaos.log"
  kill -STOP "$redis_pid"; sleep 5; kill -CONT "$redis_pid"
  echo "$(date -u +%T) chaos: redis SIGCONT" >>"$out/chaos.log"
}

# proc_figures PID PORT: RSS (MiB), threads, open fds and the app's GC heap (MiB).
proc_figures() {
  local rss threads fds gc
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status")
  threads=$(awk '/Threads/ {print $2}' "/proc/$1/status")
  fds=$(ls "/proc/$1/fd" | wc -l)
  gc=$(curl -s "http://127.0.0.1:$2/diag" | sed -n 's/.*gc_heap_bytes=\([0-9]*\).*/\1/p')
  gc=$(awk -v b="${gc:-0}" 'BEGIN {printf "%.1f", b/1048576}')
  echo "rss_mib=$rss threads=$threads fds=$fds gc_heap_mib=$gc"
}

report=$out/report.md
: >"$out/chaos.log"
{
  echo "# Soak $(date -u +%FT%TZ): ${duration} s per backend, wrk -t$connections -c$connections, ${slice}-s slices"
  echo
  echo "Machine: $(nproc) cores, shared with other builds (figures are noisy)."
} >"$report"
failed=0
for backend in $backends; do
  port=$(free_port)
  mkdir -p "$work/$backend"
  env_extra=()
  case $backend in
    memory) env_extra=(SessionConnector__Storage=Memory) ;;
    file) env_extra=(SessionConnector__Storage=File "SessionConnector__Directory=$work/$backend/sessions") ;;
    redis)
      redis_port=$(free_port); mkdir -p "$work/redis"; start_redis
      env_extra=(SessionConnector__Storage=Memory "WEBAPI_REDIS=127.0.0.1:$redis_port,abortConnect=false" WEBAPI_FAILSAFE_SECONDS=30) ;;
  esac
  (cd "$work/$backend" && exec env SESSIONCONNECTOR_KEYS="*1:$key" SessionConnector__Cookie__Secure=false \
     Logging__LogLevel__Default=Warning Logging__LogLevel__SessionConnector=Warning ASPNETCORE_URLS="http://127.0.0.1:$port" \
     "${env_extra[@]}" "$app") >"$out/app-$backend.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 0.1; done
  curl -s "http://127.0.0.1:$port/ping" >/dev/null || { echo "the app did not start:" >&2; cat "$out/app-$backend.log" >&2; exit 1; }
  # Warm-up, so "start" is the process serving, not the process born.
  wrk -t2 -c2 -d3s -s scripts/soak/mix.lua "http://127.0.0.1:$port" >/dev/null
  start_figures=$(proc_figures "$app_pid" "$port")
  [ "$backend" = redis ] && { chaos & chaos_pid=$!; }

  {
    echo
    echo "## $backend"
    echo
    echo "| t (s) | requests | 2xx | 401 | 409 | 503 | other | socket errors | p50 ms | p99 ms | acked writes | lost | vanished |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } >>"$report"
  t=0; totals=(0 0 0 0 0 0 0 0 0 0)
  while [ "$t" -lt "$duration" ]; do
    d=$slice; [ $((t + d)) -gt "$duration" ] && d=$((duration - t))
    line=$(wrk -t"$connections" -c"$connections" -d"${d}s" --timeout 10s -s scripts/soak/mix.lua "http://127.0.0.1:$port" | grep '^SOAK' || echo "SOAK wrk-failed")
    t=$((t + d))
    get() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
    echo "| $t | $(get requests) | $(get s2xx) | $(get s401) | $(get s409) | $(get s503) | $(get sother) | $(get socket_errors) | $(get p50_ms) | $(get p99_ms) | $(get acked_writes) | $(get lost) | $(get vanished) |" >>"$report"
    i=0
    for k in requests s2xx s401 s409 s503 sother socket_errors acked_writes lost vanished; do
      totals[$i]=$(( ${totals[$i]} + $(get $k | cut -d. -f1 | sed 's/^$/0/') )); i=$((i + 1))
    done
  done
  end_figures=$(proc_figures "$app_pid" "$port")
  [ -n "$chaos_pid" ] && { wait "$chaos_pid" 2>/dev/null || true; chaos_pid=""; }
  stale=$(grep -c "StaleSessionServed\|served a cached session" "$out/app-$backend.log" || true)
  {
    echo "| total | ${totals[0]} | ${totals[1]} | ${totals[2]} | ${totals[3]} | ${totals[4]} | ${totals[5]} | ${totals[6]} | | | ${totals[7]} | ${totals[8]} | ${totals[9]} |"
    echo
    echo "- start: $start_figures"
    echo "- end:   $end_figures"
    [ "$backend" = redis ] && echo "- chaos: $(tr '\n' ';' <"$out/chaos.log")" && echo "- fail-safe reads logged: $stale"
  } >>"$report"
  if [ "${totals[5]}" -ne 0 ] || [ "${totals[8]}" -ne 0 ] || [ "${totals[9]}" -ne 0 ]; then failed=1; fi
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=""
  [ -f "$work/redis.pid" ] && redis_pid=$(cat "$work/redis.pid") && rm -f "$work/redis.pid"
  if [ -n "$redis_pid" ]; then kill -CONT "$redis_pid" 2>/dev/null || true; kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""; fi
  : >"$out/chaos.log"
done

cat "$report"
exit $failed
