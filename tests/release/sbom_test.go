package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// cycloneDX is the part of a CycloneDX JSON BOM the checks read.
type cycloneDX struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Component struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"component"`
		Properties []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"properties"`
	} `json:"metadata"`
	Components []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	} `json:"components"`
}

// ownModule is this repository's root module, built from the checkout (replaced by ../..), not released.
const ownModule = "github.com/otelcol-warden/otelcol-warden"

// Each archive has its SBOM, read from the archived binary (its SHA-256, GOOS and GOARCH), listing every module of the manifest at the version
// of the pinned train (core v0.161.0, stable v1.67.0, contrib v0.161.0), and no collector module of
// another release.
func TestSBOMs(t *testing.T) {
	cfg := loadBuilderConfig(t)
	var manifest []string
	for _, group := range [][]builderModule{cfg.Receivers, cfg.Processors, cfg.Exporters, cfg.Connectors, cfg.Extensions, cfg.Providers} {
		for _, m := range group {
			if !strings.HasPrefix(m.GoMod, ownModule+" ") {
				manifest = append(manifest, m.GoMod)
			}
		}
	}
	for platform, archive := range archives(t) {
		t.Run(platform, func(t *testing.T) {
			path := strings.TrimSuffix(archive, ".tar.gz") + ".cdx.json"
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("SBOM of %s: %v", platform, err)
			}
			var bom cycloneDX
			if err := json.Unmarshal(b, &bom); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if bom.BOMFormat != "CycloneDX" || bom.SpecVersion == "" {
				t.Errorf("bomFormat %q specVersion %q, want a CycloneDX BOM", bom.BOMFormat, bom.SpecVersion)
			}
			goos, goarch, _ := strings.Cut(platform, "_")
			props := map[string]string{}
			for _, p := range bom.Metadata.Properties {
				props[p.Name] = p.Value
			}
			if props["cdx:gomod:build:env:GOOS"] != goos || props["cdx:gomod:build:env:GOARCH"] != goarch {
				t.Errorf("SBOM made for GOOS=%q GOARCH=%q, want %s/%s", props["cdx:gomod:build:env:GOOS"], props["cdx:gomod:build:env:GOARCH"], goos, goarch)
			}
			_, contents := readArchive(t, archive)
			sum := sha256.Sum256(contents["otelcol-warden"])
			if got := props["cdx:gomod:binary:hash:SHA-256"]; got != hex.EncodeToString(sum[:]) {
				t.Errorf("SBOM describes a binary with SHA-256 %q, not the archived one (%x)", got, sum)
			}
			if want := stampedVersionPattern(t); !want.MatchString(strings.TrimPrefix(bom.Metadata.Component.Version, "v")) {
				t.Errorf("SBOM main component version %q, want v<%s>", bom.Metadata.Component.Version, want)
			}
			listed := map[string]string{}
			for _, c := range bom.Components {
				listed[c.Name] = c.Version
			}
			for _, gomod := range append(manifest,
				"go.opentelemetry.io/collector/otelcol v0.161.0",
				"go.opentelemetry.io/collector/component v1.67.0",
			) {
				name, want, _ := strings.Cut(gomod, " ")
				if got, ok := listed[name]; !ok {
					t.Errorf("SBOM does not list %s", name)
				} else if got != want {
					t.Errorf("SBOM lists %s %s, want %s", name, got, want)
				}
			}
			for name, v := range listed {
				if strings.HasPrefix(name, "go.opentelemetry.io/collector") && v != "v0.161.0" && v != "v1.67.0" {
					t.Errorf("SBOM lists %s %s, off the pinned train (v0.161.0 / v1.67.0)", name, v)
				}
			}
		})
	}
}
