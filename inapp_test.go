package raven_test

import (
	"cmp"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInAppWithAndWithoutTrimpath builds a small program both ways and
// checks that filenames, modules and in_app marks are the same, and that
// only abs_path tells the builds apart.
func TestInAppWithAndWithoutTrimpath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	type frameKey struct {
		Function, Module, Filename string
		InApp                      bool
	}
	run := func(trimpath bool) ([]raven.Frame, []frameKey) {
		bin := filepath.Join(t.TempDir(), "inappprog")
		args := []string{"build", "-o", bin}
		if trimpath {
			args = append(args, "-trimpath")
		}
		out, err := exec.Command("go", append(args, "./internal/inappprog")...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		out, err = exec.Command(bin).Output()
		require.NoError(t, err)
		schematest.Check(t, []byte(strings.TrimSpace(string(out))))
		var ev raven.Event
		require.NoError(t, json.Unmarshal(out, &ev))
		excs := ev.Exception.Values
		st := excs[len(excs)-1].Stacktrace
		require.NotNil(t, st)
		var keys []frameKey
		for _, f := range st.Frames {
			keys = append(keys, frameKey{f.Function, f.Module, f.Filename, f.InApp})
		}
		return st.Frames, keys
	}
	plain, plainKeys := run(false)
	trimmed, trimmedKeys := run(true)
	assert.Equal(t, plainKeys, trimmedKeys, "the same frames, whatever the build")

	byFunc := map[string]raven.Frame{}
	for _, f := range plain {
		byFunc[f.Module+"."+cmp.Or(f.RawFunction, f.Function)] = f
	}
	mainFrame := byFunc["main.main.func1"]
	assert.True(t, mainFrame.InApp)
	assert.Equal(t, "github.com/ravenkit/raven/internal/inappprog/main.go", mainFrame.Filename)
	assert.True(t, filepath.IsAbs(mainFrame.AbsPath))
	assert.Contains(t, mainFrame.ContextLine, "c.CaptureException")
	subFrame := byFunc["github.com/ravenkit/raven/internal/inappprog/sub.Do.func1"]
	assert.True(t, subFrame.InApp, "another package of the main module is in-app")
	sortFrame := byFunc["sort.Slice"]
	assert.False(t, sortFrame.InApp, "the standard library is not in-app")
	assert.Equal(t, "sort/slice.go", sortFrame.Filename)
	for _, f := range plain {
		assert.NotEqual(t, "github.com/ravenkit/raven", f.Module, "SDK frames are dropped")
	}

	for _, f := range trimmed {
		if f.Module == "main" {
			assert.False(t, filepath.IsAbs(f.AbsPath), "-trimpath gives relative paths: %s", f.AbsPath)
		}
	}
}
