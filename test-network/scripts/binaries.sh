#!/usr/bin/env bash
# Builds (or reuses) the Hyperledger Fabric command-line programs the native
# test network needs, at the version pinned in ../tools/go.mod.
#
# The binaries land in test-network/.build/bin. A stamp file records the
# Fabric version, the Go version and a hash of tools/go.sum; they are rebuilt
# only when one of the binaries is missing or the stamp differs.
#
# Usage: scripts/binaries.sh          build if needed, print the bin folder
#        scripts/binaries.sh --force  always rebuild
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$here/tools"
bin="$here/.build/bin"
stamp="$here/.build/fabric.stamp"
programs=(peer orderer configtxgen cryptogen osnadmin)
module=github.com/hyperledger/fabric

force=0
[[ "${1:-}" == "--force" ]] && force=1

version="$(awk -v m="$module" '($1 == m) { print $2 } ($1 == "require" && $2 == m) { print $3 }' "$tools/go.mod" | head -n1)"
[[ -n "$version" ]] || { echo "binaries: $module is not required in $tools/go.mod" >&2; exit 1; }

missing=()
for p in "${programs[@]}"; do
	[[ -x "$bin/$p" ]] || missing+=("$p")
done
if ! command -v go >/dev/null; then
	if [[ ${#missing[@]} -gt 0 ]]; then
		echo "binaries: ${missing[*]} missing from $bin, and the go command needed to build them is not on PATH" >&2
	else
		echo "binaries: the go command is not on PATH (needed to check the binaries' Go version and find Fabric's sampleconfig)" >&2
	fi
	exit 1
fi
want="fabric=$version go=$(go env GOVERSION) gosum=$(sha256sum "$tools/go.sum" | cut -c1-16)"
if [[ $force == 0 && ${#missing[@]} == 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	echo "$bin"
	exit 0
fi

echo "binaries: building ${programs[*]} from $module@$version (takes a few minutes)" >&2
mkdir -p "$bin"
rm -f "$stamp"
start=$(date +%s)
pkgs=()
for p in "${programs[@]}"; do
	pkgs+=("$module/cmd/$p")
done
# The release tag the pseudo-version stands for is written into the binaries'
# version output; the commit is the last part of the pseudo-version.
ldflags="-X $module/common/metadata.Version=${FABRIC_RELEASE:-3.1.1} -X $module/common/metadata.CommitSHA=${version##*-}"
(cd "$tools" && GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/" "${pkgs[@]}")
echo "$want" >"$stamp"
echo "binaries: built in $(($(date +%s) - start)) s" >&2
echo "$bin"
