// This file keeps the strings a JSON line repeats from record to record.

package ravenzerolog

import (
	"sync"
	"sync/atomic"
)

const (
	// maxInterned bounds how many strings an interner keeps.
	maxInterned = 1024
	// maxInternedLen is the longest string an interner keeps.
	maxInternedLen = 128
)

// interner returns the same string for the same bytes without allocating,
// for the keys and messages a program logs again and again (most are
// constants in its source). It keeps the first maxInterned strings of at
// most maxInternedLen bytes it sees; others are copied each time. Readers
// load an immutable map; a new string copies it. The zero value is ready
// to use.
type interner struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// get returns b as a string; a nil interner copies it.
func (in *interner) get(b []byte) string {
	if in == nil {
		return string(b)
	}
	if m := in.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	if len(s) > maxInternedLen {
		return s
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	var n int
	old := in.m.Load()
	if old != nil {
		n = len(*old)
	}
	if n >= maxInterned {
		return s
	}
	next := make(map[string]string, n+1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[s] = s
	in.m.Store(&next)
	return s
}
