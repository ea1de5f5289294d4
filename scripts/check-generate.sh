#!/usr/bin/env bash
# Fails when the committed generated code disagrees with its source:
#  - cmd/otelcol-warden (ocb output) with builder-config.yaml, regenerated into a scratch folder and compared;
#  - each component's mdatagen output with its metadata.yaml, regenerated in place and compared with git.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.gen/otelcol-warden
rm -rf .gen
trap 'rm -rf .gen' EXIT
./scripts/ocb-generate.sh "$scratch"
status=0
for f in main.go main_others.go main_windows.go components.go go.mod go.sum; do
  if ! diff -u "cmd/otelcol-warden/$f" "$scratch/$f" >/dev/null; then
    echo "check-generate: cmd/otelcol-warden/$f is out of date with builder-config.yaml; run 'make generate'" >&2
    diff -u "cmd/otelcol-warden/$f" "$scratch/$f" | head -40 >&2 || true
    status=1
  fi
done
for meta in processor/*/metadata.yaml exporter/*/metadata.yaml; do
  [ -f "$meta" ] || continue
  dir=$(dirname "$meta")
  (cd "$dir" && go tool mdatagen metadata.yaml)
  generated=("$dir/internal/metadata" "$dir/internal/metadatatest" "$dir"/generated_*_test.go "$dir/documentation.md")
  if ! git diff --quiet -- "${generated[@]}" || [ -n "$(git status --porcelain --untracked-files=all -- "${generated[@]}")" ]; then
    echo "check-generate: mdatagen output in $dir is out of date with its metadata.yaml; run 'make generate'" >&2
    git status --short --untracked-files=all -- "${generated[@]}" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "check-generate: generated code matches builder-config.yaml and every metadata.yaml"
exit $status
