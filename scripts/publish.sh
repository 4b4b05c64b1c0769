#!/usr/bin/env bash
# Builds `herald` as one self-contained executable per platform: no .NET needed on the target machine.
#
#   scripts/publish.sh                      # linux-x64 and linux-arm64
#   scripts/publish.sh linux-x64            # one platform
#
# Output: artifacts/publish/<rid>/herald (one file; the version comes from the VERSION file, plus the git commit).
# Not trimmed: Dapper, System.Text.Json over anonymous types, Razor components and System.CommandLine bind by
# reflection, which trimming would break at run time. Only the SQLite native library of the target platform goes in
# (the RuntimeIdentifier selects it), bundled in the file and unpacked on first start to $DOTNET_BUNDLE_EXTRACT_BASE_DIR
# (default ~/.net).
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(tr -d '[:space:]' < VERSION)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)

for rid in "${rids[@]}"; do
  out="artifacts/publish/$rid"
  rm -rf "$out"
  echo "Publishing herald $version ($commit) for $rid to $out ..."
  dotnet publish src/Herald/Herald.csproj -c Release -r "$rid" --self-contained true -nologo -v q --tl:off \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=true \
    -p:DebugType=none -p:GenerateDocumentationFile=false \
    -p:Version="$version" -p:SourceRevisionId="$commit" -o "$out"
  # Only the executable is the product: no .pdb, no static-web-assets folder the dashboard does not use (its own
  # assets are embedded in the binary).
  find "$out" -mindepth 1 -maxdepth 1 ! -name herald -exec rm -rf {} +
  size=$(stat -c %s "$out/herald")
  echo "  $out/herald: $((size / 1024 / 1024)) MiB"
done
