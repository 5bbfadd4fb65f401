// Package stack records and symbolizes stacks: program counters captured
// on the caller's goroutine, turned into frames (module, function, file,
// in-app, context lines) on a sender, with a cache of recent stacks.
package stack

import (
	"encoding/binary"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/ravenkit/raven/internal/protocol"
)

// DefaultMaxFrames bounds the frames of one stack trace. Deeper stacks keep
// their innermost and outermost halves; the middle is dropped.
const DefaultMaxFrames = 256

// InitialPCs is the size of the buffer a capture records its stack into
// without allocating; deeper stacks take a larger slice. 48 frames hold the
// stacks of handlers under net/http, gRPC and the logging libraries, and
// keep the pooled capture record in the size class it had before the
// fields of other telemetry kinds joined it.
const InitialPCs = 48

// maxPCs bounds a stack in memory, even a runaway recursion's.
const maxPCs = 1 << 16

// SDKModule is the SDK's module path: its frames are not the user's.
const SDKModule = "github.com/ravenkit/raven"

// CapturePCs records the calling goroutine's stack, skipping skip frames
// above its caller, into buf when it fits and into a larger slice when it
// does not. Stacks deeper than maxPCs (runaway recursion) keep their
// innermost and outermost halves.
func CapturePCs(skip int, buf []uintptr) []uintptr {
	if len(buf) == 0 {
		buf = make([]uintptr, InitialPCs)
	}
	base := skip + 2 // runtime.Callers and this function
	for {
		n := runtime.Callers(base, buf)
		if n < len(buf) {
			return buf[:n]
		}
		if len(buf) >= maxPCs {
			return CaptureEnds(base, buf)
		}
		buf = make([]uintptr, 2*len(buf))
	}
}

// CaptureEnds fills the second half of a full buffer with the outermost
// frames of a stack deeper than the buffer. It finds the depth by probing
// with a one-frame buffer: each probe walks the stack, and there are about
// log2(depth) of them, paid only by pathologically deep stacks.
func CaptureEnds(base int, buf []uintptr) []uintptr {
	var one [1]uintptr
	// Frame i (counted as in CapturePCs) is base+i frames above CapturePCs;
	// here two more calls (CaptureEnds, the closure) sit on top.
	exists := func(i int) bool { return runtime.Callers(base+2+i, one[:]) > 0 }
	lo, hi := len(buf)-1, 2*len(buf) // frame lo exists; find the last one
	for exists(hi) {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if exists(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	depth := lo + 1
	half := len(buf) / 2
	n := runtime.Callers(base+1+depth-half, buf[half:]) // +1: CaptureEnds
	return buf[:half+n]
}

// Symbolizer turns program counters into frames. It knows the process's
// modules and the in-app rules, and caches source lines and recent
// stacks. Safe for concurrent use.
type Symbolizer struct {
	mainModule string   // module path of the main module ("" when unknown)
	mainPkg    string   // import path of the main package
	modules    []string // dependency module paths, for longest-prefix ownership
	include    []string // InAppInclude prefixes
	exclude    []string // InAppExclude prefixes
	goroot     string
	ctxLines   int
	maxFrames  int
	src        *sourceCache
	stacks     stackCache
	owners     *owners
}

// NewSymbolizer returns a Symbolizer with the in-app rules include and
// exclude (prefixes of import paths; include wins), ctxLines source lines
// around each frame, and at most maxFrames frames per stack
// (DefaultMaxFrames when <= 0).
func NewSymbolizer(include, exclude []string, ctxLines, maxFrames int) *Symbolizer {
	fi := &Symbolizer{include: include, exclude: exclude, ctxLines: ctxLines, maxFrames: maxFrames,
		goroot: stdlibRoot(), src: newSourceCache(defaultSourceCacheFiles)}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		fi.mainModule = bi.Main.Path
		fi.mainPkg = bi.Path
		for _, d := range bi.Deps {
			fi.modules = append(fi.modules, d.Path)
		}
	} else {
		bi = nil
	}
	fi.owners = newOwners(bi, fi.mainPkg, fi.goroot)
	if fi.maxFrames <= 0 {
		fi.maxFrames = DefaultMaxFrames
	}
	return fi
}

// SplitSymbol splits a Go symbol into its import path and function name:
// "github.com/x/y.(*T).Method" -> ("github.com/x/y", "(*T).Method").
// Dots in the last path element are escaped by the linker as %2e.
// A symbol the compiler or linker generated belongs to no package: it
// gets no import path, so its frame has no module and is never in-app.
func SplitSymbol(sym string) (pkg, fn string) {
	if compilerGenerated(sym) {
		return "", sym
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return "", sym
	}
	dot += slash + 1
	pkg, fn = sym[:dot], sym[dot+1:]
	if strings.Contains(pkg, "%2e") {
		pkg = strings.ReplaceAll(pkg, "%2e", ".")
	}
	return pkg, fn
}

// compilerGenerated reports whether sym names code the toolchain made
// rather than a package's function: type algorithms ("type:.eq.[9]debug/elf",
// "type..eq.main.T" before Go 1.20) and linker symbols ("go:buildid",
// "go:itab.*os.File,io.Writer"). Their text looks like an import path
// ("type:", "debug/elf") and would otherwise make one up; sentry-go gives
// them no module either.
func compilerGenerated(sym string) bool {
	return strings.HasPrefix(sym, "type:") || strings.HasPrefix(sym, "go:") || strings.HasPrefix(sym, "type..")
}

// isStdlib reports whether an import path belongs to the standard library:
// its first element has no dot.
func isStdlib(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

func hasPathPrefix(p, prefix string) bool {
	return p == prefix || (strings.HasPrefix(p, prefix) && len(p) > len(prefix) && p[len(prefix)] == '/')
}

// inApp reports whether frames of the import path pkg are the
// application's own code. The rules, first match wins:
//
//  1. a frame with no package (code the compiler generated) is not in-app;
//  2. a prefix of WithInAppInclude marks it in-app, even when a prefix of
//     WithInAppExclude matches too: an explicit include wins over an
//     exclude, as the unified SDK API specifies for in_app_include
//     (develop.sentry.dev/sdk/miscellaneous/unified-api/) and sentry-python
//     and sentry-php do;
//  3. a prefix of WithInAppExclude marks it not in-app;
//  4. package main and the main module's packages are in-app, the standard
//     library and every other module (a nested one included) are not.
func (fi *Symbolizer) inApp(pkg string) bool {
	if pkg == "" {
		return false
	}
	pkg = strings.TrimSuffix(pkg, "_test") // external test packages
	for _, p := range fi.include {
		if hasPathPrefix(pkg, p) {
			return true
		}
	}
	for _, p := range fi.exclude {
		if hasPathPrefix(pkg, p) {
			return false
		}
	}
	if pkg == "main" {
		return true
	}
	if isStdlib(pkg) || fi.mainModule == "" || !hasPathPrefix(pkg, fi.mainModule) {
		return false
	}
	// A nested module under the main module's path is a dependency.
	for _, m := range fi.modules {
		if len(m) > len(fi.mainModule) && hasPathPrefix(pkg, m) {
			return false
		}
	}
	return true
}

// isSDKFrame reports whether a frame belongs to this SDK's own machinery.
// Test files and examples are kept so the SDK's own tests and programs
// show their frames.
func isSDKFrame(pkg, file string) bool {
	if !hasPathPrefix(pkg, SDKModule) || strings.HasSuffix(file, "_test.go") {
		return false
	}
	rest := strings.TrimPrefix(pkg, SDKModule)
	return rest == "" || strings.HasPrefix(rest, "/integrations/")
}

// Symbolize turns program counters (innermost first, as runtime.Callers
// returns them) into frames, oldest first. For a panic stack, the frames
// up to and including the runtime's panic machinery are removed, so the
// innermost frame is the one that panicked: the recovering code, gopanic,
// and the runtime functions that raised the panic on the program's behalf
// (panicmem, sigpanic, panicIndex, mapassign_faststr, chansend...), down to
// the first frame outside the runtime. Runtime frames further down, which
// really called the code above them, are kept.
//
// A repeated error repeats its stack: the frames of recent stacks are kept
// by their program counters, and a stack seen before costs a lookup and a
// copy instead of a walk of the symbol tables and the source cache.
func (fi *Symbolizer) Symbolize(pcs []uintptr, panicking bool) []protocol.Frame {
	if len(pcs) == 0 {
		return nil
	}
	if len(pcs) > maxCachedPCs {
		return fi.resolve(pcs, panicking)
	}
	var kb [maxCachedPCs*8 + 1]byte
	key := stackKey(kb[:0], pcs, panicking)
	if frames, ok := fi.stacks.get(key); ok {
		return slices.Clone(frames)
	}
	frames := fi.resolve(pcs, panicking)
	// The cache keeps its own copy: hooks may change the event's frames.
	fi.stacks.put(string(key), slices.Clone(frames))
	return frames
}

// neighborWindow is how many frames on each side of a closure's frame
// resolve looks at to place the closure's file.
const neighborWindow = 32

// rawFrame is a frame as runtime.CallersFrames reports it, its symbol
// split.
type rawFrame struct {
	pkg, fn, file string
	line          int
	closure       bool // isClosure(fn)
}

// trimPanic removes from a panic's frames (innermost first) what ran after
// the panic started (the recovering code, above the innermost
// runtime.gopanic) and the runtime frames that raised it, down to the
// first frame outside the runtime. When nothing else remains, it keeps
// the frames as they are.
func trimPanic(raw []rawFrame) []rawFrame {
	start := 0
	for i, r := range raw {
		if r.pkg == "runtime" && (r.fn == "gopanic" || r.fn == "panicwrap") {
			start = i + 1
			break
		}
	}
	for start < len(raw) && IsRuntime(raw[start].pkg) {
		start++
	}
	if start == len(raw) {
		return raw
	}
	return raw[start:]
}

// resolve symbolizes pcs with no cache; see Symbolize.
func (fi *Symbolizer) resolve(pcs []uintptr, panicking bool) []protocol.Frame {
	var rawBuf [InitialPCs]rawFrame
	raw := rawBuf[:0]
	iter := runtime.CallersFrames(pcs)
	for {
		f, more := iter.Next()
		if f.Function != "" {
			pkg, fn := SplitSymbol(f.Function)
			raw = append(raw, rawFrame{pkg, fn, f.File, f.Line, isClosure(fn)})
		}
		if !more {
			break
		}
	}
	if panicking {
		raw = trimPanic(raw)
	}
	frames := make([]protocol.Frame, 0, min(len(raw), fi.maxFrames+1))
	for i := len(raw) - 1; i >= 0; i-- { // oldest first
		r := &raw[i]
		// the frames around it tell where packages' files are; a window
		// keeps a runaway recursion of closures linear
		nearby := raw[max(0, i-neighborWindow):min(len(raw), i+neighborWindow+1)]
		pkg := fi.owners.realPackage(r.pkg, r.fn, r.file, nearby)
		if isSDKFrame(pkg, r.file) || (pkg == "runtime" && (r.fn == "goexit" || r.fn == "main")) {
			continue
		}
		frames = append(frames, fi.frame(pkg, r.fn, r.file, r.line))
	}
	if len(frames) > fi.maxFrames {
		half := fi.maxFrames / 2
		frames = append(frames[:half], frames[len(frames)-(fi.maxFrames-half):]...)
	}
	return frames
}

const (
	// maxCachedPCs is the deepest stack the frame cache keeps; deeper
	// ones are rare (runaway recursion) and symbolized every time.
	maxCachedPCs = 128
	// maxCachedStacks bounds the frame cache. A stack of 64 frames costs
	// it about 13 KB, context lines aside (they are shared with the source
	// cache).
	maxCachedStacks = 256
)

// stackKey appends the cache key of a stack to b: its program counters,
// then whether it is a panic's (the panic machinery is cut from those).
func stackKey(b []byte, pcs []uintptr, panicking bool) []byte {
	for _, pc := range pcs {
		b = binary.LittleEndian.AppendUint64(b, uint64(pc))
	}
	if panicking {
		return append(b, 1)
	}
	return append(b, 0)
}

// stackCache maps stack keys to symbolized frames, which it never changes
// once stored. It holds at most maxCachedStacks stacks; when full, an
// arbitrary one makes room (map iteration starts at a random place), so a
// stack that keeps recurring soon comes back.
type stackCache struct {
	mu sync.Mutex
	m  map[string][]protocol.Frame
}

func (c *stackCache) get(key []byte) ([]protocol.Frame, bool) {
	c.mu.Lock()
	frames, ok := c.m[string(key)] // no allocation: the conversion is only for the lookup
	c.mu.Unlock()
	return frames, ok
}

func (c *stackCache) put(key string, frames []protocol.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string][]protocol.Frame)
	}
	if len(c.m) >= maxCachedStacks {
		for k := range c.m { // map iteration starts at a random entry
			delete(c.m, k)
			break
		}
	}
	c.m[key] = frames
}

func (c *stackCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Frame builds the frame of function fn of package pkg at file:line, with
// its in-app flag, relative file name and context lines. The package is
// the one the file belongs to when fn is a closure the compiler copied
// into another package's function (see isClosure); the function's name is
// normalized for grouping (see NormalizeFunction), the original kept as
// the frame's raw_function.
func (fi *Symbolizer) Frame(pkg, fn, file string, line int) protocol.Frame {
	return fi.frame(fi.owners.realPackage(pkg, fn, file, nil), fn, file, line)
}

func (fi *Symbolizer) frame(pkg, fn, file string, line int) protocol.Frame {
	fr := protocol.Frame{Function: fn, Module: pkg, Lineno: line, AbsPath: file, InApp: fi.inApp(pkg)}
	if pkg != "" { // code the toolchain generated keeps its symbol
		if norm := NormalizeFunction(fn); norm != fn {
			fr.Function, fr.RawFunction = norm, fn
		}
	}
	fr.Filename = fi.relFile(pkg, file)
	if fr.InApp && fi.ctxLines > 0 {
		fr.PreContext, fr.ContextLine, fr.PostContext = fi.src.context(file, line, fi.ctxLines)
	}
	return fr
}

// relFile is the file's path as the import path of its package plus its
// base name, the same whether or not the binary was built with -trimpath.
func (fi *Symbolizer) relFile(pkg, file string) string {
	base := path.Base(file)
	if fi.goroot != "" && strings.HasPrefix(file, fi.goroot+"/src/") {
		return file[len(fi.goroot)+len("/src/"):]
	}
	if isStdlib(pkg) && pkg != "main" && !path.IsAbs(file) {
		return file // -trimpath: already relative to GOROOT/src
	}
	switch {
	case pkg == "main" && fi.mainPkg != "" && fi.mainPkg != "command-line-arguments":
		return fi.mainPkg + "/" + base
	case pkg == "" || pkg == "main":
		return base
	}
	if i := strings.Index(pkg, "["); i >= 0 { // generic instantiation leaked into the path
		pkg = pkg[:i]
	}
	return pkg + "/" + base
}
