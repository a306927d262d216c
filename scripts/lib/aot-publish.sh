# shellcheck shell=bash
# The one NativeAOT publish command every script uses (source it; it defines a function and runs nothing):
# linux-x64, PublishAot, full trimming, Release. Warnings are not errors here: the callers grep the log for IL2xxx/IL3xxx
# themselves (the AOT gate and pack-consume fail on any), so a dependency's warning is reported instead of aborting the
# publish before it can be counted.
# Usage: aot_publish PROJECT OUTPUT_DIR [more dotnet publish arguments...]   (PROJECT: a .csproj, or . for the folder)
aot_publish() {
  local project=$1 output=$2
  shift 2
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -p:TrimMode=full -p:TreatWarningsAsErrors=false \
    -o "$output" -nologo "$@"
}
