#!/usr/bin/env bash
# Web figures for SessionConnector.AspNetCore (issue 12), written to benchmarks/WEB-RESULTS.md:
#  - throughput (requests/s) and p99 latency with wrk, for a session-reading (GET /counter) and a session-writing
#    (POST /counter) endpoint, of samples/WebApi published with NativeAOT versus the same app on ASP.NET Core's
#    AddSession + AddDistributedMemoryCache (samples/WebApi.Baseline, JIT: AddSession is not AOT-clean);
#  - NativeAOT start -> first session response, versus the same binary with sessions off (WEBAPI_SESSIONS=off), and versus
#    sessions off plus the crypto floor (WEBAPI_SESSIONS=floor: the login seals one AES-GCM block where a session login
#    would seal its record, as measure-startup.sh's one-seal app), which splits the gap into the crypto library's load
#    and init (which any encrypted login pays) and what the library adds beyond it.
# Usage: bash scripts/bench-web.sh [--duration 10] [--connections 16] [--rounds 3] [--runs 15] [--sessions 1] [--startup-only] [--phases] [--baseline DIR]
# --sessions N logs in N users and cycles their cookies request by request (default 1: every connection on one session,
# so writes, atomic per session, run one at a time: a figure of one user's write latency, not of the store's throughput).
#   --startup-only: only the start-up runs (no wrk, no AddSession build); prints the ratios, leaves WEB-RESULTS.md alone
#   --phases: with the start-up runs, where the first login's time goes (WEBAPI_PHASES=1: the sample prints its steps)
#   --baseline DIR: also time DIR/WebApi (a copy of artifacts/aot/WebApi from another commit) with sessions off, memory and
#                   file, interleaved run by run with this binary's, and print the paired ratios new/baseline
# Goals (issue 27), printed with a verdict: sessions on <= 1.05x sessions off to the first login response (median), and
# the read endpoint >= 1.5x AddSession in every round (not only the median), file and memory storage.
# The apps are measured in interleaved rounds (and start-up runs interleaved too), and medians reported, so a load
# spike on a shared machine hits every contender alike instead of one.
# On a machine shared with other work, `chrt -f 10 bash scripts/bench-web.sh --startup-only ...` (root) keeps the others'
# threads off these short processes: plain runs at load 10-15 swung 0.7-1.7x between identical binaries, chrt runs 0.95-1.03x.
# Installs wrk from Debian's packages if missing. Reuses artifacts/aot/WebApi (the AOT gate's output) when present.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

duration=10; connections=16; runs=15; rounds=3; sessions=1; startup_only=0; phases=0; baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --startup-only) startup_only=1; shift ;;
    --phases) phases=1; shift ;;
    --baseline) baseline=$(realpath "$2"); shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done

if [ "$startup_only" = 0 ] && ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else sudo apt-get install -y wrk >/dev/null; fi
fi

out=artifacts/bench-web
mkdir -p "$out"
aot=artifacts/aot/WebApi/WebApi
if [ ! -x "$aot" ]; then
  echo "== publishing samples/WebApi with NativeAOT"
  aot_publish samples/WebApi/WebApi.csproj artifacts/aot/WebApi >"$out/publish.log" 2>&1
fi
if [ "$startup_only" = 0 ]; then
echo "== building samples/WebApi.Baseline (JIT)"
dotnet build samples/WebApi.Baseline/WebApi.Baseline.csproj -c Release -nologo -v q >"$out/baseline-build.log" 2>&1
fi
baseline_dll=samples/WebApi.Baseline/bin/Release/net10.0/WebApi.Baseline.dll

cat >"$out/post.lua" <<'LUA'
wrk.method = "POST"
LUA
# One of the logged-in users' cookies per request, cycling (--sessions N); the method comes from WRK_METHOD.
cat >"$out/cookies.lua" <<'LUA'
local cookies, n, method = {}, 0, os.getenv("WRK_METHOD")
for line in io.lines(os.getenv("WRK_COOKIES")) do cookies[#cookies + 1] = line end
request = function()
  n = n + 1
  return wrk.format(method, nil, { ["Cookie"] = cookies[(n % #cookies) + 1] })
end
LUA

key=$(head -c 32 /dev/urandom | base64 -w0)
pid=""
work=$(mktemp -d)
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# start NAME PORT COMMAND...: runs an app in its own empty directory (its content root) and waits until it answers.
start() {
  local name=$1 port=$2; shift 2
  mkdir -p "$work/$name"
  (cd "$work/$name" && SESSIONCONNECTOR_KEYS="*1:$key" SessionConnector__Cookie__Secure=false \
     Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$port" exec "$@") >"$out/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 400); do curl -fs "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "!! $name did not start"; cat "$out/$name.log"; exit 1
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }

# measure NAME PORT: logs in once, then wrk on the read and the write endpoint with that cookie.
measure() {
  local name=$1 port=$2 base="http://127.0.0.1:$2"
  local cookie cookies="$out/$name.cookies"
  : >"$cookies"
  for i in $(seq 1 "$sessions"); do
    cookie=$(curl -s -D - -o /dev/null -X POST "$base/login?user=bench$i" | tr -d '\r' | sed -nE 's/^[Ss]et-[Cc]ookie: (sid=[^;]*).*/\1/p' | head -1)
    [ -n "$cookie" ] || { echo "!! $name: login set no cookie"; exit 1; }
    echo "$cookie" >>"$cookies"
  done
  for kind in read write; do
    local args=(); [ "$kind" = write ] && args=(-s "$out/post.lua")
    local method=GET; [ "$kind" = write ] && method=POST
    if [ "$sessions" -gt 1 ]; then args=(-s "$out/cookies.lua"); else args+=(-H "Cookie: $cookie"); fi
    export WRK_COOKIES="$cookies" WRK_METHOD="$method"
    wrk -t1 -c"$connections" -d3s "${args[@]}" "$base/counter" >/dev/null   # warm-up (JIT tiers, caches)
    wrk -t1 -c"$connections" -d"${duration}s" --latency "${args[@]}" "$base/counter" >"$out/$name.$kind.wrk"
    local rps p99 non2xx
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/$name.$kind.wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$out/$name.$kind.wrk")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$out/$name.$kind.wrk")
    [ -z "$non2xx" ] || { echo "!! $name $kind: $non2xx non-2xx responses"; cat "$out/$name.$kind.wrk"; exit 1; }
    echo "$name $kind $rps $p99" >>"$out/figures.txt"
    echo "   $name $kind: $rps req/s, p99 $p99"
  done
  # The read goal's ceiling: GET /ping touches no session (no cookie, no I/O), so no session layer in this app can serve
  # its reads faster than this; the same harness for both apps, so ping/ping also shows what the apps differ by apart from sessions.
  wrk -t1 -c"$connections" -d3s "$base/ping" >/dev/null
  wrk -t1 -c"$connections" -d"${duration}s" --latency "$base/ping" >"$out/$name.ping.wrk"
  local ping
  ping=$(awk '/^Requests\/sec:/ {print $2}' "$out/$name.ping.wrk")
  echo "$name ping $ping $(awk '$1 == "99%" {print $2}' "$out/$name.ping.wrk")" >>"$out/figures.txt"
  echo "   $name ping (no session): $ping req/s"
}

rm -f "$out/figures.txt"
load_before=$(cut -d' ' -f1 /proc/loadavg)
if [ "$startup_only" = 0 ]; then
echo "== throughput (wrk, 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds)"
for round in $(seq 1 "$rounds"); do
  echo "-- round $round"
  start addsession 18083 dotnet "$(realpath "$baseline_dll")"; measure addsession 18083; stop
  start aot-memory 18081 env SessionConnector__Storage=Memory "$(realpath "$aot")"; measure aot-memory 18081; stop
  start aot-file 18082 env SessionConnector__Storage=File "$(realpath "$aot")"; measure aot-file 18082; stop
done
fi

echo "== start-up: process start -> first response of POST /login ($runs runs each, median)"
[ -z "$baseline" ] || [ -x "$baseline/WebApi" ] || { echo "!! no $baseline/WebApi"; exit 1; }
python3 - "$(realpath "$aot")" "$runs" "$key" "$work" "$phases" "$out/phases.txt" "$baseline" >"$out/startup.txt" <<'PY'
import os, socket, statistics, subprocess, sys, time
binary, runs, key, work, phases, phases_out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1", sys.argv[6]
baseline = os.path.join(sys.argv[7], "WebApi") if sys.argv[7] else None
steps = {}  # variant -> step -> [ms]

def first_response(binary, extra_env, port):
    if phases:
        extra_env = dict(extra_env, WEBAPI_PHASES="1", WEBAPI_LAUNCH_NS=str(time.time_ns()))
    env = dict(os.environ, SESSIONCONNECTOR_KEYS="*1:" + key, ASPNETCORE_URLS=f"http://127.0.0.1:{port}",
               SessionConnector__Cookie__Secure="false", Logging__LogLevel__Default="Warning", **extra_env)
    cwd = os.path.join(work, f"startup-{port}")
    os.makedirs(cwd, exist_ok=True)
    request = b"POST /login?user=probe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, cwd=cwd, stdout=subprocess.PIPE if phases else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                time.sleep(0.0002)
                continue
            with s:
                s.sendall(request)
                data = s.recv(4096)
            elapsed = (time.perf_counter() - t0) * 1000
            status = int(data.split(b" ")[1])
            if status != 200:
                raise SystemExit(f"status {status}")
            return elapsed, b"set-cookie" in data.lower()
    finally:
        proc.terminate()
        if phases:
            out, _ = proc.communicate()
            phase_lines.extend(l for l in out.decode().splitlines() if l.startswith("phases-ms "))
        proc.wait()

variants = [("sessions-off", {"WEBAPI_SESSIONS": "off"}, False, binary),
            ("sessions-floor", {"WEBAPI_SESSIONS": "floor"}, False, binary),
            ("sessions-memory", {"SessionConnector__Storage": "Memory"}, True, binary),
            ("sessions-file", {"SessionConnector__Storage": "File"}, True, binary)]
if baseline:  # the baseline's own sessions off: its binary may differ in size; its floor is this one's (same code)
    variants += [("base-" + name, env, cookie, baseline) for name, env, cookie, _ in variants if name != "sessions-floor"]
times = {name: [] for name, _, _, _ in variants}
for i in range(runs):
    for name, env, cookie_expected, exe in variants:  # interleaved: drift in machine load hits every contender alike
        phase_lines = []
        ms, cookie = first_response(exe, env, 18090 + i % 5)
        if cookie != cookie_expected:
            raise SystemExit(f"{name}: Set-Cookie {'missing' if cookie_expected else 'unexpected'}")
        times[name].append(ms)
        for line in phase_lines:  # "phases-ms step=ms step=ms ...", each step's time since the previous one
            for pair in line.split()[1:]:
                step, value = pair.split("=")
                steps.setdefault(name, {}).setdefault(step, []).append(float(value))
for name, t in times.items():
    print(name, f"{statistics.median(t):.2f}", f"{min(t):.2f}", f"{max(t):.2f}")
if phases:
    with open(phases_out, "w") as f:
        names = [n for n, _, _, _ in variants]
        # In the order the variant with the most steps took them (sessions off has no registration or session steps), then
        # the steps only others took (the floor's "handler", where its seal is).
        order = list(max((steps.get(n, {}) for n in names), key=len))
        for n in names:
            order += [st for st in steps.get(n, {}) if st not in order]
        f.write("| step (ms since the previous step, median) | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names) + "\n")
        for s in order:
            cells = [f"{statistics.median(steps[n][s]):.2f}" if s in steps.get(n, {}) else "" for n in names]
            f.write(f"| {s} | " + " | ".join(cells) + " |\n")
PY
cat "$out/startup.txt"
load_after=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$out/startup.txt" "$runs" "$load_before" "$load_after" <<'PY'
import sys
start = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(sys.argv[1])}
off, floor = start["sessions-off"], start["sessions-floor"]
print(f"start-up ratios (sessions on / sessions off, {sys.argv[2]} interleaved runs, load average {sys.argv[3]} -> {sys.argv[4]}):")
for name in ("sessions-file", "sessions-memory"):
    r, rmin = start[name][0] / off[0], start[name][1] / off[1]
    print(f"  {name}: median {r:.3f}x (fastest runs {rmin:.3f}x); goal <= 1.05x (median): {'met' if r <= 1.05 else 'MISSED'}")
print(f"crypto floor: sessions off + one AES-GCM seal at the login = {floor[0] / off[0]:.3f}x sessions off (median; fastest {floor[1] / off[1]:.3f}x)")
for prefix in ("", "base-"):
    if prefix + "sessions-off" not in start: continue
    for name in ("sessions-file", "sessions-memory"):
        s = start[prefix + name]
        print(f"  {prefix}{name} / (off + floor): median {s[0] / floor[0]:.3f}x (fastest runs {s[1] / floor[1]:.3f}x)")
if "base-sessions-off" in start:
    print("paired with the baseline binary (new / baseline, medians; fastest runs):")
    for name in ("sessions-off", "sessions-memory", "sessions-file"):
        n, b = start[name], start["base-" + name]
        print(f"  {name}: {n[0] / b[0]:.3f}x ({n[1] / b[1]:.3f}x)")
    for name in ("sessions-file", "sessions-memory"):
        print(f"  {name} / sessions off: new {start[name][0] / off[0]:.3f}x, baseline {start['base-' + name][0] / start['base-sessions-off'][0]:.3f}x")
PY
[ "$phases" = 0 ] || { echo "== where the first login's time goes (WEBAPI_PHASES)"; cat "$out/phases.txt"; }
[ "$startup_only" = 0 ] || exit 0

python3 - "$out" "$duration" "$connections" "$runs" "$sessions" <<'PY'
import os, platform, subprocess, sys
out, duration, connections, runs, sessions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
sessions_text = "one logged-in cookie" if sessions == 1 else f"{sessions} logged-in users' cookies cycled per request"
import statistics
rounds = {}
for line in open(os.path.join(out, "figures.txt")):
    name, kind, rps, p99 = line.split()
    rounds.setdefault((name, kind), []).append((float(rps), p99))
start = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(os.path.join(out, "startup.txt"))}

def ms(p):  # wrk prints 1.23ms / 456.78us / 1.02s
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if p.endswith(unit):
            return float(p[: -len(unit)]) * f
    return float(p)

# Median over the rounds: requests/s and p99 separately.
fig = {k: (statistics.median(r for r, _ in v), statistics.median(ms(p) for _, p in v)) for k, v in rounds.items()}
nrounds = len(next(iter(rounds.values())))

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines = [
    "# Web figures: SessionConnector.AspNetCore vs ASP.NET Core AddSession",
    "",
    "Written by `bash scripts/bench-web.sh` (do not edit by hand). The same minimal API (`samples/WebApi`: login, counter,",
    "logout, whoami) on SessionConnector published with NativeAOT (`PublishAot`, `TrimMode=full`), and on ASP.NET Core's",
    "`AddSession` + `AddDistributedMemoryCache` (`samples/WebApi.Baseline`, JIT: `AddSession` is not AOT-clean).",
    f"wrk, 1 thread, {connections} connections, {duration} s per run after a 3 s warm-up, {sessions_text}, median of",
    f"{nrounds} interleaved rounds; client and",
    f"server share the machine ({os.cpu_count()} cores, {cpu}), so absolute numbers are lower than on a dedicated box;",
    "the ratios are the figures to read. SessionConnector encrypts every record (AES-256-GCM); AddSession stores its",
    "data in plain memory and only protects the cookie.",
    "",
    "The sample's configured storage is file (`FileDurability.PowerLoss`: every write is fsynced, then renamed), whose reads",
    "are served from the connector's SIEVE cache; memory storage skips that cache (as the seed did), so every read",
    "decrypts. AddSession's memory cache is neither durable nor encrypted.",
    "",
    "| endpoint | ratio vs AddSession (requests/s) | SessionConnector AOT, memory storage | SessionConnector AOT, file storage | AddSession + memory cache (JIT) |",
    "|---|---|---|---|---|",
]
for kind, label, goal in (("read", "read: `GET /counter`", 1.5), ("write", "write: `POST /counter` (atomic `UpdateAsync`)", 1.0)):
    mem, fil, base = fig[("aot-memory", kind)], fig[("aot-file", kind)], fig[("addsession", kind)]
    rm, rf = mem[0] / base[0], fil[0] / base[0]
    lines.append(f"| {label} (goal >= {goal}x) | **memory {rm:.2f}x** ({'meets' if rm >= goal else 'misses'}), **file {rf:.2f}x** ({'meets' if rf >= goal else 'misses'}) | "
                 f"{mem[0]:,.0f} req/s, p99 {mem[1]:.2f} ms | {fil[0]:,.0f} req/s, p99 {fil[1]:.2f} ms | {base[0]:,.0f} req/s, p99 {base[1]:.2f} ms |")
# Each round's own ratio (the contenders of one round ran back to back): the read goal must hold in every round.
per_round = {}
for kind, goal in (("read", 1.5), ("write", 1.0)):
    for name in ("aot-memory", "aot-file"):
        ratios = [r / b for (r, _), (b, _) in zip(rounds[(name, kind)], rounds[("addsession", kind)])]
        per_round[(name, kind)] = (ratios, goal, all(x >= goal for x in ratios))
round_lines = ["", f"Per round (requests/s vs AddSession in the same round; goal in every round):", ""]
for (name, kind), (ratios, goal, ok) in per_round.items():
    round_lines.append(f"- {kind}, {name.removeprefix('aot-')} storage: {', '.join(f'{x:.2f}x' for x in ratios)}; goal >= {goal}x in each of {len(ratios)} rounds: **{'met' if ok else 'MISSED'}**")
# The ceiling: an endpoint of the same AOT app that touches no session, against AddSession's read. A read ratio above it
# would mean a session layer that costs less than nothing, so a goal above it cannot be met on this harness (the client
# shares the cores and the kernel's loopback work dominates); the session's own share is what optimising it can win.
ceiling = [p / b for (p, _), (b, _) in zip(rounds[("aot-memory", "ping")], rounds[("addsession", "read")])]
round_lines += [
    "",
    "The read goal's ceiling (`GET /ping` of the same AOT binary, which touches no session, over AddSession's `GET /counter`,",
    "per round): " + ", ".join(f"{x:.2f}x" for x in ceiling) + ". Share of a read's time spent in the session layer (1 - `/counter` / `/ping`,",
    "medians): " + ", ".join(f"{n.removeprefix('aot-')} {1 - fig[(n, 'read')][0] / fig[(n, 'ping')][0]:.0%}" for n in ("aot-memory", "aot-file", "addsession")) + ".",
]
lines += round_lines
off, flo, mem, fil = start["sessions-off"], start["sessions-floor"], start["sessions-memory"], start["sessions-file"]
lines += [
    "",
    f"## NativeAOT start-up: process start -> first `POST /login` response (median of {runs} runs)",
    "",
    "| app | median | min | max | vs sessions off |",
    "|---|---|---|---|---|",
    f"| same binary, sessions off (`WEBAPI_SESSIONS=off`) | {off[0]:.2f} ms | {off[1]:.2f} ms | {off[2]:.2f} ms | |",
    f"| sessions off + one AES-GCM seal at the login (`WEBAPI_SESSIONS=floor`: the crypto floor) | {flo[0]:.2f} ms | {flo[1]:.2f} ms | {flo[2]:.2f} ms | median {flo[0] / off[0]:.3f}x |",
    f"| sessions on, memory storage (login: encrypt + write + Set-Cookie) | {mem[0]:.2f} ms | {mem[1]:.2f} ms | {mem[2]:.2f} ms | median {mem[0] / off[0]:.3f}x ({mem[0] - off[0]:+.2f} ms), min {mem[1] / off[1]:.3f}x: goal <= 1.05x **{'met' if mem[0] / off[0] <= 1.05 else 'MISSED'}**; {mem[0] / flo[0]:.3f}x off + floor |",
    f"| sessions on, file storage (login: + directory set-up, fsync, rename) | {fil[0]:.2f} ms | {fil[1]:.2f} ms | {fil[2]:.2f} ms | median {fil[0] / off[0]:.3f}x ({fil[0] - off[0]:+.2f} ms), min {fil[1] / off[1]:.3f}x: goal <= 1.05x **{'met' if fil[0] / off[0] <= 1.05 else 'MISSED'}**; {fil[0] / flo[0]:.3f}x off + floor |",
    "",
    "Start-up is timed from `fork/exec` to the first byte of the response, polling the port every 0.2 ms, the four",
    "variants interleaved run by run. On a loaded shared machine the minimum is the steadier figure.",
]
open("benchmarks/WEB-RESULTS.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
