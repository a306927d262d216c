#!/usr/bin/env bash
# NativeAOT gate: publish each sample with PublishAot + full trimming for linux-x64, fail on ANY IL2xxx/IL3xxx
# warning (ours or a dependency's), then run the native binary and check what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=("QuickStart")
[ -d samples/RedisQuickStart ] && samples+=("RedisQuickStart")
[ -d samples/WebApi ] && samples+=("WebApi")
out=artifacts/aot
mkdir -p "$out"
rc=0
for s in "${samples[@]}"; do
  log="$out/$s.publish.log"
  echo "-- publish $s (PublishAot=true, TrimMode=full)"
  if ! dotnet publish "samples/$s/$s.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full \
       -p:TreatWarningsAsErrors=false -o "$out/$s" -nologo >"$log" 2>&1; then
    echo "!! publish of $s failed:"; tail -30 "$log"; rc=1; continue
  fi
  warnings=$(grep -oE "warning IL[23][0-9]{3}[^[]*" "$log" | sort -u || true)
  count=$(printf "%s" "$warnings" | grep -c . || true)
  size=$(stat -c %s "$out/$s/$s")
  echo "   $s: $count IL2xxx/IL3xxx warnings, native binary $((size / 1024)) KiB"
  if [ "$count" -ne 0 ]; then echo "$warnings"; rc=1; fi
done

echo "-- run QuickStart (native)"
workdir=$(mktemp -d)
if (cd "$workdir" && "$OLDPWD/$out/QuickStart/QuickStart") >"$out/QuickStart.run.log" 2>&1 && grep -q "QuickStart OK" "$out/QuickStart.run.log"; then
  echo "   QuickStart native run OK"
else
  echo "!! QuickStart native run failed:"; cat "$out/QuickStart.run.log"; rc=1
fi
rm -rf "$workdir"

if [ -x "$out/RedisQuickStart/RedisQuickStart" ]; then
  echo "-- run RedisQuickStart (native) against a throwaway redis-server"
  eval "$(bash scripts/redis-test-server.sh 2>/dev/null)"
  if "$out/RedisQuickStart/RedisQuickStart" >"$out/RedisQuickStart.run.log" 2>&1; then
    echo "   RedisQuickStart native run OK"
  else
    echo "!! RedisQuickStart native run failed:"; cat "$out/RedisQuickStart.run.log"; rc=1
  fi
  kill "$SESSIONCONNECTOR_REDIS_PID" 2>/dev/null || true
fi
if [ -x "$out/WebApi/WebApi" ]; then
  echo "-- run WebApi (native): login, three increments, logout, then the old cookie must get 401"
  if bash scripts/webapi-smoke.sh "$out/WebApi/WebApi" >"$out/WebApi.run.log" 2>&1; then
    echo "   WebApi native run OK"
  else
    echo "!! WebApi native run failed:"; cat "$out/WebApi.run.log"; rc=1
  fi
fi
exit $rc
