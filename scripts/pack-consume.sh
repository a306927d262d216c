#!/usr/bin/env bash
# Pack-and-consume test (part of scripts/test.sh): packs every package into a local folder feed, then builds, publishes
# with NativeAOT and runs a small app (eng/consumer) that references them by PackageReference only, from a folder
# outside this repository. Catches a generator missing from the package, a missing dependency, a broken
# buildTransitive file, missing metadata (license, readme, repository, symbols) and AOT warnings in consumers.
# Expects `dotnet build SessionConnector.sln -c Release` to have run (test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
root=$PWD
out=$root/artifacts/pack
rm -rf "$out"; mkdir -p "$out/feed"
# A unique version per run, so the NuGet cache never hands back a package packed by an earlier run.
version="$(sed -nE 's:.*<VersionPrefix>([^<]+)</VersionPrefix>.*:\1:p' Directory.Build.props)-local.$(date +%s)"

echo "-- pack $version"
if ! dotnet pack SessionConnector.sln -c Release --no-build -o "$out/feed" -p:PackageVersion="$version" -nologo >"$out/pack.log" 2>&1; then
  echo "!! pack failed:"; grep -E "error|warn" "$out/pack.log" | head -30; exit 1
fi

rc=0
check() { if ! eval "$2"; then echo "!! $1"; rc=1; fi; }
for nupkg in "$out"/feed/*.nupkg; do
  case "$nupkg" in *.snupkg) continue ;; esac
  name=$(basename "$nupkg" ".$version.nupkg")
  # python3's zipfile rather than unzip: it is on every machine this runs on, unzip is not.
  listing=$(python3 -c 'import sys, zipfile; print("\n".join(" " + n for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$nupkg")
  nuspec=$(python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$nupkg" "$name.nuspec")
  check "$name: no license expression" 'grep -q "<license type=\"expression\">MIT</license>" <<<"$nuspec"'
  check "$name: no readme" 'grep -q "<readme>README.md</readme>" <<<"$nuspec" && grep -q " README.md$" <<<"$listing"'
  check "$name: no repository" 'grep -q "<repository type=\"git\"" <<<"$nuspec"'
  check "$name: authors is the package id" '! grep -q "<authors>$name</authors>" <<<"$nuspec"'
  check "$name: no symbol package" '[ -f "$out/feed/$name.$version.snupkg" ]'
  if [ "$name" = SessionConnector ]; then
    check "SessionConnector: the [SessionData] generator is not in analyzers/dotnet/cs" 'grep -q "analyzers/dotnet/cs/SessionConnector.Generators.dll" <<<"$listing"'
    check "SessionConnector: MessagePack is not a dependency" 'grep -q "id=\"MessagePack\"" <<<"$nuspec"'
  fi
  echo "   $name $version: $(grep -c "lib/" <<<"$listing") lib files"
done
[ "$rc" -eq 0 ] || exit 1

# The consumer lives outside the tree: no Directory.Build.props, no central package versions, no project references.
work=$(mktemp -d)
# A throwaway PostgreSQL for the consumer's Postgres round trip (the package's Npgsql path under NativeAOT).
eval "$(bash scripts/postgres-test-server.sh)"
trap 'bash scripts/postgres-test-server.sh stop "$SESSIONCONNECTOR_POSTGRES_DIR" immediate; rm -rf "$work"' EXIT
cp eng/consumer/Consumer.csproj eng/consumer/Program.cs "$work/"
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$out/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML

echo "-- consumer: restore + build by PackageReference"
if ! (cd "$work" && dotnet build -c Release -p:SessionConnectorVersion="$version" -nologo) >"$out/consumer.build.log" 2>&1; then
  echo "!! consumer build failed:"; grep -E "error|warn" "$out/consumer.build.log" | head -30; exit 1
fi
(cd "$work" && dotnet bin/Release/net10.0/Consumer.dll) | tail -1

echo "-- consumer: publish with NativeAOT (TrimMode=full) and run"
if ! (cd "$work" && aot_publish . "$work/aot" -p:SessionConnectorVersion="$version") >"$out/consumer.publish.log" 2>&1; then
  echo "!! consumer publish failed:"; tail -30 "$out/consumer.publish.log"; exit 1
fi
warnings=$(grep -oE "warning IL[23][0-9]{3}[^[]*" "$out/consumer.publish.log" | sort -u || true)
if [ -n "$warnings" ]; then echo "!! consumer AOT warnings:"; echo "$warnings"; exit 1; fi
"$work/aot/Consumer" | tee "$out/consumer.run.log" | tail -1
grep -q "Consumer OK" "$out/consumer.run.log"
echo "   consumer: 0 IL2xxx/IL3xxx warnings, native binary $(( $(stat -c %s "$work/aot/Consumer") / 1024 )) KiB"
