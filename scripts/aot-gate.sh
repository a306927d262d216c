#!/usr/bin/env bash
# NativeAOT gate: publish each sample with PublishAot + full trimming for linux-x64, fail on ANY IL2xxx/IL3xxx
# warning (ours or a dependency's), then run the native binary and check what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=("QuickStart")
[ -d samples/RedisQuickStart ] && samples+=("RedisQuickStart")
# Tools that are published AOT too (the start-up probe of scripts/measure-startup.sh); path relative to the repo.
declare -A paths=([StartupProbe]="benchmarks/StartupProbe")
[ -d benchmarks/StartupProbe ] && samples+=("StartupProbe")
out=artifacts/aot
mkdir -p "$out"
rc=0
for s in "${samples[@]}"; do
  log="$out/$s.publish.log"
  echo "-- publish $s (PublishAot=true, TrimMode=full)"
  dir="${paths[$s]:-samples/$s}"
  if ! dotnet publish "$dir/$s.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full \
       -p:TreatWarningsAsErrors=false -o "$out/$s" -nologo >"$log" 2>&1; then
    echo "!! publish of $s failed:"; tail -30 "$log"; rc=1; continue
  fi
  warnings=$(grep -oE "warning IL[23][0-9]{3}[^[]*" "$log" | sort -u || true)
  count=$(printf "%s" "$warnings" | grep -c . || true)
  size=$(stat -c %s "$out/$s/$s")
  echo "   $s: $count IL2xxx/IL3xxx warnings, native binary $((size / 1024)) KiB"
  if [ "$count" -ne 0 ]; then echo "$warnings"; rc=1; fi
done

# sessionctl: the operator tool ships as a native binary too (same rules: 0 IL warnings).
log="$out/sessionctl.publish.log"
echo "-- publish sessionctl (PublishAot=true, TrimMode=full)"
if ! dotnet publish SessionConnector.Cli/SessionConnector.Cli.csproj -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full \
     -p:TreatWarningsAsErrors=false -o "$out/sessionctl" -nologo >"$log" 2>&1; then
  echo "!! publish of sessionctl failed:"; tail -30 "$log"; rc=1
else
  warnings=$(grep -oE "warning IL[23][0-9]{3}[^[]*" "$log" | sort -u || true)
  count=$(printf "%s" "$warnings" | grep -c . || true)
  echo "   sessionctl: $count IL2xxx/IL3xxx warnings, native binary $(( $(stat -c %s "$out/sessionctl/sessionctl") / 1024 )) KiB"
  if [ "$count" -ne 0 ]; then echo "$warnings"; rc=1; fi
  store=$(mktemp -d)
  if "$out/sessionctl/sessionctl" stats --json --file "$store" >"$out/sessionctl.run.log" 2>&1 && grep -q '"records": 0' "$out/sessionctl.run.log" \
     && "$out/sessionctl/sessionctl" rotate --help >>"$out/sessionctl.run.log" 2>&1; then
    echo "   sessionctl native run OK"
  else
    echo "!! sessionctl native run failed:"; cat "$out/sessionctl.run.log"; rc=1
  fi
  rm -rf "$store"
fi

# Runs a native binary in an empty directory and checks that it prints "<name> OK".
run_native() {
  local name=$1 workdir
  echo "-- run $name (native)"
  workdir=$(mktemp -d)
  if (cd "$workdir" && "$OLDPWD/$out/$name/$name") >"$out/$name.run.log" 2>&1 && grep -q "$name OK" "$out/$name.run.log"; then
    echo "   $name native run OK"
  else
    echo "!! $name native run failed:"; cat "$out/$name.run.log"; rc=1
  fi
  rm -rf "$workdir"
}
run_native QuickStart
[ -x "$out/StartupProbe/StartupProbe" ] && run_native StartupProbe

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
exit $rc
