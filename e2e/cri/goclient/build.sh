#!/bin/bash
# Builds streamclient (client-go's exec and port-forward clients) into the test
# cache and prints the binary's path. The binary is named by a hash of the
# sources, so an edit rebuilds it and an unchanged tree reuses it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=/var/cache/tsvisor-test
export GOPATH=$cache/go GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
hash=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)
out=$cache/bin/streamclient-$hash
if [ ! -x "$out" ]; then
  mkdir -p "$cache/bin"
  (cd "$here" && go build -trimpath -o "$out.tmp" .)
  mv "$out.tmp" "$out"
fi
echo "$out"
