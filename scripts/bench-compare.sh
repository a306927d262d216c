#!/usr/bin/env bash
# Old code against new, paired: runs the benchmarks both versions have (the quick in-process BenchmarkDotNet job of
# benchmarks/SessionConnector.Benchmarks) for an older commit and for this checkout, in alternating rounds (old, new,
# new, old, …) so background load on a shared machine hits both alike, and prints per benchmark the median over rounds
# of new ÷ old for time and the allocated bytes of each. A ratio above 1.00 is slower. Writes artifacts/bench-compare/.
# Usage: bash scripts/bench-compare.sh [old-commit=b3832a3] [filter='*'] [rounds=2]
#   filter: BenchmarkDotNet --filter globs over full names, comma-separated, e.g. '*Connector*,*Serializer*'.
# The old commit is exported with git archive into a temporary folder (no worktree is left behind).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
old_ref=${1:-b3832a3}
filter=${2:-*}
rounds=${3:-2}
out="$PWD/artifacts/bench-compare"
rm -rf "$out"; mkdir -p "$out"
old_root=$(mktemp -d /tmp/bench-compare-old.XXXXXX)
trap 'rm -rf "$old_root"' EXIT
git archive "$old_ref" | tar -x -C "$old_root"
project=benchmarks/SessionConnector.Benchmarks/SessionConnector.Benchmarks.csproj
dll=benchmarks/SessionConnector.Benchmarks/bin/Release/net10.0/SessionConnector.Benchmarks.dll
echo "== building the benchmarks at $old_ref and at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
dotnet build "$old_root/$project" -c Release -nologo -v q >"$out/old.build.log"
dotnet build "$project" -c Release -nologo -v q >"$out/new.build.log"

run() { # $1 = old|new, $2 = root, $3 = round
  local results="$2/benchmarks/BenchmarkDotNet.Artifacts/results"
  rm -rf "$results"
  local globs; IFS=',' read -r -a globs <<<"$filter"
  (cd "$2" && dotnet "$dll" --bdn --filter "${globs[@]}" >"$out/$1-$3.log" 2>&1) || { echo "$1 round $3 failed: see $out/$1-$3.log"; exit 1; }
  mkdir -p "$out/$1-$3"; cp "$results"/*-report-brief.json "$out/$1-$3/"
}
load_before=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$rounds"); do
  echo "== round $r of $rounds"
  if [ $((r % 2)) = 1 ]; then run old "$old_root" "$r"; run new "$PWD" "$r"; else run new "$PWD" "$r"; run old "$old_root" "$r"; fi
done
python3 - "$out" "$rounds" "$old_ref" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY' | tee "$out/compare.txt"
import glob, json, os, statistics, sys
out, rounds, old_ref, load0, load1 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def read(side, r):
    rows = {}
    for f in glob.glob(os.path.join(out, f"{side}-{r}", "*.json")):
        for b in json.load(open(f))["Benchmarks"]:
            s = b.get("Statistics") or {}
            if "Median" not in s: continue
            rows[b["FullName"]] = (s["Median"], (b.get("Memory") or {}).get("BytesAllocatedPerOperation"))
    return rows
runs = [(read("old", r), read("new", r)) for r in range(1, rounds + 1)]
common = sorted(set.intersection(*[set(o) & set(n) for o, n in runs]))
print(f"new ÷ old ({old_ref}), median of {rounds} alternating rounds; load average {load0} at the start, {load1} at the end")
print(f"{'benchmark':<90} {'old ns':>10} {'new ns':>10} {'time':>6} {'old B':>7} {'new B':>7}")
ratios = []
for name in common:
    t = statistics.median(n[name][0] / o[name][0] for o, n in runs)
    ratios.append(t)
    o_ns = statistics.median(o[name][0] for o, _ in runs); n_ns = statistics.median(n[name][0] for _, n in runs)
    o_b, n_b = runs[0][0][name][1], runs[0][1][name][1]
    print(f"{name[-90:]:<90} {o_ns:>10.1f} {n_ns:>10.1f} {t:>5.2f}x {o_b if o_b is not None else '-':>7} {n_b if n_b is not None else '-':>7}")
if ratios:
    geo = statistics.geometric_mean(ratios)
    print(f"{len(common)} benchmarks in both versions; geometric mean of new ÷ old: {geo:.2f}x; slower than 1.10x: {sum(r > 1.10 for r in ratios)}")
only_new = sorted(set(runs[0][1]) - set(runs[0][0]))
print(f"{len(only_new)} benchmarks only in the new version (not compared)")
PY
