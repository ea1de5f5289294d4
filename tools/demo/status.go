package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// saveStatus keeps what warden_status showed at the end of the demo (the collector stops with
// it): the API's documents and the page, in the data folder.
func saveStatus(endpoint, dataDir string) {
	client := &http.Client{Timeout: 10 * time.Second}
	for _, f := range []struct{ path, file string }{
		{"/api/v1/summary", "status-summary.json"},
		{"/api/v1/tail", "status-tail.json"},
		{"/api/v1/cardinality", "status-cardinality.json"},
		{"/api/v1/pii", "status-pii.json"},
		{"/api/v1/usage", "status-usage.json"},
		{"/api/v1/logs", "status-logs.json"},
		{"/", "status-page.html"},
	} {
		resp, err := client.Get("http://" + endpoint + f.path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "demo: status %s: %v\n", f.path, err)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err == nil {
			err = os.WriteFile(filepath.Join(dataDir, f.file), body, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "demo: status %s: %v\n", f.path, err)
			continue
		}
		fmt.Printf("demo: status %s saved to %s\n", f.path, filepath.Join(dataDir, f.file))
	}
}
