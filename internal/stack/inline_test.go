package stack_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildShop builds testdata/inline/shop, a program of module
// example.com/shop that uses example.com/lib (a module of its own) and
// the SDK from this checkout, into dir.
func buildShop(t *testing.T, dir string, trimpath bool) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, f := range []string{"lib/go.mod", "lib/lib.go", "shop/main.go"} {
		b, err := os.ReadFile(filepath.Join("testdata/inline", f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	gomod := "module example.com/shop\n\ngo 1.26\n\nrequire (\n\texample.com/lib v0.0.0\n\tgithub.com/ravenkit/raven v0.0.0\n)\n\n" +
		"replace example.com/lib => ../lib\n\nreplace github.com/ravenkit/raven => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop/go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum")) // the SDK's dependencies
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop/go.sum"), sum, 0o644))
	bin := filepath.Join(dir, "shop-bin")
	args := []string{"build", "-o", bin}
	if trimpath {
		args = append(args, "-trimpath")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = filepath.Join(dir, "shop")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestInlinedClosuresAcrossModules: closures of another module (and of the
// SDK) that the compiler inlined into the program's functions are named
// after the program's functions, in package main. Their frames follow the
// file: the library's module, file name and in_app; the SDK's are dropped.
func TestInlinedClosuresAcrossModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	for _, trimpath := range []bool{false, true} {
		name := "absolute paths"
		if trimpath {
			name = "trimpath"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := buildShop(t, dir, trimpath)
			srv := raventest.NewServer(t)
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "RAVEN_DSN="+srv.DSN())
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			events, err := srv.WaitForEvents(ctx, 3)
			require.NoError(t, err)
			for _, raw := range srv.RawEvents() {
				schematest.Check(t, raw)
			}
			byValue := map[string]*raven.Event{}
			for _, ev := range events {
				excs := ev.Exception.Values
				byValue[excs[len(excs)-1].Value] = ev
			}
			frames := func(value string) []raven.Frame {
				ev := byValue[value]
				require.NotNil(t, ev, "no event %q", value)
				excs := ev.Exception.Values
				st := excs[len(excs)-1].Stacktrace
				require.NotNil(t, st)
				return st.Frames
			}
			for _, tc := range []struct{ value, rawFn string }{
				{"in lib.Run", "handler.Run.func"},
				{"in lib.Wrap", "handler.Wrap.func"},
			} {
				var libFrame *raven.Frame
				fs := frames(tc.value)
				for i, f := range fs {
					if strings.HasPrefix(f.RawFunction, tc.rawFn) {
						libFrame = &fs[i]
					}
				}
				require.NotNil(t, libFrame, "%s: the library closure's frame: %+v", tc.value, fs)
				assert.Equal(t, "example.com/lib", libFrame.Module, tc.value)
				assert.Equal(t, "example.com/lib/lib.go", libFrame.Filename, tc.value)
				assert.False(t, libFrame.InApp, tc.value)
				top := fs[len(fs)-1]
				assert.Equal(t, "main", top.Module, tc.value)
				assert.Equal(t, "example.com/shop/main.go", top.Filename, tc.value)
				assert.True(t, top.InApp, tc.value)
			}
			// the errgroup closure of the SDK, inlined into handler: dropped
			// as the SDK's own frame, not reported as the program's
			fs := frames("assignment to entry in nil map")
			for _, f := range fs {
				assert.NotContains(t, f.AbsPath, "integrations/errgroup", "SDK frame kept: %+v", f)
				if f.Module == "main" {
					assert.Equal(t, "example.com/shop/main.go", f.Filename)
				}
			}
			top := fs[len(fs)-1]
			assert.Equal(t, "handler.func", top.Function, "the panicking closure is on top, no runtime frame: %+v", fs)
			assert.True(t, top.InApp)
		})
	}
}
