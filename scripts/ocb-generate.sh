#!/usr/bin/env bash
# Generates the ocb output for builder-config.yaml into the folder given (default cmd/otelcol-warden).
# The folder must sit two levels below the repository root: the manifest's replace `=> ../..` points there.
#
# ocb's own "get modules" step writes go.mod and then runs a strict `go mod tidy`, which fails on this
# train: the tests of k8sattributesprocessor v1.0.0 import pkg/semconvtest v0.161.0, which the module proxy
# does not serve. Those tests are never built into the binary, so that one failure is tolerated (any other
# stops the script) and the module is tidied with -e instead.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-cmd/otelcol-warden}
config=builder-config.yaml
if [ "$out" != "cmd/otelcol-warden" ]; then
  config=$(mktemp --suffix=.yaml)
  trap 'rm -f "$config"' EXIT
  sed "s#output_path: ./cmd/otelcol-warden#output_path: ./$out#" builder-config.yaml > "$config"
fi
mkdir -p "$out"
if ! log=$(go tool builder --config "$config" --skip-compilation 2>&1); then
  if ! grep -q 'pkg/semconvtest@v0.161.0' <<<"$log"; then
    echo "$log" >&2
    exit 1
  fi
fi
(cd "$out" && go mod tidy -e 2>&1 | grep -v -e '^go: downloading' -e semconvtest -e 'server response' -e 'k8sattributesprocessor' -e 'imports$' -e 'tested by$' -e '^\s*$' || true)
# tidy -e forgives every error, not only the known one: prove that everything the binary imports resolves.
(cd "$out" && go list -deps . >/dev/null)
