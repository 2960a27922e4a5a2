#!/usr/bin/env bash
# Installs what the CRI end-to-end tests need: Debian packages (a registry,
# containerd, CNI plugins, runc, openssl, htpasswd) and crictl + critest from
# cri-tools, built from the Go module proxy into a cache outside the repo.
# Idempotent and quick when everything is present: dpkg is asked first, and
# the Go build runs only when a binary is missing. Fails loudly (non-zero exit,
# clear message) when anything cannot be installed or built; it never skips.
set -euo pipefail

CRI_TOOLS_VERSION=v1.34.0
CACHE=${TSVISOR_TEST_CACHE:-/var/cache/tsvisor-test}
TOOLS_DIR="$CACHE/cri-tools-$CRI_TOOLS_VERSION"
BIN_DIR="$TOOLS_DIR/bin"

die() { echo "setup-cri-deps: ERROR: $*" >&2; exit 1; }

# Debian package -> a file it must provide (checked after installing).
declare -A PROVIDES=(
  [docker-registry]=/usr/bin/docker-registry
  [containerd]=/usr/bin/containerd
  [containernetworking-plugins]=/usr/lib/cni/bridge
  [runc]=/usr/sbin/runc
  [iproute2]=/usr/sbin/ip
  [iptables]=/usr/sbin/iptables
  [openssl]=/usr/bin/openssl
  [apache2-utils]=/usr/bin/htpasswd
  [busybox-static]=/bin/busybox
  [procps]=/usr/bin/pgrep
  [util-linux]=/usr/bin/ipcs
  [gcc]=/usr/bin/gcc
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  [golang-go]=/usr/bin/go
)
# Go may come from elsewhere (a newer toolchain on PATH): only install it when absent.
if command -v go >/dev/null; then unset 'PROVIDES[golang-go]'; fi

source "$(dirname "$0")/lib/apt-provides.sh"
ensure_provides setup-cri-deps

# crictl and critest, pinned. A wrapper module requires cri-tools so that
# `go build` resolves exactly that version and its go.sum-free dependencies.
if [ ! -x "$BIN_DIR/crictl" ] || [ ! -x "$BIN_DIR/critest" ]; then
  command -v go >/dev/null || die "go not found; cannot build cri-tools $CRI_TOOLS_VERSION"
  echo "setup-cri-deps: building crictl and critest $CRI_TOOLS_VERSION into $BIN_DIR"
  mkdir -p "$BIN_DIR" "$TOOLS_DIR/module"
  cat >"$TOOLS_DIR/module/go.mod" <<EOF
module tsvisor.local/critools

go 1.23

require sigs.k8s.io/cri-tools $CRI_TOOLS_VERSION
EOF
  cat >"$TOOLS_DIR/module/tools.go" <<'EOF'
//go:build tools

// Package critools pins the cri-tools commands the tsvisor CRI tests run.
package critools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
	_ "sigs.k8s.io/cri-tools/cmd/critest"
)
EOF
  (
    cd "$TOOLS_DIR/module"
    export GOSUMDB=off GOFLAGS=-mod=mod GOPATH="$CACHE/go" GOCACHE="$CACHE/go-build" GOTOOLCHAIN=local
    go mod tidy || die "go mod tidy failed (is the Go module proxy reachable?)"
    ldflags="-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRI_TOOLS_VERSION#v}"
    go build -ldflags "$ldflags" -o "$BIN_DIR/crictl.tmp" sigs.k8s.io/cri-tools/cmd/crictl || die "building crictl failed"
    # critest is a Ginkgo suite: its binary is the package's compiled test.
    go test -c -ldflags "$ldflags" -o "$BIN_DIR/critest.tmp" sigs.k8s.io/cri-tools/cmd/critest || die "building critest failed"
    mv "$BIN_DIR/crictl.tmp" "$BIN_DIR/crictl"
    mv "$BIN_DIR/critest.tmp" "$BIN_DIR/critest"
  ) || exit 1
fi

# Debian's dynamically linked busybox (package busybox; it conflicts with
# busybox-static, so it is unpacked, not installed): the critest images'
# base. Its shell runs applets through PATH, as in the busybox image
# critest's specs were written for; busybox-static runs them itself, so a
# masked /bin/ls would still run.
DEBIAN_BUSYBOX_DIR="$CACHE/debian-busybox"
if [ ! -x "$DEBIAN_BUSYBOX_DIR/bin/busybox" ]; then
  echo "setup-cri-deps: unpacking Debian's busybox into $DEBIAN_BUSYBOX_DIR"
  deb_dir=$(mktemp -d)
  chmod 777 "$deb_dir" # apt downloads as its own user (_apt)
  (cd "$deb_dir" && { apt-get download -q busybox || { apt-get update -q && apt-get download -q busybox; }; }) ||
    die "apt-get download busybox failed"
  rm -rf "$DEBIAN_BUSYBOX_DIR.tmp"
  dpkg-deb -x "$deb_dir"/busybox_*.deb "$DEBIAN_BUSYBOX_DIR.tmp" || die "unpacking the busybox package failed"
  rm -rf "$deb_dir"
  mv "$DEBIAN_BUSYBOX_DIR.tmp" "$DEBIAN_BUSYBOX_DIR"
fi
"$DEBIAN_BUSYBOX_DIR/bin/busybox" true || die "$DEBIAN_BUSYBOX_DIR/bin/busybox does not run"
echo "setup-cri-deps: busybox $DEBIAN_BUSYBOX_DIR/bin/busybox"

for bin in crictl critest; do
  go version -m "$BIN_DIR/$bin" | grep -Eq "^[[:space:]]+mod[[:space:]]+sigs.k8s.io/cri-tools[[:space:]]+$CRI_TOOLS_VERSION[[:space:]]" ||
    die "$BIN_DIR/$bin is not built from cri-tools $CRI_TOOLS_VERSION (delete it to rebuild)"
done
echo "setup-cri-deps: crictl  $BIN_DIR/crictl"
echo "setup-cri-deps: critest $BIN_DIR/critest"
echo "setup-cri-deps: all CRI test dependencies present"
