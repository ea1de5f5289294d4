//go:build piiscrub_work

package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// workCounter counts the work the scanner and the walk do: bytes passed over, candidates dispatched, bytes each
// detector's search and validation looks at (context windows at their size), URL splitting, map entries and
// values walked. It only grows and is never reported; linear_work_test.go uses it to show that the work is
// linear in the input without timing anything. Built only with -tags piiscrub_work (make unit-test).
type workCounter struct{ n int64 }

func (w *workCounter) add(k int) { w.n += int64(k) }
