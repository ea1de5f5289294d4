# otelcol-warden: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BIN         := bin/otelcol-warden
DIST_DIR    := cmd/otelcol-warden
GO          ?= go
GOTEST_FLAGS ?= -count=1
# Packages of our own that have unit tests; the e2e suite runs separately against the built binary.
UNIT_PKGS   := ./internal/... ./processor/... ./exporter/... ./extension/... ./tools/... ./bench/...
COMPONENT_DIRS := $(wildcard processor/*/ exporter/*/ extension/*/)

.PHONY: build run demo test unit-test e2e-test k8s-test validate-configs \
        generate check-generate eval-pii eval-logreduce bench bench-e2e bench-peer clean \
        image dist release-test

## build: compile bin/otelcol-warden from the committed ocb output (no ocb run needed)
build:
	@mkdir -p bin
	cd $(DIST_DIR) && CGO_ENABLED=0 $(GO) build -trimpath -o ../../$(BIN) .

## run: build if needed and start the collector on configs/local.yaml (no backend needed)
run: build data/pii-scrub.key
	@echo "otelcol-warden: status page on http://$${WARDEN_STATUS_ENDPOINT:-127.0.0.1:13134}/ (API: /api/v1/summary)"
	$(BIN) --config configs/local.yaml

# A random demo key for pii_scrub's pseudonyms, made once per checkout and never committed.
data/pii-scrub.key:
	@mkdir -p data && umask 077 && head -c 32 /dev/urandom | base64 > $@

## demo: start the collector and the demo traffic generator, then print a before/after summary
demo: build data/pii-scrub.key
	$(GO) run ./tools/demo --collector $(BIN) --config configs/local.yaml

## test: everything CI runs
test: check-generate unit-test build e2e-test k8s-test release-test

unit-test:
	$(GO) test $(GOTEST_FLAGS) -race $(UNIT_PKGS)
	# pii_scrub's linear-time tests count work with a counter that only exists under this tag
	$(GO) test $(GOTEST_FLAGS) -tags piiscrub_work -run LinearWork ./processor/piiscrub/

## validate-configs: the binary's own check of every shipped collector config (also an e2e test)
validate-configs: build data/pii-scrub.key
	@set -e; for f in $(filter-out configs/kustomization.yaml,$(wildcard configs/*.yaml)); do \
	  WARDEN_PII_KEY_FILE=$(CURDIR)/data/pii-scrub.key $(BIN) validate --config $$f >/dev/null && echo "valid: $$f"; \
	done

e2e-test: build
	WARDEN_BIN=$(CURDIR)/$(BIN) $(GO) test $(GOTEST_FLAGS) -timeout 40m ./tests/e2e/...

k8s-test: build
	WARDEN_BIN=$(CURDIR)/$(BIN) $(GO) test $(GOTEST_FLAGS) ./tests/k8s/...

## generate: regenerate mdatagen code of every component and the ocb output in cmd/otelcol-warden
generate:
	@set -e; for d in $(COMPONENT_DIRS); do \
	  if [ -f $$d/metadata.yaml ]; then (cd $$d && $(GO) tool mdatagen metadata.yaml); fi; \
	done
	./scripts/ocb-generate.sh $(DIST_DIR)

## check-generate: fail when builder-config.yaml or a metadata.yaml disagrees with the committed output
check-generate:
	./scripts/check-generate.sh

## eval-pii: precision, recall, leak rate and collateral damage of pii_scrub (EVAL_ARGS="-presidio DIR")
eval-pii:
	$(GO) run ./tools/evalpii $(EVAL_ARGS)

## eval-logreduce: grouping accuracy of log_reduce's template mining per system on Loghub 2k (read in place)
eval-logreduce:
	$(GO) run ./tools/evallogreduce -dataset $(or $(LOGHUB_DIR),$(firstword $(wildcard ../shared/datasets/loghub-2k ../../shared/datasets/loghub-2k)),../shared/datasets/loghub-2k) $(EVAL_ARGS)

# benchstat is a dev tool: pinned here and run with `go run pkg@version`, so it adds nothing to go.mod
# (a tool requirement there would move the binary's golang.org/x dependencies).
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

## bench: the component benchmarks against their contrib peers, summarised with benchstat;
## keep bench.txt and compare two runs with `go run $(BENCHSTAT) old.txt bench.txt`
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./internal/... ./processor/... ./exporter/... | tee bench.txt
	$(GO) run $(BENCHSTAT) bench.txt

## bench-e2e: otelcol-warden against a contrib-only collector of the same train, end to end (minutes; not
## part of `make test`): builds both and tools/loadgen, writes the table into docs/benchmarks.md and the
## CPU profiles' top entries into bin/bench/hotspots.md. BENCH_ARGS="-rounds 5 -duration 10s -pairs tail_policy"
bench-e2e: build bench-peer
	$(GO) build -o bin/loadgen ./tools/loadgen
	$(GO) run ./bench/runner -warden $(BIN) -peer bin/otelcol-peer -loadgen bin/loadgen $(BENCH_ARGS)

## bench-peer: build bin/otelcol-peer from bench/peer (cold: ~10 CPU-minutes, under nice);
## `scripts/bench-e2e-peer.sh generate` regenerates bench/peer/otelcol-peer from its manifest first
bench-peer:
	./scripts/bench-e2e-peer.sh

# Release artefacts, all in dist/ (scripts/release-build.sh says how): the version is dist.version in
# builder-config.yaml, stamped with the commit and build date; the image is
# ghcr.io/otelcol-warden/otelcol-warden:<dist.version>, the tag the Kubernetes manifests and README name.
RELEASE_BUILD  := ./scripts/release-build.sh
DIST_PLATFORMS ?= linux/amd64 linux/arm64

## image: the OCI image (podman, FROM scratch), saved to dist/ as an OCI archive, plus dist/checksums.txt
image:
	$(RELEASE_BUILD) image

## dist: an archive (binary, LICENSE, README.md) and a CycloneDX SBOM per DIST_PLATFORMS, dist/checksums.txt
dist:
	$(RELEASE_BUILD) dist $(DIST_PLATFORMS)

## release-test: the image reference and version agree everywhere; with WARDEN_RELEASE_DIST=dist (after
## `make image dist`, as .ci/run does) also the artefact checks: image file system, binary, archives, SBOMs
release-test:
	$(GO) test $(GOTEST_FLAGS) ./tests/release/...

clean:
	rm -rf bin data .gen .build dist
