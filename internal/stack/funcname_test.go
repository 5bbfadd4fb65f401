package stack

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeFunction(t *testing.T) {
	tests := []struct{ name, fn, want string }{
		{"plain", "handler", "handler"},
		{"method", "(*Server).Serve", "(*Server).Serve"},
		{"closure", "handler.func2", "handler.func"},
		{"closure of a method", "(*Server).Serve.func13", "(*Server).Serve.func"},
		{"nested closure", "handler.func1.3", "handler.func.func"},
		{"nested three deep", "handler.func2.1.4", "handler.func.func.func"},
		{"go statement wrapper", "main.gowrap1", "main.gowrap"},
		{"defer statement wrapper", "handler.deferwrap12", "handler.deferwrap"},
		{"range-over-func body", "main-range1", "main-range"},
		{"nested range body", "main-range1-range2", "main-range-range"},
		{"closure in a range body", "handler-range3.func1", "handler-range.func"},
		{"package-level closure", "glob..func1", "glob..func"},
		{"generic", "Map[...].Get", "Map[...].Get"},
		{"generic shape", "Sum[go.shape.int]", "Sum[...]"},
		{"generic shapes, nested brackets", "(*Cache[go.shape.string,go.shape.[]uint8]).Get", "(*Cache[...]).Get"},
		{"generic with a dot-qualified argument", "Do[example.com/x.T].func1", "Do[...].func"},
		{"method value", "(*Server).handle-fm", "(*Server).handle"},
		{"method value of a generic type", "(*Store[go.shape.int]).Put-fm", "(*Store[...]).Put"},
		{"inlined closure copy", "handler.Run.func4", "handler.Run.func"},
		{"digits that are not closures", "parseV2", "parseV2"},
		{"inlined closure copy, numbered alone", "handler.makeHandler.1", "handler.makeHandler.func"},
		{"inlined copy of a nested closure", "bugs.func6.makeHandler.1.2", "bugs.func.makeHandler.func.func"},
		{"func without number", "handler.func", "handler.func"},
		{"funcs named like closures but with letters", "handler.funcX1", "handler.funcX1"},
		{"hyphen that is not a suffix", "a-b", "a-b"},
		{"trailing dot", "a.", "a."},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NormalizeFunction(tt.fn))
		})
	}
}

func TestNormalizeFunctionKeepsTheStringWhenUnchanged(t *testing.T) {
	fn := "(*Server).Serve"
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { _ = NormalizeFunction(fn) }))
}

func TestIsClosure(t *testing.T) {
	for fn, want := range map[string]bool{
		"handler.func1":     true,
		"handler.func1.2":   true,
		"main.gowrap3":      true,
		"f.deferwrap1":      true,
		"main-range1":       true,
		"handler.Run.func4": true,
		"handler.Run.1":     true,
		"handler":           false,
		"(*T).M":            false,
		"handler.funcs":     false,
		"handler.func":      false,
		"Sum[...]":          false,
		"(*T).M-fm":         false,
		"x-rangeX":          false,
	} {
		assert.Equal(t, want, isClosure(fn), fn)
	}
}

func TestIsRuntime(t *testing.T) {
	assert.True(t, IsRuntime("runtime"))
	assert.True(t, IsRuntime("internal/runtime/maps"))
	assert.True(t, IsRuntime("internal/runtime"))
	assert.False(t, IsRuntime("runtime/debug"), "runtime/debug is called by the program, it raises nothing")
	assert.False(t, IsRuntime("internal/runtimex"))
	assert.False(t, IsRuntime("main"))
}

// FuzzNormalizeFunction: any input gives a result without a panic, and
// normalizing twice changes nothing more.
func FuzzNormalizeFunction(f *testing.F) {
	for _, s := range []string{"handler.func2.1", "(*C[go.shape.int]).Get-fm", "main-range1", "[[", "]]..", "a.1.2", "1.2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		once := NormalizeFunction(fn)
		if twice := NormalizeFunction(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", fn, once, twice)
		}
	})
}
