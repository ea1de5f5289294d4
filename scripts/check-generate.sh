#!/usr/bin/env bash
# Fails when the committed generated code disagrees with its source:
#  - cmd/otelcol-warden (ocb output) with builder-config.yaml;
#  - each component's mdatagen output (internal/metadata*, generated tests, documentation.md and the
#    README's status section) with its metadata.yaml.
# A check must not modify the working tree: everything is regenerated in a scratch copy of it (tracked and
# untracked, non-ignored files, at the same paths, so import paths and ocb's `=> ../..` replace still
# resolve) and compared with the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$(mktemp -d "${TMPDIR:-/tmp}/warden-check-generate.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue # deleted in the working tree, not yet committed
  mkdir -p "$scratch/$(dirname "$f")"
  cp -p "$f" "$scratch/$f"
done

status=0
report() { # report WHAT OLD NEW: shows and records a difference (a file on one side only counts)
  [ -e "$2" ] || [ -e "$3" ] || return 0
  if ! diff -ruN "$2" "$3" >/dev/null; then
    echo "check-generate: $1 is out of date; run 'make generate'" >&2
    diff -ruN "$2" "$3" | head -40 >&2 || true
    status=1
  fi
}

(cd "$scratch" && ./scripts/ocb-generate.sh cmd/otelcol-warden)
for f in main.go main_others.go main_windows.go components.go go.mod go.sum; do
  report "cmd/otelcol-warden/$f (from builder-config.yaml)" "$root/cmd/otelcol-warden/$f" "$scratch/cmd/otelcol-warden/$f"
done

for meta in processor/*/metadata.yaml exporter/*/metadata.yaml extension/*/metadata.yaml; do
  [ -f "$meta" ] || continue
  dir=$(dirname "$meta")
  (cd "$scratch/$dir" && go tool mdatagen metadata.yaml)
  for g in internal/metadata internal/metadatatest documentation.md README.md; do
    report "mdatagen output $dir/$g (from its metadata.yaml)" "$root/$dir/$g" "$scratch/$dir/$g"
  done
  for name in $( (cd "$scratch/$dir" && ls generated_*_test.go; cd "$root/$dir" && ls generated_*_test.go) 2>/dev/null | sort -u); do
    report "mdatagen output $dir/$name (from its metadata.yaml)" "$root/$dir/$name" "$scratch/$dir/$name"
  done
done
[ $status -eq 0 ] && echo "check-generate: generated code matches builder-config.yaml and every metadata.yaml"
exit $status
