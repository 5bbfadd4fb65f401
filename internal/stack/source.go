package stack

import (
	"bufio"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

const (
	defaultSourceCacheFiles = 64
	maxSourceFileBytes      = 4 << 20
	maxContextLineBytes     = 512
)

// sourceCache reads source files for context lines, keeping a bounded
// number of files. Missing files are remembered as missing.
type sourceCache struct {
	mu    sync.Mutex
	max   int
	files map[string][]string
	order []string
}

func newSourceCache(max int) *sourceCache {
	return &sourceCache{max: max, files: make(map[string][]string)}
}

func (c *sourceCache) lines(file string) []string {
	c.mu.Lock()
	ls, ok := c.files[file]
	c.mu.Unlock()
	if ok {
		return ls
	}
	ls = readLines(file)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.files[file]; !ok {
		if len(c.order) >= c.max {
			delete(c.files, c.order[0])
			c.order = c.order[1:]
		}
		c.files[file] = ls
		c.order = append(c.order, file)
	}
	return ls
}

func readLines(file string) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxSourceFileBytes {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxSourceFileBytes)
	for sc.Scan() {
		l := sc.Text()
		if len(l) > maxContextLineBytes {
			l = l[:maxContextLineBytes]
		}
		out = append(out, strings.ToValidUTF8(l, "\uFFFD"))
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func (c *sourceCache) context(file string, line, n int) (pre []string, cur string, post []string) {
	ls := c.lines(file)
	if line <= 0 || line > len(ls) {
		return nil, "", nil
	}
	i := line - 1
	lo, hi := max(0, i-n), min(len(ls), i+n+1)
	return ls[lo:i:i], ls[i], ls[i+1 : hi : hi]
}

// stdlibRoot is the directory the standard library's files are under in
// this binary's file names (runtime.GOROOT is deprecated: it describes
// the build machine, not the binary): the prefix before src/runtime/ in
// the file of a runtime function. A binary built with -trimpath names
// the standard library's files without a root, and so does this.
func stdlibRoot() string {
	fn := runtime.FuncForPC(reflect.ValueOf(runtime.Gosched).Pointer())
	if fn == nil {
		return ""
	}
	file, _ := fn.FileLine(fn.Entry())
	if i := strings.LastIndex(file, "/src/runtime/"); i >= 0 {
		return file[:i]
	}
	return ""
}
