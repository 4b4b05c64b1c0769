#!/usr/bin/env bash
# Packs herald as a .NET tool (framework-dependent: it needs the .NET 10 runtime with ASP.NET Core, as the SDK has)
# into artifacts/nupkg, and prints how to install it from there, offline:
#
#   scripts/pack-tool.sh
#   dotnet tool install --global Herald.Server --add-source artifacts/nupkg
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(tr -d '[:space:]' < VERSION)"
dotnet pack src/Herald/Herald.csproj -c Release -nologo -v q --tl:off -p:HeraldTool=true -p:Version="$version" -o artifacts/nupkg
echo "Packed artifacts/nupkg/Herald.Server.$version.nupkg. Install it with:"
echo "  dotnet tool install --global Herald.Server --add-source artifacts/nupkg"
