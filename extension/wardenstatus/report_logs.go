package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import "sort"

// The logs section: log_reduce's most folded templates over all services, each with what it
// received, how many records were folded into summaries and the bytes that saved, and per
// service the totals. Shapes have every value replaced by <*> or <?> by log_reduce itself.

// maxTemplateRows bounds the template table; the API has all of them.
const maxTemplateRows = 15

// logsSnapshot is what the section reads (processor/logreduce/status.go LogsStatus).
type logsSnapshot struct {
	Mode      string `json:"mode"`
	Templates int    `json:"templates"`
	Services  []struct {
		Service         string `json:"service"`
		Received        uint64 `json:"received"`
		Suppressed      uint64 `json:"suppressed"`
		SuppressedBytes uint64 `json:"suppressed_bytes"`
		Templates       int    `json:"templates"`
		TopTemplates    []struct {
			ID              string `json:"id"`
			Shape           string `json:"shape"`
			Received        uint64 `json:"received"`
			Suppressed      uint64 `json:"suppressed"`
			SuppressedBytes uint64 `json:"suppressed_bytes"`
		} `json:"top_templates"`
	} `json:"services"`
}

type logsView struct {
	Mode                             string
	Templates                        int
	Received, Suppressed, SavedBytes uint64
	FoldedShare                      string
	Top                              []templateRow
	More                             int
	Services                         []serviceRow
}

type templateRow struct {
	Service, ID, Shape   string
	Received, Suppressed uint64
	SavedBytes           uint64
	FoldedShare          string
}

type serviceRow struct {
	Service                          string
	Received, Suppressed, SavedBytes uint64
	Templates                        int
	FoldedShare                      string
}

func logsViewOf(snapshot any) any {
	snap, ok := decodeAs[logsSnapshot](snapshot)
	if !ok || snap.Services == nil {
		return nil
	}
	v := &logsView{Mode: snap.Mode, Templates: snap.Templates}
	for _, s := range snap.Services {
		v.Received += s.Received
		v.Suppressed += s.Suppressed
		v.SavedBytes += s.SuppressedBytes
		v.Services = append(v.Services, serviceRow{Service: s.Service, Received: s.Received, Suppressed: s.Suppressed,
			SavedBytes: s.SuppressedBytes, Templates: s.Templates, FoldedShare: share(s.Suppressed, s.Received)})
		for _, t := range s.TopTemplates {
			v.Top = append(v.Top, templateRow{Service: s.Service, ID: t.ID, Shape: t.Shape, Received: t.Received,
				Suppressed: t.Suppressed, SavedBytes: t.SuppressedBytes, FoldedShare: share(t.Suppressed, t.Received)})
		}
	}
	v.FoldedShare = share(v.Suppressed, v.Received)
	sort.SliceStable(v.Top, func(i, j int) bool { return v.Top[i].Suppressed > v.Top[j].Suppressed })
	if len(v.Top) > maxTemplateRows {
		v.More = len(v.Top) - maxTemplateRows
		v.Top = v.Top[:maxTemplateRows]
	}
	return v
}
