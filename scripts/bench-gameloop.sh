#!/usr/bin/env bash
# Issue 27 item 4: the game loop (8 worker threads, 50/50 Get/Update on a [SessionData] type, 256 sessions) of this checkout
# against a previous release, in alternating pairs (new, old, new, old...) so load drift hits both alike; per backend
# (file ProcessCrash, file PowerLoss, memory) the median ratio of ops/s and of CPU per op (user + sys) over the pairs.
# Usage: bash scripts/bench-gameloop.sh [--prev b3832a3] [--pairs 6] [--seconds 3] [--backends "file-processcrash memory file-powerloss"]
# The previous release is checked out as a git worktree in a temp folder (removed at the end); the harness's source is
# copied into it, so the same benchmarks/GameLoop code builds against both (the public API it uses is the same).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
prev=b3832a3; pairs=6; seconds=3; backends="file-processcrash memory file-powerloss"
while [ $# -gt 0 ]; do
  case "$1" in
    --prev) prev=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done

old=$(mktemp -d /tmp/gameloop-prev.XXXXXX)
cleanup() { git worktree remove --force "$old" >/dev/null 2>&1 || rm -rf "$old"; }
trap cleanup EXIT
git worktree add --detach "$old" "$prev" >/dev/null 2>&1
mkdir -p "$old/benchmarks/GameLoop"
cp benchmarks/GameLoop/*.cs benchmarks/GameLoop/GameLoop.csproj "$old/benchmarks/GameLoop/"
echo "== building the game loop against this checkout and $prev"
dotnet build benchmarks/GameLoop/GameLoop.csproj -c Release -nologo -v q >/dev/null
dotnet build "$old/benchmarks/GameLoop/GameLoop.csproj" -c Release -nologo -v q >/dev/null
newdll=benchmarks/GameLoop/bin/Release/net10.0/GameLoop.dll
olddll=$old/benchmarks/GameLoop/bin/Release/net10.0/GameLoop.dll

out=$(mktemp)
echo "== $pairs alternating pairs, ${seconds} s each (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
for p in $(seq 1 "$pairs"); do
  for b in $backends; do
    for v in new old; do
      dll=$newdll; [ $v = old ] && dll=$olddll
      line=$(dotnet "$dll" "$b" "$seconds" 8 256)
      echo "$p $v $line load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
    done
  done
done
python3 - "$out" "$prev" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
runs = {}
for r in rows:  # pair, version, backend, "ops/s", x, "user_us/op", u, "sys_us/op", s, ...
    runs.setdefault((r[2], r[1]), {})[r[0]] = (float(r[4]), float(r[6]) + float(r[8]))
for backend in dict.fromkeys(r[2] for r in rows):
    new, old = runs[(backend, "new")], runs[(backend, "old")]
    ops = [new[p][0] / old[p][0] for p in new]
    cpu = [new[p][1] / old[p][1] for p in new]
    print(f"{backend:18} new/{sys.argv[2]}: ops/s median {statistics.median(ops):.2f}x (pairs {' '.join(f'{x:.2f}' for x in ops)}); "
          f"CPU/op median {statistics.median(cpu):.2f}x; medians new {statistics.median(v[0] for v in new.values()):.0f} ops/s, "
          f"{statistics.median(v[1] for v in new.values()):.1f} us CPU/op, old {statistics.median(v[0] for v in old.values()):.0f} ops/s, "
          f"{statistics.median(v[1] for v in old.values()):.1f} us CPU/op")
PY
rm -f "$out"
