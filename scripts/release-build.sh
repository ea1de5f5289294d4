#!/usr/bin/env bash
# Release builds of otelcol-warden: a version-stamped, static, stripped binary per platform.
#
#   scripts/release-build.sh version            prints the stamped version, e.g. 0.1.0+ecc8f33c1a2b.20261201T225800Z
#   scripts/release-build.sh binary OS ARCH OUT  builds the stamped binary for OS/ARCH into OUT
#   scripts/release-build.sh image               `make image`: the OCI image, saved to dist/ as an OCI archive
#   scripts/release-build.sh dist OS/ARCH...     `make dist`: an archive and a CycloneDX SBOM per platform
#   scripts/release-build.sh checksums           dist/checksums.txt (SHA-256) over every artefact in dist/
#
# The version has one source, dist.version in builder-config.yaml. The stamped form adds SemVer build
# metadata: the commit (12 hex digits, ".dirty" when tracked files differ from it) and the build date, so
# `--version`, `components` and the collector's own service.version resource attribute all carry the three.
# The build date is SOURCE_DATE_EPOCH when set, else the commit's time: the same commit gives the same bytes.
#
# How the stamp gets in while ocb stays the generator: ocb's main.go template writes dist.version as a
# string literal inside main(), so `-ldflags -X` cannot reach it. ocb reads every setting from the
# environment as well (koanf, "." as the key delimiter), so `dist.version=<stamped>` makes ocb itself write
# the stamped main.go, into a scratch copy .build/otelcol-warden beside cmd/otelcol-warden. go.mod and
# go.sum are the committed ones (ocb runs with --skip-get-modules), which `make check-generate` already
# proves are ocb's; the copy is then checked to differ from cmd/otelcol-warden in the Version line only.
set -euo pipefail
cd "$(dirname "$0")/.."

base_version() {
  awk '/^dist:/ {d=1; next} /^[^[:space:]#]/ {d=0} d && $1 == "version:" {print $2; exit}' builder-config.yaml
}

stamped_version() {
  local v commit epoch date
  v=$(base_version)
  [ -n "$v" ] || { echo "release-build: no dist.version in builder-config.yaml" >&2; exit 1; }
  if commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    git diff --quiet HEAD -- 2>/dev/null || commit="$commit.dirty"
    epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
  else
    commit=unknown
    epoch=${SOURCE_DATE_EPOCH:-0}
  fi
  date=$(date -u -d "@$epoch" +%Y%m%dT%H%M%SZ)
  echo "$v+$commit.$date"
}

# generate writes .build/otelcol-warden with ocb for the stamped version (skipped when already current).
generate() {
  local version=$1 out=.build/otelcol-warden config
  local want
  want="$version $(cat builder-config.yaml cmd/otelcol-warden/* | sha256sum | cut -d' ' -f1)"
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ]; then
    return 0
  fi
  rm -rf "$out" && mkdir -p "$out"
  cp cmd/otelcol-warden/go.mod cmd/otelcol-warden/go.sum "$out/"
  config=$(mktemp --suffix=.yaml)
  sed "s#output_path: ./cmd/otelcol-warden#output_path: ./$out#" builder-config.yaml > "$config"
  if ! log=$(env "dist.version=$version" go tool builder --config "$config" --skip-compilation --skip-get-modules 2>&1); then
    rm -f "$config"
    echo "$log" >&2
    exit 1
  fi
  rm -f "$config"
  # The copy must be the committed ocb output except for the version literal in main.go.
  local diffs
  diffs=$(diff cmd/otelcol-warden/main.go "$out/main.go" | grep -E '^[<>]' || true)
  if [ "$(ls "$out")" != "$(ls cmd/otelcol-warden)" ] ||
     ! (cd cmd/otelcol-warden && for f in *; do [ "$f" = main.go ] || cmp -s "$f" "../../$out/$f" || exit 1; done) ||
     [ "$(grep -c . <<<"$diffs")" -ne 2 ] || grep -vqE '^[<>]\s+Version:\s+"' <<<"$diffs"; then
    echo "release-build: the stamped ocb output differs from cmd/otelcol-warden beyond the version:" >&2
    diff -r cmd/otelcol-warden "$out" >&2 || true
    exit 1
  fi
  echo "$want" > "$out/.stamp"
}

binary() {
  local goos=$1 goarch=$2 out=$3 version
  version=$(stamped_version)
  generate "$version"
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
  # Static (CGO off), no build paths (-trimpath), stripped as ocb and the upstream releases do (-s -w).
  (cd .build/otelcol-warden && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch \
    go build -trimpath -ldflags='-s -w' -o "$out" .)
  echo "release-build: $out ($goos/$goarch, $version)"
}

IMAGE_REPO=ghcr.io/otelcol-warden/otelcol-warden
# The SBOM tool, pinned; `go run module@version` keeps it out of go.mod.
CYCLONEDX_GOMOD=${CYCLONEDX_GOMOD:-github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

build_epoch() {
  echo "${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD 2>/dev/null || echo 0)}"
}

# image stages .build/image with exactly the files the Containerfile copies, builds with podman, and saves an
# OCI archive. The image is for the machine's own architecture (the binary is cross-compiled, but podman
# would tag a foreign-architecture scratch image only with --platform, which the checks here cannot run).
image() {
  local version revision created arch ctx=.build/image archive
  version=$(base_version)
  revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  created=$(date -u -d "@$(build_epoch)" +%Y-%m-%dT%H:%M:%SZ)
  arch=$(go env GOARCH)
  [ -f "$CA_BUNDLE" ] || { echo "release-build: no CA bundle at $CA_BUNDLE: apt-get install ca-certificates" >&2; exit 1; }
  command -v podman >/dev/null || { echo "release-build: podman not found: apt-get install podman" >&2; exit 1; }
  rm -rf "$ctx" && mkdir -p "$ctx"
  binary linux "$arch" "$ctx/otelcol-warden"
  cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
  cp configs/container.yaml "$ctx/config.yaml"
  cp LICENSE "$ctx/LICENSE"
  podman build --quiet --file Containerfile --tag "$IMAGE_REPO:$version" \
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created" \
    --timestamp "$(build_epoch)" "$ctx" >/dev/null
  mkdir -p dist
  archive=dist/otelcol-warden_${version}_image_linux_${arch}.tar
  rm -f "$archive"
  podman save --quiet --format oci-archive --output "$archive" "$IMAGE_REPO:$version"
  echo "release-build: image $IMAGE_REPO:$version ($(podman image inspect --format '{{.Size}}' "$IMAGE_REPO:$version") bytes), saved to $archive"
}

# dist writes, per OS/ARCH, dist/otelcol-warden_<version>_<os>_<arch>.tar.gz (binary, LICENSE, README.md)
# and its SBOM dist/otelcol-warden_<version>_<os>_<arch>.cdx.json. Archives are reproducible: sorted
# names, the build date as every file's time, numeric root ownership, gzip without a name or time.
dist() {
  local version epoch platform goos goarch name stage
  version=$(base_version)
  epoch=$(build_epoch)
  mkdir -p dist
  for platform in "$@"; do
    goos=${platform%/*} goarch=${platform#*/}
    name=otelcol-warden_${version}_${goos}_${goarch}
    stage=.build/dist/$name
    rm -rf "$stage" && mkdir -p "$stage"
    binary "$goos" "$goarch" "$stage/otelcol-warden"
    cp LICENSE README.md "$stage/"
    tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$stage" -cf - \
      otelcol-warden LICENSE README.md | gzip -n -9 > "dist/$name.tar.gz"
    # The SBOM is read from the archived binary itself (the module list and build settings Go embeds), so
    # it lists exactly what was linked for this platform. (`app` mode would read the module graph instead,
    # but needs the version from git, which it cannot read in a git worktree. Its licence detection would
    # fetch the main module from the module proxy, where it is not, so the SBOM has no licence fields.)
    go run "$CYCLONEDX_GOMOD" bin -json -noserial -notimestamp -version "v$(stamped_version)" \
      -output "dist/$name.cdx.json" "$stage/otelcol-warden"
    echo "release-build: dist/$name.tar.gz ($(stat -c %s "dist/$name.tar.gz") bytes), dist/$name.cdx.json"
  done
}

checksums() {
  (cd dist && shopt -s nullglob && files=(*.tar.gz *.tar *.cdx.json) && \
    { [ ${#files[@]} -gt 0 ] || { echo "release-build: nothing in dist/ to sum" >&2; exit 1; }; } && \
    sha256sum "${files[@]}" > checksums.txt)
  echo "release-build: dist/checksums.txt ($(wc -l < dist/checksums.txt) artefacts)"
}

case "${1:-}" in
  version)
    stamped_version
    ;;
  binary)
    [ $# -eq 4 ] || { echo "usage: $0 binary OS ARCH OUT" >&2; exit 2; }
    binary "$2" "$3" "$4"
    ;;
  image)
    image
    checksums
    ;;
  dist)
    shift
    [ $# -gt 0 ] || { echo "usage: $0 dist OS/ARCH..." >&2; exit 2; }
    dist "$@"
    checksums
    ;;
  checksums)
    checksums
    ;;
  *)
    echo "usage: $0 version | binary OS ARCH OUT | image | dist OS/ARCH... | checksums" >&2
    exit 2
    ;;
esac
