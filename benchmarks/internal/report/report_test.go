package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableWritesRowsAlignedThenNotes(t *testing.T) {
	tbl := Table{Title: "run: 2 SDKs", Header: "SDK\tevents\t"}
	tbl.Add("raven", "", "raven\t3000\t")
	tbl.Add("sentry-go", "server rejected 1 requests: bad auth", "sentry-go\t12\t")
	var out bytes.Buffer
	tbl.Write(&out)
	assert.Equal(t, "run: 2 SDKs\n"+
		"        SDK  events\n"+
		"      raven    3000\n"+
		"  sentry-go      12\n"+
		"sentry-go: server rejected 1 requests: bad auth\n", out.String())
}

func TestSaveJSON(t *testing.T) {
	require.NoError(t, SaveJSON("", 1, 2), "no path: nothing to do")

	path := filepath.Join(t.TempDir(), "out.json")
	type cfg struct {
		N int `json:"n"`
	}
	require.NoError(t, SaveJSON(path, cfg{N: 3}, []string{"a"}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got struct {
		Config  cfg      `json:"config"`
		Results []string `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, 3, got.Config.N)
	assert.Equal(t, []string{"a"}, got.Results)

	assert.Error(t, SaveJSON(filepath.Join(t.TempDir(), "missing", "out.json"), 1, 2))
	assert.Error(t, SaveJSON(path, 1, func() {}), "a value JSON cannot hold")
}
