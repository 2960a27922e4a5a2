#!/bin/sh
# Regenerates deploy/tsvisor.yaml, the plain manifests: the chart rendered with
# its defaults, the namespace included, without the helm-only pre-delete hook.
# deploy/chart.test.ts fails when the file and the chart differ.
set -e
here=$(dirname "$(readlink -f "$0")")
. "$here/../scripts/cluster-versions.env"
helm=${HELM:-${TSVISOR_TEST_CACHE:-/var/cache/tsvisor-test}/helm-$HELM_VERSION/bin/helm}
"$helm" template tsvisor "$here/../charts/tsvisor" -n tsvisor-system --set createNamespace=true --no-hooks >"$here/tsvisor.yaml"
