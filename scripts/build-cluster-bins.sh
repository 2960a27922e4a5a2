#!/usr/bin/env bash
# Builds the test cluster's binaries with Go from the Go module proxy, pinned by
# scripts/cluster-versions.env: Kubernetes (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl), etcd, helm and metrics-server.
# Each lands in a cache folder outside the repo keyed by its version:
#   $CACHE/k8s-<ver>/bin/<name>   $CACHE/etcd-<ver>/bin/etcd   $CACHE/helm-<ver>/bin/helm
#   $CACHE/metrics-server-<ver>/bin/metrics-server
# A binary that exists (and `go version -m` says was built from the pinned
# version) is not rebuilt. Builds run one package at a time under nice so a
# two-core machine stays usable (TSVISOR_BUILD_JOBS raises go build -p).
# Fails loudly; never skips.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cluster-versions.env
. "$HERE/cluster-versions.env"
CACHE=${TSVISOR_TEST_CACHE:-/var/cache/tsvisor-test}
JOBS=${TSVISOR_BUILD_JOBS:-1}
K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

die() { echo "build-cluster-bins: ERROR: $*" >&2; exit 1; }
log() { echo "build-cluster-bins: $*" >&2; }
command -v go >/dev/null || die "go not found"

export GOSUMDB=off GOFLAGS=-mod=mod GOPATH="$CACHE/go" GOCACHE="$CACHE/go-build" GOTOOLCHAIN=local CGO_ENABLED=0

# built BIN MODULE VERSION: BIN exists and was built with MODULE at VERSION.
built() {
  [ -x "$1" ] && go version -m "$1" 2>/dev/null |
    grep -Eq "^[[:space:]]+(dep|mod)[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

# gobuild DIR OUT PKG [LDFLAGS]: builds PKG from the wrapper module in DIR.
gobuild() {
  local dir=$1 out=$2 pkg=$3 ldflags="-s -w ${4:-}" start
  start=$(date +%s)
  log "building $(basename "$out") ($pkg)"
  (cd "$dir" && nice -n 10 go build -p "$JOBS" -trimpath -ldflags="$ldflags" -o "$out.tmp" "$pkg") ||
    die "building $pkg failed"
  mv "$out.tmp" "$out"
  log "built $(basename "$out") in $(($(date +%s) - start))s"
}

# wrapper DIR GOVERSION REQUIRE-LINE IMPORT...: a module that requires one
# pinned module and imports the packages to build (tools.go), tidied.
wrapper() {
  local dir=$1 gov=$2 req=$3; shift 3
  mkdir -p "$dir"
  printf 'module tsvisor.local/clusterbins\n\ngo %s\n\nrequire %s\n' "$gov" "$req" >"$dir/go.mod"
  { printf '//go:build tools\n\n// Package clusterbins pins the test cluster'"'"'s binaries.\npackage clusterbins\n\nimport (\n'
    for imp in "$@"; do printf '\t_ "%s"\n' "$imp"; done
    printf ')\n'; } >"$dir/tools.go"
}

build_kubernetes() {
  local root="$CACHE/k8s-$KUBERNETES_VERSION" missing=() b
  for b in "${K8S_BINS[@]}"; do built "$root/bin/$b" k8s.io/kubernetes "$KUBERNETES_VERSION" || missing+=("$b"); done
  [ "${#missing[@]}" -eq 0 ] && return
  local mod="$root/module" staging="v0${KUBERNETES_VERSION#v1}" # v1.34.5 -> v0.34.5
  mkdir -p "$root/bin"
  wrapper "$mod" 1.24.0 "k8s.io/kubernetes $KUBERNETES_VERSION" "${K8S_BINS[@]/#/k8s.io/kubernetes/cmd/}"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
  # with folders of its own repo; a dependent module must replace each with the
  # published v0.X.Y. The list is read from the pinned go.mod itself.
  local gomod
  gomod=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes $KUBERNETES_VERSION's go.mod (is the Go module proxy reachable?)"
  { printf '\n// The same GODEBUG defaults as upstream builds.\ngodebug default=go1.24\n\nreplace (\n'
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    printf ')\n'; } >>"$mod/go.mod"
  grep -q "k8s.io/client-go => k8s.io/client-go $staging" "$mod/go.mod" || die "no staging replace directives found in $gomod"
  (cd "$mod" && go mod tidy) || die "go mod tidy for Kubernetes $KUBERNETES_VERSION failed"
  # What `kubectl version` and the node report (upstream sets these with hack/lib/version.sh).
  local minor=${KUBERNETES_VERSION#v1.} ld="" p
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for b in "${missing[@]}"; do gobuild "$mod" "$root/bin/$b" "k8s.io/kubernetes/cmd/$b" "$ld"; done
}

build_etcd() {
  local root="$CACHE/etcd-$ETCD_VERSION"
  built "$root/bin/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" && return
  mkdir -p "$root/bin"
  wrapper "$root/module" 1.25.0 "go.etcd.io/etcd/server/v3 $ETCD_VERSION" go.etcd.io/etcd/server/v3/etcdmain
  # etcd's own main package (go.etcd.io/etcd/v3) only calls etcdmain.Main; that
  # module replaces its siblings with local folders, so it cannot be a dependency.
  mkdir -p "$root/module/cmd/etcd"
  printf '// Command etcd is etcd built from go.etcd.io/etcd/server/v3.\npackage main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' \
    >"$root/module/cmd/etcd/main.go"
  (cd "$root/module" && go mod tidy) || die "go mod tidy for etcd $ETCD_VERSION failed"
  gobuild "$root/module" "$root/bin/etcd" ./cmd/etcd
}

build_helm() {
  local root="$CACHE/helm-$HELM_VERSION"
  built "$root/bin/helm" helm.sh/helm/v3 "$HELM_VERSION" && return
  mkdir -p "$root/bin"
  wrapper "$root/module" 1.24.0 "helm.sh/helm/v3 $HELM_VERSION" helm.sh/helm/v3/cmd/helm
  (cd "$root/module" && go mod tidy) || die "go mod tidy for helm $HELM_VERSION failed"
  gobuild "$root/module" "$root/bin/helm" helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
}

build_metrics_server() {
  local root="$CACHE/metrics-server-$METRICS_SERVER_VERSION"
  built "$root/bin/metrics-server" sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" && return
  mkdir -p "$root/bin"
  wrapper "$root/module" 1.24.4 "sigs.k8s.io/metrics-server $METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server/cmd/metrics-server
  (cd "$root/module" && go mod tidy) || die "go mod tidy for metrics-server $METRICS_SERVER_VERSION failed"
  # What `metrics-server --version` prints (its Makefile sets client-go's version too).
  gobuild "$root/module" "$root/bin/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server \
    "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION -X k8s.io/client-go/pkg/version.buildDate=1970-01-01T00:00:00Z"
}

start=$(date +%s)
build_etcd
build_kubernetes
build_helm
build_metrics_server
for b in "${K8S_BINS[@]}"; do
  built "$CACHE/k8s-$KUBERNETES_VERSION/bin/$b" k8s.io/kubernetes "$KUBERNETES_VERSION" || die "$b is not built from Kubernetes $KUBERNETES_VERSION"
done
built "$CACHE/etcd-$ETCD_VERSION/bin/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" || die "etcd is not built from $ETCD_VERSION"
built "$CACHE/helm-$HELM_VERSION/bin/helm" helm.sh/helm/v3 "$HELM_VERSION" || die "helm is not built from $HELM_VERSION"
built "$CACHE/metrics-server-$METRICS_SERVER_VERSION/bin/metrics-server" sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" ||
  die "metrics-server is not built from $METRICS_SERVER_VERSION"
log "Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, helm $HELM_VERSION, metrics-server $METRICS_SERVER_VERSION ready in $CACHE ($(($(date +%s) - start))s)"
