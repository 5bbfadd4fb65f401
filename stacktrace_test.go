package raven

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitSymbol(t *testing.T) {
	tests := []struct {
		name, sym, pkg, fn string
	}{
		{"method on pointer", "github.com/x/y.(*T).Method", "github.com/x/y", "(*T).Method"},
		{"plain function", "github.com/x/y.Func", "github.com/x/y", "Func"},
		{"closure", "github.com/x/y.Func.func1.2", "github.com/x/y", "Func.func1.2"},
		{"main", "main.main", "main", "main"},
		{"stdlib nested", "net/http.(*conn).serve", "net/http", "(*conn).serve"},
		{"dot in last element escaped", "gopkg.in/yaml%2ev3.(*Decoder).Decode", "gopkg.in/yaml.v3", "(*Decoder).Decode"},
		{"generic", "github.com/x/y.Map[...].Get", "github.com/x/y", "Map[...].Get"},
		{"go statement wrapper", "main.main.gowrap1", "main", "main.gowrap1"},
		{"no package", "foo", "", "foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg, fn := splitSymbol(tt.sym)
			assert.Equal(t, tt.pkg, pkg)
			assert.Equal(t, tt.fn, fn)
		})
	}
}

func TestInApp(t *testing.T) {
	fi := &frameInfo{mainModule: "github.com/acme/app", modules: []string{"github.com/acme/app/tools", "github.com/pkg/errors"}}
	tests := []struct {
		name string
		fi   *frameInfo
		pkg  string
		want bool
	}{
		{"main module root", fi, "github.com/acme/app", true},
		{"main module subpackage", fi, "github.com/acme/app/internal/db", true},
		{"external test package", fi, "github.com/acme/app/internal/db_test", true},
		{"package main", fi, "main", true},
		{"stdlib", fi, "net/http", false},
		{"runtime", fi, "runtime", false},
		{"dependency", fi, "github.com/pkg/errors", false},
		{"nested module is a dependency", fi, "github.com/acme/app/tools/gen", false},
		{"similar prefix is not the module", fi, "github.com/acme/apple", false},
		{"include", &frameInfo{mainModule: "github.com/acme/app", include: []string{"github.com/acme/shared"}}, "github.com/acme/shared/x", true},
		{"exclude wins", &frameInfo{mainModule: "github.com/acme/app", exclude: []string{"github.com/acme/app/vendored"}}, "github.com/acme/app/vendored/z", false},
		{"unknown main module", &frameInfo{}, "github.com/acme/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.fi.inApp(tt.pkg))
		})
	}
}

func TestRelFile(t *testing.T) {
	fi := &frameInfo{goroot: "/usr/local/go", mainPkg: "github.com/acme/app/cmd/server"}
	assert.Equal(t, "net/http/server.go", fi.relFile("net/http", "/usr/local/go/src/net/http/server.go"))
	assert.Equal(t, "internal/runtime/maps/m.go", fi.relFile("runtime", "/usr/local/go/src/internal/runtime/maps/m.go"))
	// -trimpath and absolute builds give the same filename
	assert.Equal(t, "github.com/acme/app/db/db.go", fi.relFile("github.com/acme/app/db", "/home/u/src/app/db/db.go"))
	assert.Equal(t, "github.com/acme/app/db/db.go", fi.relFile("github.com/acme/app/db", "github.com/acme/app/db/db.go"))
	assert.Equal(t, "github.com/acme/app/cmd/server/main.go", fi.relFile("main", "/home/u/src/app/cmd/server/main.go"))
	assert.Equal(t, "main.go", (&frameInfo{}).relFile("main", "/x/main.go"))
	// -trimpath: standard-library files are already relative to GOROOT/src
	assert.Equal(t, "internal/runtime/maps/m.go", fi.relFile("runtime", "internal/runtime/maps/m.go"))
}

func recurse(n int, f func() []uintptr) []uintptr {
	if n == 0 {
		return f()
	}
	return recurse(n-1, f)
}

func TestSymbolizeDeepStackKeepsBothEnds(t *testing.T) {
	fi := newFrameInfo(nil, nil, 0, 50)
	pcs := recurse(500, func() []uintptr { return capturePCs(0, nil) })
	require.Greater(t, len(pcs), 500, "no fixed cap on captured PCs")
	frames := fi.symbolize(pcs, false)
	require.Len(t, frames, 50)
	// outermost end: the test runner; innermost end: the capturing closure
	assert.Equal(t, "testing", frames[0].Module)
	last := frames[len(frames)-1]
	assert.Contains(t, last.Function, "TestSymbolizeDeepStackKeepsBothEnds.func1")
	assert.Equal(t, "recurse", frames[len(frames)-2].Function)
}

func panicker() { panic("boom") }

// panickerPCs is the stack recorded in the deferred recover of a panic
// raised by panicker, as RecoverContext records it.
func panickerPCs() (pcs []uintptr) {
	defer func() {
		recover()
		pcs = capturePCs(0, nil)
	}()
	panicker()
	return nil
}

func TestSymbolizePanicStartsAtPanicSite(t *testing.T) {
	fi := newFrameInfo(nil, nil, 0, 0)
	frames := fi.symbolize(panickerPCs(), true)
	require.NotEmpty(t, frames)
	last := frames[len(frames)-1]
	assert.Equal(t, "panicker", last.Function)
	assert.Equal(t, "github.com/ravenkit/raven", last.Module)
	for _, f := range frames {
		assert.NotEqual(t, "gopanic", f.Function)
	}
}

func TestSymbolizeDropsSDKFramesKeepsTests(t *testing.T) {
	assert.True(t, isSDKFrame("github.com/ravenkit/raven", "/src/raven/client.go"))
	assert.True(t, isSDKFrame("github.com/ravenkit/raven/integrations/http", "/src/raven/integrations/http/h.go"))
	assert.False(t, isSDKFrame("github.com/ravenkit/raven", "/src/raven/client_test.go"))
	assert.False(t, isSDKFrame("github.com/ravenkit/raven/examples/quickstart", "/src/main.go"))
	assert.False(t, isSDKFrame("github.com/ravenkit/ravenx", "/src/x.go"))
}

func TestContextLines(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.go")
	var lines []string
	for i := 1; i <= 20; i++ {
		lines = append(lines, "line"+strings.Repeat("x", i%3)+string(rune('a'+i)))
	}
	lines[9] = "bad \xff utf8"
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644))
	c := newSourceCache(2)
	pre, cur, post := c.context(file, 10, 3)
	assert.Equal(t, lines[6:9], pre)
	assert.Equal(t, "bad \uFFFD utf8", cur)
	assert.Equal(t, lines[10:13], post)
	pre, cur, post = c.context(file, 1, 3)
	assert.Empty(t, pre)
	assert.Equal(t, lines[0], cur)
	assert.Len(t, post, 3)
	_, cur, _ = c.context(file, 21, 3)
	assert.Empty(t, cur, "line past the end")
	_, cur, _ = c.context(filepath.Join(dir, "missing.go"), 3, 3)
	assert.Empty(t, cur, "missing file gives no context and no error")
	c.context(filepath.Join(dir, "a"), 1, 1)
	c.context(filepath.Join(dir, "b"), 1, 1)
	c.mu.Lock()
	assert.LessOrEqual(t, len(c.files), 2, "cache stays bounded")
	c.mu.Unlock()
}

func TestFrameFieldsForThisFile(t *testing.T) {
	fi := newFrameInfo(nil, nil, 2, 0)
	frames := fi.symbolize(capturePCs(0, nil), false)
	f := frames[len(frames)-1]
	_, file, _, _ := runtime.Caller(0)
	assert.Equal(t, "TestFrameFieldsForThisFile", f.Function)
	assert.Equal(t, file, f.AbsPath)
	assert.Equal(t, "github.com/ravenkit/raven/stacktrace_test.go", f.Filename)
	assert.True(t, f.InApp)
	assert.Contains(t, f.ContextLine, "capturePCs(0, nil)")
	assert.Len(t, f.PreContext, 2)
	assert.Len(t, f.PostContext, 2)
}

func TestSymbolizeCacheGivesTheUncachedFrames(t *testing.T) {
	fi := newFrameInfo(nil, nil, 2, 0)
	panicPCs := panickerPCs()
	plain := capturePCs(0, nil)
	for _, tc := range []struct {
		name      string
		pcs       []uintptr
		panicking bool
	}{
		{"capture site", plain, false},
		{"panic site", panicPCs, true},
		{"panic PCs read as a plain stack", panicPCs, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := fi.resolve(tc.pcs, tc.panicking)
			require.NotEmpty(t, want)
			first := fi.symbolize(tc.pcs, tc.panicking)  // miss: resolved and stored
			second := fi.symbolize(tc.pcs, tc.panicking) // hit
			assert.Equal(t, want, first)
			assert.Equal(t, want, second)
		})
	}
	assert.Equal(t, 3, fi.stacks.len(), "the panic flag is part of the key")
	assert.NotEqual(t, fi.symbolize(panicPCs, true), fi.symbolize(panicPCs, false))
}

func TestSymbolizeCacheIsNotChangedThroughItsResults(t *testing.T) {
	fi := newFrameInfo(nil, nil, 0, 0)
	pcs := capturePCs(0, nil)
	want := fi.resolve(pcs, false)
	for range 2 { // a miss, then a hit: neither result aliases the cache
		got := fi.symbolize(pcs, false)
		for i := range got {
			got[i].Function = "changed by a hook"
			got[i].InApp = !got[i].InApp
		}
	}
	assert.Equal(t, want, fi.symbolize(pcs, false))
}

func TestSymbolizeCacheIsBounded(t *testing.T) {
	fi := newFrameInfo(nil, nil, 0, 0)
	base := capturePCs(0, nil)
	want := fi.resolve(base, false)
	for i := range maxCachedStacks + 50 {
		// distinct keys for one stack: a PC that names no function,
		// which symbolizing skips, at the outer end
		pcs := append(slices.Clip(base), uintptr(i+1))
		require.Equal(t, want, fi.symbolize(pcs, false))
	}
	assert.LessOrEqual(t, fi.stacks.len(), maxCachedStacks)
	assert.Greater(t, fi.stacks.len(), maxCachedStacks/2)
}

func TestSymbolizeDeepStacksAreNotCached(t *testing.T) {
	fi := newFrameInfo(nil, nil, 0, 0)
	pcs := recurse(maxCachedPCs+10, func() []uintptr { return capturePCs(0, nil) })
	require.Greater(t, len(pcs), maxCachedPCs)
	assert.Equal(t, fi.resolve(pcs, false), fi.symbolize(pcs, false))
	assert.Zero(t, fi.stacks.len())
}

func TestSymbolizeCacheConcurrent(t *testing.T) {
	fi := newFrameInfo(nil, nil, 2, 0)
	stacks := [][]uintptr{
		capturePCs(0, nil),
		recurse(3, func() []uintptr { return capturePCs(0, nil) }),
		recurse(7, func() []uintptr { return capturePCs(0, nil) }),
	}
	want := make([][]Frame, len(stacks))
	for i, pcs := range stacks {
		want[i] = fi.resolve(pcs, false)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(stacks)
				got := fi.symbolize(stacks[i], false)
				if !assert.Equal(t, want[i], got) {
					return
				}
				got[0].Lineno = -1
			}
		})
	}
	wg.Wait()
}

// BenchmarkSymbolize compares a stack seen before (a repeated error) with
// the walk of the symbol tables the cache saves.
func BenchmarkSymbolize(b *testing.B) {
	fi := newFrameInfo(nil, nil, DefaultContextLines, 0)
	pcs := recurse(10, func() []uintptr { return capturePCs(0, nil) })
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(fi.symbolize(pcs, false)) == 0 {
				b.Fatal("no frames")
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(fi.resolve(pcs, false)) == 0 {
				b.Fatal("no frames")
			}
		}
	})
}
