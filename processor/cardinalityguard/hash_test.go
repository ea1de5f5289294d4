package cardinalityguard

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestPositionCacheHashesLikeMapHash(t *testing.T) {
	var c positionCache
	maps := []map[string]any{
		{"http.route": "/a", "http.request.method": "GET", "status": int64(200)},
		{"http.route": "/a", "http.request.method": "GET", "status": int64(200)},
		{"http.route": "/b", "http.request.method": "GET", "status": int64(500)},
		{"http.request.method": "GET", "http.route": "/b"}, // other order, fewer keys
		{"": "", "x": true, "y": 1.5},
		{"http.route": "/a", "http.request.method": "POST", "status": "200", "pod": "p1", "extra": "e"},
		{},
		{"http.route": "/a"},
	}
	for i := range 50 {
		maps = append(maps, map[string]any{"pod": "p" + strconv.Itoa(i%7), "http.route": "/r" + strconv.Itoa(i%3)})
	}
	for i, raw := range maps {
		m := pcommon.NewMap()
		assert.NoError(t, m.FromRaw(raw))
		assert.Equal(t, mapHash(m), c.attrHash(m), "map %d", i)
	}
}
