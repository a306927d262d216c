#!/usr/bin/env bash
# Runs every test and the NativeAOT gate. The README's test command and what CI runs (.ci/run).
# On a fresh machine it installs what the tests need (redis-server and postgresql from Debian's packages).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== prerequisites"
bash scripts/redis-test-server.sh --install
bash scripts/postgres-test-server.sh --install

echo "== build (warnings are errors)"
dotnet build SessionConnector.sln -c Release -nologo -v q

echo "== tests"
mkdir -p artifacts/test-results
status=0
passed=0; failed=0; skipped=0
for proj in $(find . -name '*.Tests.csproj' -not -path './artifacts/*' | sort); do
  name=$(basename "$proj" .csproj)
  log="artifacts/test-results/$name.log"
  if dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=normal" >"$log" 2>&1; then :; else status=1; fi
  # Show failures, then read the runner's closing summary (console logger, normal verbosity).
  grep -E "^\s+Failed [A-Za-z]|error [A-Z]+[0-9]+" "$log" | head -40 || true
  p=$(sed -nE 's/^\s+Passed:\s+([0-9]+).*/\1/p' "$log" | tail -1)
  f=$(sed -nE 's/^\s+Failed:\s+([0-9]+).*/\1/p' "$log" | tail -1)
  s=$(sed -nE 's/^\s+Skipped:\s+([0-9]+).*/\1/p' "$log" | tail -1)
  total=$(sed -nE 's/^Total tests:\s+([0-9]+).*/\1/p' "$log" | tail -1)
  if [ -z "$total" ]; then echo "!! $name produced no test summary (see $log)"; status=1; tail -20 "$log"; fi
  echo "   $name: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
done

echo "== pack and consume (local feed, PackageReference only, NativeAOT)"
if bash scripts/pack-consume.sh; then :; else status=1; fi

echo "== NativeAOT gate"
if bash scripts/aot-gate.sh; then :; else status=1; fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
