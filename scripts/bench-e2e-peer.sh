#!/usr/bin/env bash
# Builds bin/otelcol-peer, the contrib-only collector make bench-e2e compares otelcol-warden against.
#   scripts/bench-e2e-peer.sh             build from the committed ocb output in bench/peer/otelcol-peer
#   scripts/bench-e2e-peer.sh generate    first regenerate that output from bench/peer/builder-config.yaml
# The cold build compiles all of contrib's dependencies once (about 10 CPU-minutes on 2 cores); it runs
# under nice so it does not starve a shared machine. Later builds come from the Go build cache.
#
# ocb's own "get modules" step ends with a strict `go mod tidy`, which fails on this train only because
# the tests of k8sattributesprocessor v1.0.0 import pkg/semconvtest v0.161.0 (not served by the module
# proxy; see scripts/ocb-generate.sh). That one failure is tolerated and the module tidied with -e.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/peer/otelcol-peer
if [ "${1:-}" = generate ]; then
  mkdir -p "$out"
  if ! log=$(go tool builder --config bench/peer/builder-config.yaml --skip-compilation 2>&1); then
    if ! grep -q 'pkg/semconvtest@v0.161.0' <<<"$log"; then
      echo "$log" >&2
      exit 1
    fi
  fi
  (cd "$out" && go mod tidy -e 2>&1 | grep -v -e '^go: downloading' -e semconvtest -e 'server response' -e 'k8sattributesprocessor' -e 'imports$' -e 'tested by$' -e '^\s*$' || true)
  (cd "$out" && go list -deps . >/dev/null)
  gofmt -w "$out"/*.go   # ocb's output is not gofmt-clean; formatted, the committed copy is reproducible
fi
mkdir -p bin
(cd "$out" && CGO_ENABLED=0 nice -n 10 go build -trimpath -o ../../../bin/otelcol-peer .)
