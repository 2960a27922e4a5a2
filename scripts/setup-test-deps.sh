#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests and benchmarks need.
# Idempotent and quick when everything is present: it asks dpkg first and only
# then runs apt-get. Fails loudly (non-zero exit, clear message) when a package
# cannot be installed or a required tool is still missing afterwards.
set -euo pipefail

# Debian package -> a file it must provide (checked after installing).
declare -A PROVIDES=(
  [busybox-static]=/bin/busybox
  [coreutils]=/usr/bin/sha256sum
  [python3]=/usr/bin/python3
  [perl]=/usr/bin/perl
  [sqlite3]=/usr/bin/sqlite3
  [openssl]=/usr/bin/openssl
  [gcc]=/usr/bin/gcc
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  [runsc]=/usr/bin/runsc
  [time]=/usr/bin/time
  [procps]=/usr/bin/ps
  [util-linux]=/usr/bin/setsid
  [ethtool]=/usr/sbin/ethtool
  [curl]=/usr/bin/curl
  [nginx]=/usr/sbin/nginx
  [wrk]=/usr/bin/wrk
  [iproute2]=/usr/bin/ss
  # deploy/installer/systemd.test.ts boots a node whose init is systemd
  [systemd]=/usr/lib/systemd/systemd
  [systemd-container]=/usr/bin/systemd-nspawn
)

die() { echo "setup-test-deps: ERROR: $*" >&2; exit 1; }

source "$(dirname "$0")/lib/apt-provides.sh"
ensure_provides setup-test-deps

# The suite compiles static test programs; prove the toolchain links one.
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void){return 0;}\n' > "$probe_dir/p.c"
/usr/bin/gcc -static -o "$probe_dir/p" "$probe_dir/p.c" || die "gcc cannot link a static binary"
"$probe_dir/p" || die "static probe binary does not run"
echo "setup-test-deps: all test dependencies present"
