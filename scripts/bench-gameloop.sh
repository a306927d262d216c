#!/usr/bin/env bash
# Issue 27 item 4: the game loop (8 worker threads, 50/50 Get/Update on a [SessionData] type, 256 sessions) of this checkout
# against a previous release, in alternating pairs (new, old, new, old...) so load drift hits both alike; per backend
# (file ProcessCrash, file PowerLoss, memory) the median ratio of ops/s and of CPU per op (user + sys) over the pairs, and
# what explains a ratio: compare-and-set attempts per Update, the workers' context switches per op, JIT time left in the
# timed window (the harness warms up until the JIT is idle). TMPDIR=/dev/shm puts the stores on tmpfs, where fsync costs
# nothing: the PowerLoss code path's CPU without the disk's (shared, noisy) latency.
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
for r in rows:  # pair, version, backend, then "name value" pairs: ops/s, user_us/op, sys_us/op, ..., attempts_per_update, csw/op, jit_us/op
    f = dict(zip(r[3::2], r[4::2]))
    runs.setdefault((r[2], r[1]), {})[r[0]] = (float(f["ops/s"]), float(f["user_us/op"]) + float(f["sys_us/op"]),
                                               float(f["attempts_per_update"]), float(f["csw/op"]), float(f["jit_us/op"]))
med = lambda runs, i: statistics.median(v[i] for v in runs.values())
for backend in dict.fromkeys(r[2] for r in rows):
    new, old = runs[(backend, "new")], runs[(backend, "old")]
    ops = [new[p][0] / old[p][0] for p in new]
    cpu = [new[p][1] / old[p][1] for p in new]
    print(f"{backend:18} new/{sys.argv[2]}: ops/s median {statistics.median(ops):.2f}x (pairs {' '.join(f'{x:.2f}' for x in ops)}); "
          f"CPU/op median {statistics.median(cpu):.2f}x; medians new {med(new, 0):.0f} ops/s, {med(new, 1):.1f} us CPU/op, "
          f"old {med(old, 0):.0f} ops/s, {med(old, 1):.1f} us CPU/op; attempts/update new {med(new, 2):.3f} old {med(old, 2):.3f}; "
          f"context switches/op new {med(new, 3):.2f} old {med(old, 3):.2f}; JIT us/op left new {med(new, 4):.2f} old {med(old, 4):.2f}")
PY
rm -f "$out"
