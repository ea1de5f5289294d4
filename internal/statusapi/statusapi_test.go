package statusapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

type fakeRegistry struct {
	component.StartFunc
	component.ShutdownFunc
	registered map[component.ID][]Kind
}

func (r *fakeRegistry) RegisterStatusProvider(id component.ID, kind Kind, _ Provider) func() {
	r.registered[id] = append(r.registered[id], kind)
	return func() { delete(r.registered, id) }
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

func TestRegisterFindsRegistryAmongExtensions(t *testing.T) {
	reg := &fakeRegistry{registered: map[component.ID][]Kind{}}
	host := hostWith{
		component.MustNewID("health_check"): struct {
			component.StartFunc
			component.ShutdownFunc
		}{}, // not a registry: skipped
		component.MustNewID("warden_status"): reg,
	}
	id := component.MustNewIDWithName("cardinality_guard", "a")
	undo := Register(host, id, KindCardinality, ProviderFunc(func() any { return 1 }))
	assert.Equal(t, []Kind{KindCardinality}, reg.registered[id])
	undo()
	assert.Empty(t, reg.registered)
}

func TestRegisterWithoutRegistryIsANoop(t *testing.T) {
	p := ProviderFunc(func() any { return 1 })
	id := component.MustNewID("pii_scrub")
	assert.NotPanics(t, func() { Register(componenttest.NewNopHost(), id, KindPII, p)() })
	assert.NotPanics(t, func() { Register(nil, id, KindPII, p)() })
	reg := &fakeRegistry{registered: map[component.ID][]Kind{}}
	host := hostWith{component.MustNewID("warden_status"): reg}
	Register(host, id, Kind("unknown"), p)
	Register(host, id, KindPII, nil)
	assert.Empty(t, reg.registered, "an unknown kind or nil provider registers nothing")
}

func TestReportName(t *testing.T) {
	configured := map[string]struct{}{"user-id": {}}
	tests := []struct{ in, want string }{
		{"http_requests_total", "http_requests_total"},
		{"service.name", "service.name"},
		{"user-id", "user-id"},
		{"jane@example.com", HashedName("jane@example.com")},
		{"order_12345", HashedName("order_12345")},
		{"1abc", HashedName("1abc")},
		{"", HashedName("")},
		{HashedName("x"), HashedName("x")},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ReportName(tt.in, configured), tt.in)
	}
	assert.Regexp(t, `^hash:[0-9a-f]{8}$`, HashedName("jane@example.com"))
	assert.False(t, IsHashedName("hash:1234567g"))
}

func TestKeepRequestValidate(t *testing.T) {
	id := pcommon.TraceID{1, 2, 3}
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		req     KeepRequest
		wantErr string
	}{
		{"trace id", KeepRequest{TraceID: id}, ""},
		{"service and range", KeepRequest{Service: "checkout", Start: t0, End: t0.Add(time.Minute)}, ""},
		{"nothing", KeepRequest{}, "trace_id or service is required"},
		{"both", KeepRequest{TraceID: id, Service: "checkout"}, "not both"},
		{"no end", KeepRequest{Service: "checkout", Start: t0}, "start and end are required"},
		{"reversed", KeepRequest{Service: "checkout", Start: t0, End: t0}, "end must be after start"},
		{"too long", KeepRequest{Service: "checkout", Start: t0, End: t0.Add(61 * time.Minute)}, "at most 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
