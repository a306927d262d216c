#!/usr/bin/env bash
# NativeAOT gate: publish each sample and tool with PublishAot + full trimming for linux-x64, fail on ANY IL2xxx/IL3xxx
# warning (ours or a dependency's), then run the native binary and check what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
# Every sample and tool that ships or is measured as a native binary: name -> project. The binary is named after the
# project's AssemblyName, which is the name here.
declare -A projects=(
  [QuickStart]=samples/QuickStart/QuickStart.csproj
  [RedisQuickStart]=samples/RedisQuickStart/RedisQuickStart.csproj
  [WebApi]=samples/WebApi/WebApi.csproj
  [GameServer]=samples/GameServer/GameServer.csproj
  [GameServer.Client]=samples/GameServer.Client/GameServer.Client.csproj
  [StartupProbe]=benchmarks/StartupProbe/StartupProbe.csproj
  [sessionctl]=SessionConnector.Cli/SessionConnector.Cli.csproj
  [Function]=samples/Function/Function.csproj
)
out=artifacts/aot
mkdir -p "$out"
rc=0
for s in QuickStart RedisQuickStart WebApi GameServer GameServer.Client StartupProbe sessionctl Function; do
  log="$out/$s.publish.log"
  echo "-- publish $s (PublishAot=true, TrimMode=full)"
  if ! aot_publish "${projects[$s]}" "$out/$s" >"$log" 2>&1; then
    echo "!! publish of $s failed:"; tail -30 "$log"; rc=1; continue
  fi
  warnings=$(grep -oE "warning IL[23][0-9]{3}[^[]*" "$log" | sort -u || true)
  count=$(printf "%s" "$warnings" | grep -c . || true)
  size=$(stat -c %s "$out/$s/$s")
  echo "   $s: $count IL2xxx/IL3xxx warnings, native binary $((size / 1024)) KiB"
  if [ "$count" -ne 0 ]; then echo "$warnings"; rc=1; fi
done

if [ -x "$out/sessionctl/sessionctl" ]; then
  echo "-- run sessionctl (native): stats of an empty store, rotate --help"
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
[ -x "$out/QuickStart/QuickStart" ] && run_native QuickStart
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
if [ -x "$out/WebApi/WebApi" ]; then
  echo "-- run WebApi (native): login, three increments, logout, then the old cookie must get 401"
  if bash scripts/webapi-smoke.sh "$out/WebApi/WebApi" >"$out/WebApi.run.log" 2>&1; then
    echo "   WebApi native run OK"
  else
    echo "!! WebApi native run failed:"; cat "$out/WebApi.run.log"; rc=1
  fi
fi
if [ -x "$out/GameServer/GameServer" ] && [ -x "$out/GameServer.Client/GameServer.Client" ]; then
  echo "-- run GameServer (native) driven by GameServer.Client (native): login, play, drop, resume, play on, sign-out closes the socket"
  if bash scripts/gameserver-smoke.sh "$out/GameServer/GameServer" "$out/GameServer.Client/GameServer.Client" >"$out/GameServer.run.log" 2>&1 \
     && grep -q "GameServer.Client OK" "$out/GameServer.run.log"; then
    echo "   GameServer native run OK"
  else
    echo "!! GameServer native run failed:"; cat "$out/GameServer.run.log"; rc=1
  fi
fi
if [ -x "$out/Function/Function" ]; then
  echo "-- run Function (native): two invocations, the second with the first response's sealed cookie"
  if bash scripts/function-smoke.sh "$out/Function/Function" >"$out/Function.run.log" 2>&1; then
    echo "   Function native run OK"
  else
    echo "!! Function native run failed:"; cat "$out/Function.run.log"; rc=1
  fi
fi
exit $rc
