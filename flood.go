package raven

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Flood control: while the error queue is more than half full, each call
// site (the capture's callers, eight frames, and the error value itself,
// hashed into floodSlots: captures made through one helper still differ by
// their error or their callers further up) may hold
// at most 1/floodShare of the queue. A site that floods is then dropped
// (queue_overflow, counted) before it costs a stack or a scope copy, and
// the room it leaves keeps a quiet site's errors flowing. Below half full
// nothing is counted: the check is one atomic load.
const (
	floodSlots = 64
	floodShare = 8
)

// siteCounts counts the captures each slot has queued during a flood.
type siteCounts [floodSlots]atomic.Int32

// take reserves a place for slot, up to limit; it reports false when the
// slot holds limit already.
func (s *siteCounts) take(slot, limit int) bool {
	if s[slot].Add(1) > int32(max(limit, 1)) {
		s[slot].Add(-1)
		return false
	}
	return true
}

// give returns a place taken for slot; slot -1 (none) is ignored.
func (s *siteCounts) give(slot int) {
	if slot >= 0 {
		s[slot].Add(-1)
	}
}

// floodSite is the slot of the capture's call site while the queue is more
// than half full, and -1 otherwise. skip is captureOpts.skip; err is the
// captured error, if any.
func (c *Client) floodSite(skip int, err error) int {
	if c.pipe.Waiting(classError) <= c.cfg.queueSize/2 {
		return -1
	}
	var pcs [8]uintptr
	// runtime.Callers, floodSite, capture, then the Capture* entry point
	// and its callers.
	n := runtime.Callers(skip+3, pcs[:])
	h := uint64(14695981039346656037) // FNV-1a over the return addresses
	mix := func(v uint64) {
		h ^= v
		h *= 1099511628211
	}
	for _, pc := range pcs[:n] {
		mix(uint64(pc))
	}
	if err != nil {
		// the error's dynamic type and data pointer: no user code runs
		e := (*[2]uintptr)(unsafe.Pointer(&err))
		mix(uint64(e[0]))
		mix(uint64(e[1]))
	}
	return int(h % floodSlots)
}
