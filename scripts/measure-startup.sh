#!/usr/bin/env bash
# Measures what issue 5 asks for, on this machine:
#   - native binary size of QuickStart vs an empty NativeAOT console app
#   - time from process start to the first completed encrypted Set+Get (median of N runs), AOT vs JIT
# Usage: bash scripts/measure-startup.sh [runs=30]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
out=artifacts/startup
mkdir -p "$out"

echo "publishing QuickStart (AOT) and an empty AOT console app..."
dotnet publish samples/QuickStart/QuickStart.csproj -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full \
  -p:TreatWarningsAsErrors=false -o "$out/aot" -nologo -v q >/dev/null
dotnet build samples/QuickStart/QuickStart.csproj -c Release -o "$out/jit" -nologo -v q >/dev/null
empty="$out/empty-src"
rm -rf "$empty"; mkdir -p "$empty"
cat >"$empty/Empty.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><InvariantGlobalization>true</InvariantGlobalization>
  <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' >"$empty/Program.cs"
# Isolate the empty app from this repo's Directory.*.props.
echo '<Project></Project>' >"$empty/Directory.Build.props"; echo '<Project></Project>' >"$empty/Directory.Packages.props"
dotnet publish "$empty/Empty.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full -o "$out/empty" -nologo -v q >/dev/null

qs=$(stat -c %s "$out/aot/QuickStart"); em=$(stat -c %s "$out/empty/Empty")

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
probe() { # $@ = command
  local dir; dir=$(mktemp -d)
  for _ in $(seq "$runs"); do
    (cd "$dir" && "$@" --startup "$(date +%s%N)") | sed -n 's/^startup-ms //p'
  done
  rm -rf "$dir"
}
aot=$(probe "$PWD/$out/aot/QuickStart" | median)
jit=$(probe dotnet "$PWD/$out/jit/QuickStart.dll" | median)

ratio=$(awk -v a="$aot" -v j="$jit" 'BEGIN {printf "%.3f", a / j}')
added=$(awk -v q="$qs" -v e="$em" 'BEGIN {printf "%.2f", (q - e) / 1048576}')
cat <<TXT | tee "$out/results.txt"
machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET SDK $(dotnet --version)
native size: QuickStart $(awk -v q="$qs" 'BEGIN {printf "%.2f", q/1048576}') MiB, empty AOT console $(awk -v e="$em" 'BEGIN {printf "%.2f", e/1048576}') MiB, library adds $added MiB
start -> first encrypted Set+Get (median of $runs): AOT $aot ms, JIT $jit ms, ratio $ratio
TXT
