package ratelimit

import (
	"hash/fnv"
	"strconv"
	"sync"

	"github.com/ravenkit/raven/internal/protocol"
	"golang.org/x/time/rate"
)

// maxFingerprints bounds the per-fingerprint limiters kept; past it the
// table starts over (a flood of distinct errors is not what this limits).
const maxFingerprints = 4096

// Fingerprints holds a token bucket per fingerprint: the event's own
// fingerprint when set, else its exception types and values, its message
// and the innermost in-app frame.
type Fingerprints struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[uint64]*rate.Limiter
}

// NewFingerprints lets limit events per second (bursts of burst) through
// per fingerprint.
func NewFingerprints(limit rate.Limit, burst int) *Fingerprints {
	return &Fingerprints{limit: limit, burst: burst, m: make(map[uint64]*rate.Limiter)}
}

// Allow reports whether an event with this content may be sent now.
func (f *Fingerprints) Allow(ev *protocol.Event) bool {
	key := fingerprintKey(ev)
	f.mu.Lock()
	l, ok := f.m[key]
	if !ok {
		if len(f.m) >= maxFingerprints {
			clear(f.m)
		}
		l = rate.NewLimiter(f.limit, f.burst)
		f.m[key] = l
	}
	f.mu.Unlock()
	return l.Allow()
}

func fingerprintKey(ev *protocol.Event) uint64 {
	h := fnv.New64a()
	w := func(s string) {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	if len(ev.Fingerprint) > 0 {
		for _, s := range ev.Fingerprint {
			w(s)
		}
		return h.Sum64()
	}
	if ev.Message != nil {
		w(ev.Message.Formatted)
		w(ev.Message.Message)
	}
	if ev.Exception != nil {
		for _, e := range ev.Exception.Values {
			w(e.Type)
			w(e.Value)
		}
		if n := len(ev.Exception.Values); n > 0 {
			if st := ev.Exception.Values[n-1].Stacktrace; st != nil {
				for i := len(st.Frames) - 1; i >= 0; i-- {
					if fr := st.Frames[i]; fr.InApp {
						w(fr.Module + "." + fr.Function + ":" + strconv.Itoa(fr.Lineno))
						break
					}
				}
			}
		}
	}
	return h.Sum64()
}
