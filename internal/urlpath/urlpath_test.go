package urlpath

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"root", "/", "/"},
		{"static route kept", "/api/v1/health", "/api/v1/health"},
		{"slug kept", "/products/blue-running-shoes", "/products/blue-running-shoes"},
		{"numeric id", "/users/123", "/users/{id}"},
		{"nested ids", "/users/123/orders/9f1c2ab4e7d8", "/users/{id}/orders/{id}"},
		{"uuid", "/files/3fa85f64-5717-4562-b3fc-2c963f66afa6", "/files/{id}"},
		{"upper case uuid", "/files/3FA85F64-5717-4562-B3FC-2C963F66AFA6/raw", "/files/{id}/raw"},
		{"long hex without digits", "/blobs/deadbeefdeadbeef", "/blobs/{id}"},
		{"short hex word kept", "/cafe/deadbeef", "/cafe/deadbeef"},
		{"mongo object id", "/items/507f1f77bcf86cd799439011", "/items/{id}"},
		{"email", "/users/jane.doe@example.com/profile", "/users/{id}/profile"},
		{"ipv4", "/hosts/10.0.0.12/metrics", "/hosts/{id}/metrics"},
		{"ipv6", "/hosts/fe80::1ff:fe23:4567:890a", "/hosts/{id}"},
		{"iso date", "/reports/2024-01-31", "/reports/{id}"},
		{"decimal", "/prices/12.50", "/prices/{id}"},
		{"opaque token", "/reset/aZ3kP9qL2mN8xW4v", "/reset/{id}"},
		{"lower case long slug kept", "/docs/getting-started-guide", "/docs/getting-started-guide"},
		{"query dropped", "/search?q=secret&page=2", "/search"},
		{"fragment dropped", "/docs/intro#install", "/docs/intro"},
		{"query with id", "/users/42?expand=true", "/users/{id}"},
		{"trailing slash kept", "/users/42/", "/users/{id}/"},
		{"double slash kept", "/a//42", "/a//{id}"},
		{"relative path", "users/42", "users/{id}"},
		{"full url keeps host", "https://10.0.0.1:8443/users/42?x", "https://10.0.0.1:8443/users/{id}"},
		{"full url without path", "http://example.com:8080?x=1", "http://example.com:8080"},
		{"placeholder is stable", "/users/{id}", "/users/{id}"},
		{"version marker kept", "/v2/users", "/v2/users"},
		{"only query", "?a=1", ""},
		{"percent encoded kept", "/a%20b/7", "/a%20b/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeDoesNotAllocateWhenUnchanged(t *testing.T) {
	for _, in := range []string{"/api/v1/health", "/products/blue-running-shoes", "/search?q=1", "https://example.com/a/b#x"} {
		if n := testing.AllocsPerRun(100, func() { _ = Normalize(in) }); n != 0 {
			t.Errorf("Normalize(%q) allocated %v times, want 0", in, n)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"/users/123", "/a/3fa85f64-5717-4562-b3fc-2c963f66afa6?x#y", "http://h/x/1", "/x/a@b.c", "::1", "/{id}/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Normalize(in)
		if strings.ContainsAny(out, "?#") {
			t.Fatalf("Normalize(%q) = %q keeps a query or fragment", in, out)
		}
		if again := Normalize(out); again != out {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize of that = %q", in, out, again)
		}
		end := len(in)
		if i := strings.IndexAny(in, "?#"); i >= 0 {
			end = i
		}
		if strings.Count(out, "/") != strings.Count(in[:end], "/") {
			t.Fatalf("Normalize(%q) = %q changed the number of segments", in, out)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"unchanged", "/api/v1/products/blue-running-shoes"},
		{"ids", "/users/123/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Normalize(bc.in)
			}
		})
	}
}
