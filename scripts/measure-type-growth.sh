#!/usr/bin/env bash
# What one more [SessionData] type costs in a NativeAOT binary: publishes a throwaway app with 1 and with N
# eight-member types (PublishAot, TrimMode=full, InvariantGlobalization, JSON format on) and prints the growth per
# type, then what the last type's own compiled methods cost, read from the ILCompiler's .mstat (kept under
# artifacts/type-growth/<shape>/app*/obj/.../native/; sizoscope opens it too). Every type is touched the way the
# connector uses it: both formats, the copy, the default, and the three-way merge with its member-wise equality.
# Shapes: simple (scalars, a DateTime and a List<string>) and rich (a List<string>, a Dictionary<string,int> and a
# DateTimeOffset among the eight; issue 21's goal: <= 6 KB per type).
# Usage: scripts/measure-type-growth.sh [N] [simple|rich]   (defaults 40, simple)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
root=$(pwd)
n=${1:-40}
shape=${2:-simple}
case "$shape" in
  simple | rich) ;;
  *) echo "unknown shape '$shape' (simple or rich)" >&2; exit 2 ;;
esac
work="$root/artifacts/type-growth/$shape"
mkdir -p "$work"

make_app() {
  local count=$1 dir="$work/app$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/TypeGrowth.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <IsPackable>false</IsPackable>
    <InvariantGlobalization>true</InvariantGlobalization>
    <IlcGenerateMstatFile>true</IlcGenerateMstatFile>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$root/SessionConnector/SessionConnector.csproj" />
    <ProjectReference Include="$root/SessionConnector.Generators/SessionConnector.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML
  {
    echo "using System; using System.Collections.Generic; using SessionConnector;"
    echo "namespace TypeGrowth;"
    for i in $(seq 1 "$count"); do
      if [ "$shape" = rich ]; then
        cat <<CS
[SessionData]
public partial class Session$i
{
    public int Count { get; set; }
    public long UserId { get; set; }
    public string Name { get; set; } = "";
    public bool Active { get; set; }
    public Guid Token { get; set; }
    public DateTimeOffset Seen { get; set; }
    public List<string>? Tags { get; set; }
    public Dictionary<string, int>? Scores { get; set; }
}
CS
        continue
      fi
      cat <<CS
[SessionData]
public partial class Session$i
{
    public int Count { get; set; }
    public long UserId { get; set; }
    public string Name { get; set; } = "";
    public bool Active { get; set; }
    public double Score { get; set; }
    public Guid Token { get; set; }
    public DateTime Seen { get; set; }
    public List<string>? Tags { get; set; }
}
CS
    done
    echo "public static class Program"
    echo "{"
    echo "    public static int Main()"
    echo "    {"
    echo "        int total = 0;"
    for i in $(seq 1 "$count"); do
      scores=""
      [ "$shape" = rich ] && scores=", Scores = new() { [\"s\"] = $i }"
      echo "        total += Touch(new Session$i { Count = $i, Name = \"n$i\", Tags = new() { \"t\" }$scores });"
    done
    echo "        Console.WriteLine(\"TypeGrowth OK \" + total);"
    echo "        return 0;"
    echo "    }"
    echo ""
    echo "    // Everything the connector calls on a session type: both formats, the copy, the default and the merge."
    echo "    private static int Touch<T>(T value) where T : ISessionData<T>"
    echo "    {"
    echo "        T copy = SessionSerializer.FromMessagePack<T>(SessionSerializer.ToMessagePack(T.DeepClone(value)));"
    echo "        copy = SessionSerializer.FromJson<T>(SessionSerializer.ToJson(copy));"
    echo "        T merged = T.Merge(T.CreateDefault(), copy, value, new SessionMergeContext(typeof(T)));"
    echo "        int same = T.ValueEquals(merged, value) ? 1 : 0;"
    echo "        return same + SessionSerializer.ToMessagePack(copy).Length + SessionSerializer.ToMessagePack(T.CreateDefault()).Length;"
    echo "    }"
    echo "}"
  } >"$dir/Program.cs"
  echo "-- publish $count type(s)" >&2
  if ! aot_publish "$dir/TypeGrowth.csproj" "$dir/out" >"$dir/publish.log" 2>&1; then
    tail -30 "$dir/publish.log" >&2
    exit 1
  fi
  "$dir/out/TypeGrowth" >&2
  stat -c %s "$dir/out/TypeGrowth"
}

one=$(make_app 1)
many=$(make_app "$n")
per=$(( (many - one) / (n - 1) ))
echo "1 type: $one bytes; $n types: $many bytes; growth per eight-member type: $per bytes ($(( per / 1024 )) KiB)"
echo "-- compiled methods of Session$n (from the ILCompiler's mstat):"
dotnet run --project "$root/scripts/mstat-methods/MstatMethods.csproj" -c Release -- \
  "$work/app$n/obj/Release/net10.0/linux-x64/native/TypeGrowth.mstat" "Session$n"
