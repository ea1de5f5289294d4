package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroupingAccuracy follows Zhu et al.: a line is correct only when its mined group holds
// exactly the lines of its true group.
func TestGroupingAccuracy(t *testing.T) {
	lines := []line{
		{"connection from 10.0.0.1 closed", "E1"},
		{"connection from 10.0.0.2 closed", "E1"},
		{"disk sda1 is 93% full", "E2"},
		{"disk sdb2 is 95% full", "E2"},
		{"user logged in as root", "E3"},
		{"user logged in as guest", "E4"}, // merged with E3 by the miner: both groups wrong
	}
	res := evaluate(lines)
	assert.InDelta(t, 4.0/6.0, res.ga, 1e-9)
	assert.Equal(t, 4, res.truth)
	assert.Equal(t, 3, res.mined)
}

func TestRunPrintsTableAndTargets(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Tiny"), 0o755))
	csv := "LineId,Content,EventId,EventTemplate\n1,retry 1 of 3,E1,retry <*> of <*>\n2,retry 2 of 3,E1,retry <*> of <*>\n3,\"done, bye\",E2,\"done, bye\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Tiny", "Tiny_2k.log_structured.csv"), []byte(csv), 0o644))
	var out strings.Builder
	require.NoError(t, run(&out, dir, false))
	assert.Contains(t, out.String(), "| Tiny | 3 | 2 | 2 | 1.000 |")
	assert.Contains(t, out.String(), "targets (mean >= 0.90, every system >= 0.70): met")
	assert.Error(t, run(&out, t.TempDir(), false))
}
