#!/usr/bin/env bash
# Start-up and size of the library in a NativeAOT app (issues 5 and 18), on this machine:
#   - time from process launch to the first completed encrypted Set+Get (benchmarks/StartupProbe, set up as
#     samples/QuickStart is), median of N runs, AOT and JIT, against an empty NativeAOT app timed the same way
#   - native binary size of QuickStart vs the empty app
# Writes its figures to artifacts/startup/results.txt and to the <!-- startup:begin/end --> section of
# benchmarks/RESULTS.md (the rest of that file belongs to scripts/bench.sh and other scripts).
# Usage: bash scripts/measure-startup.sh [runs=30] [--reuse]   (--reuse: time the binaries of the last publish again)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
reuse=${2:-}
target_ms=3.0 # issue 18: AOT start -> first encrypted Set+Get, median
out=artifacts/startup
mkdir -p "$out"

if [ "$reuse" = "--reuse" ] && [ -x "$out/aot/StartupProbe" ] && [ -x "$out/empty/Empty" ] && [ -f "$out/jit/StartupProbe.dll" ] && [ -x "$out/quickstart/QuickStart" ]; then
  echo "reusing the binaries in $out"
else
echo "publishing StartupProbe and QuickStart (AOT), and an empty AOT console app..."
aot=(-c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full -p:TreatWarningsAsErrors=false -nologo -v q)
dotnet publish benchmarks/StartupProbe/StartupProbe.csproj "${aot[@]}" -o "$out/aot" >"$out/probe.publish.log"
dotnet publish samples/QuickStart/QuickStart.csproj "${aot[@]}" -o "$out/quickstart" >"$out/quickstart.publish.log"
dotnet build benchmarks/StartupProbe/StartupProbe.csproj -c Release -o "$out/jit" -nologo -v q >/dev/null
empty="$out/empty-src"
rm -rf "$empty"; mkdir -p "$empty"
cat >"$empty/Empty.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><InvariantGlobalization>true</InvariantGlobalization>
  <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
</Project>
XML
# The same clock arithmetic and output as the probe, and nothing else.
cat >"$empty/Program.cs" <<'CS'
long nowNs = (System.DateTime.UtcNow - System.DateTime.UnixEpoch).Ticks * 100;
System.Console.WriteLine($"startup-ms {(nowNs - long.Parse(args[1])) / 1e6:F2}");
CS
# Isolate the empty app from this repo's Directory.*.props.
echo '<Project></Project>' >"$empty/Directory.Build.props"; echo '<Project></Project>' >"$empty/Directory.Packages.props"
dotnet publish "$empty/Empty.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full -o "$out/empty" -nologo -v q >/dev/null
fi

qs=$(stat -c %s "$out/quickstart/QuickStart"); em=$(stat -c %s "$out/empty/Empty")

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# Runs alternate between the contenders (probe, empty, probe, …) so both see the same background load.
# Each contender runs in its own directory, kept across runs: an app restarting with its .sessions directory and
# development key already there (the first start, which creates and fsyncs them, is an unrecorded priming run).
declare -A samples dirs
probe_once() { # $1 = name, rest = command
  local name=$1; shift
  [ -n "${dirs[$name]:-}" ] || { dirs[$name]=$(mktemp -d); (cd "${dirs[$name]}" && "$@" --startup "$(date +%s%N)") >/dev/null; }
  samples[$name]+="$( (cd "${dirs[$name]}" && "$@" --startup "$(date +%s%N)") | sed -n 's/^startup-ms //p') "
}
for _ in $(seq "$runs"); do
  probe_once aot "$PWD/$out/aot/StartupProbe"
  probe_once empty "$PWD/$out/empty/Empty"
  probe_once jit dotnet "$PWD/$out/jit/StartupProbe.dll"
done
for d in "${dirs[@]}"; do rm -rf "$d"; done
med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
aot_ms=$(med aot); empty_ms=$(med empty); jit_ms=$(med jit)

verdict=$(awk -v a="$aot_ms" -v t="$target_ms" 'BEGIN {print (a <= t) ? "met" : "MISSED"}')
above=$(awk -v a="$aot_ms" -v e="$empty_ms" 'BEGIN {printf "%.2f", a - e}')
added=$(awk -v q="$qs" -v e="$em" 'BEGIN {printf "%.2f", (q - e) / 1048576}')
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET SDK $(dotnet --version), load average $(cut -d' ' -f1 /proc/loadavg)"
cat <<TXT | tee "$out/results.txt"
machine: $machine
native size: QuickStart $(awk -v q="$qs" 'BEGIN {printf "%.2f", q/1048576}') MiB, empty AOT console $(awk -v e="$em" 'BEGIN {printf "%.2f", e/1048576}') MiB, library adds $added MiB
start -> first encrypted Set+Get (median of $runs, interleaved): AOT $aot_ms ms (empty AOT app $empty_ms ms, +$above ms), JIT $jit_ms ms
target: AOT start -> first encrypted Set+Get <= $target_ms ms: $verdict
TXT

# The start-up section of benchmarks/RESULTS.md, between its markers (added at the end when missing).
section=$(cat <<MD
<!-- startup:begin -->
## Start-up (scripts/measure-startup.sh)

Generated on $(date -u '+%Y-%m-%d %H:%M') UTC ($machine). Time from process launch (the script's clock, taken just
before exec) to the first completed encrypted Set+Get in \`benchmarks/StartupProbe\` (file storage, development key,
as in QuickStart; a restart: the .sessions directory and key exist), median of $runs runs interleaved with an empty
NativeAOT app timed the same way.

| Target | Measured | Verdict |
| --- | --- | --- |
| AOT start → first encrypted Set+Get ≤ $target_ms ms (median) | $aot_ms ms (empty AOT app $empty_ms ms, +$above ms; JIT $jit_ms ms) | **$verdict** |

Native size: QuickStart $(awk -v q="$qs" 'BEGIN {printf "%.2f", q/1048576}') MiB, empty AOT console $(awk -v e="$em" 'BEGIN {printf "%.2f", e/1048576}') MiB (the library adds $added MiB).
<!-- startup:end -->
MD
)
results=benchmarks/RESULTS.md
[ -f "$results" ] || printf '# SessionConnector benchmark results\n' >"$results"
if grep -q '<!-- startup:begin -->' "$results"; then
  SECTION="$section" awk '/<!-- startup:begin -->/ {print ENVIRON["SECTION"]; skip=1; next} /<!-- startup:end -->/ {skip=0; next} !skip' "$results" >"$results.tmp"
  mv "$results.tmp" "$results"
else
  printf '\n%s\n' "$section" >>"$results"
fi
echo "wrote the start-up section of $results"
