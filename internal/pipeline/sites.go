package pipeline

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Flood control, for capture paths: while a queue is more than half full,
// each call site (the capture's callers, eight frames, and the error's
// type, hashed into two of SiteSlots slots: captures made through one
// helper still differ by their error type or their callers further up)
// may hold at most 2/SiteShare of the queue. A site that floods is then dropped
// (queue_overflow, counted) before it costs a stack or a scope copy, and
// the room it leaves keeps a quiet site's errors flowing. Below half full
// nothing is counted: the check is one atomic load.
const (
	siteBits = 6
	// SiteSlots is the number of slots sites hash into.
	SiteSlots = 1 << siteBits
	// SiteShare: a slot may hold 1/SiteShare of the queue (a site that
	// floods fills both its slots: 1/8 of the queue).
	SiteShare = 16
)

// Sites counts the captures each slot has queued during a flood.
type Sites [SiteSlots]atomic.Int32

// Take reserves a place for a site in the first of its two slots with
// room, up to limit each; it returns the slot taken, or -1 when both hold
// limit already.
func (s *Sites) Take(a, b, limit int) int {
	if s.take(a, limit) {
		return a
	}
	if b != a && s.take(b, limit) {
		return b
	}
	return -1
}

// take reserves a place in slot, up to limit.
func (s *Sites) take(slot, limit int) bool {
	if s[slot].Add(1) > int32(max(limit, 1)) {
		s[slot].Add(-1)
		return false
	}
	return true
}

// Give returns a place taken for slot; slot -1 (none) is ignored.
func (s *Sites) Give(slot int) {
	if slot >= 0 {
		s[slot].Add(-1)
	}
}

// SiteOf hashes the call site of a capture into two slots (two choices:
// a site is refused only when both are full, so a quiet site whose first
// slot collides with a flooding one still gets through by its second).
// The site is the capture's callers (runtime.Callers, SiteOf and the
// capture function itself are skipped, then skip more frames) and, when
// err is set, the error's dynamic type (no user code runs; not its value,
// so that a flood of distinct errors of one type from one site is one
// site).
func SiteOf(skip int, err error) (int, int) {
	var pcs [8]uintptr
	// runtime.Callers, SiteOf, the capture function, then the Capture*
	// entry point and its callers.
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
		mix(uint64((*[2]uintptr)(unsafe.Pointer(&err))[0])) // the dynamic type's word
	}
	// The low bits of an FNV product depend only on the low bits of its
	// inputs, and return addresses share their low bits (alignment): take
	// the slots from the high bits.
	h *= 0x9E3779B97F4A7C15
	return int(h >> (64 - siteBits)), int(h >> (64 - 2*siteBits) & (SiteSlots - 1))
}
