// Package scope holds the data events are captured with (tags, extra,
// contexts, user, request, fingerprint, level, transaction, trace and a ring
// of breadcrumbs) in a copy-on-write store: taking a snapshot for an event
// costs one pointer, and the next change copies only the part it changes.
// The root package's Scope wraps a Store; Data.Apply merges a snapshot
// into an event on the senders.
package scope

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/ravenkit/raven/internal/protocol"
)

// Trace links events to a distributed trace.
type Trace struct {
	TraceID      string
	SpanID       string
	ParentSpanID string
	Sampled      *bool
}

// Hint is what event processors and BeforeSend get besides the event: the
// error captured, the recovered panic value, the HTTP request being
// handled (when an integration recorded one) and the context the capture
// was made with (context.Background() for the forms that take none).
type Hint struct {
	Err     error
	Panic   any
	Request *http.Request
	Context context.Context
}

// Processor changes an event or drops it (nil).
type Processor func(*protocol.Event, *Hint) *protocol.Event

// RequestSource builds the Request of an event when one is captured.
type RequestSource interface {
	// SentryRequest is called on the capturing goroutine, at capture time.
	SentryRequest() *protocol.Request
}

// Data is an immutable-once-shared view of a scope: never change the Data
// a Snapshot returned.
type Data struct {
	Tags        map[string]string
	Extra       map[string]any
	Contexts    map[string]map[string]any
	User        *protocol.User
	Request     *protocol.Request
	Fingerprint []string
	Level       protocol.Level
	Transaction string
	Trace       *Trace
	ReqSrc      RequestSource
	Processors  []Processor           // run on the senders, before the client's
	crumbs      []protocol.Breadcrumb // ring of at most max entries
	head        int                   // index of the oldest crumb when the ring is full
}

// Breadcrumbs returns the breadcrumbs oldest first, in a new slice.
func (d *Data) Breadcrumbs() []protocol.Breadcrumb {
	if len(d.crumbs) == 0 {
		return nil
	}
	out := make([]protocol.Breadcrumb, 0, len(d.crumbs))
	out = append(out, d.crumbs[d.head:]...)
	return append(out, d.crumbs[:d.head]...)
}

// ownership bits: which fields of Store.d the store may change in place.
const (
	ownTags = 1 << iota
	ownExtra
	ownContexts
	ownFingerprint
	ownCrumbs
	ownStruct
)

// Store is a scope's current data. It is safe for concurrent use; the
// zero Store keeps no breadcrumbs until Init.
type Store struct {
	mu    sync.Mutex
	d     *Data
	owned uint8
	max   int
	own   Data // storage for d in forked stores, saving an allocation
}

// Init makes s an empty store keeping up to maxCrumbs breadcrumbs.
func (s *Store) Init(maxCrumbs int) {
	s.d, s.owned, s.max = &Data{}, 0xff, maxCrumbs
}

// Fork makes s a child of parent: it starts with parent's current data,
// and changes on either side never reach the other. s must be new.
func (s *Store) Fork(parent *Store) {
	s.max = parent.max
	// the child owns its struct (a copy of the parent's snapshot) but none
	// of the maps and slices it shares with the parent
	s.own = *parent.Snapshot()
	s.d, s.owned = &s.own, ownStruct
}

// Snapshot returns the current data; it must not be changed.
func (s *Store) Snapshot() *Data {
	s.mu.Lock()
	d := s.d
	s.owned = 0
	s.mu.Unlock()
	return d
}

// update runs f under the store's lock with the data made writable for
// the fields in bits (the own constants).
func (s *Store) update(bits uint8, f func(d *Data)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		s.d = &Data{}
	}
	if s.owned&ownStruct == 0 {
		cp := *s.d
		s.d = &cp
		s.owned |= ownStruct
	}
	if missing := bits &^ s.owned; missing != 0 {
		d := s.d
		if missing&ownTags != 0 {
			d.Tags = maps.Clone(d.Tags)
		}
		if missing&ownExtra != 0 {
			d.Extra = maps.Clone(d.Extra)
		}
		if missing&ownContexts != 0 {
			d.Contexts = maps.Clone(d.Contexts)
		}
		if missing&ownFingerprint != 0 {
			d.Fingerprint = slices.Clone(d.Fingerprint)
		}
		if missing&ownCrumbs != 0 {
			d.crumbs = append(make([]protocol.Breadcrumb, 0, s.max), d.Breadcrumbs()...)
			d.head = 0
		}
		s.owned |= bits
	}
	f(s.d)
}

// SetTags sets the tags of m (one tag when m has one entry).
func (s *Store) SetTags(m map[string]string) {
	s.update(ownTags, func(d *Data) {
		if d.Tags == nil {
			d.Tags = make(map[string]string, len(m))
		}
		maps.Copy(d.Tags, m)
	})
}

// SetTag sets one tag.
func (s *Store) SetTag(key, value string) {
	s.update(ownTags, func(d *Data) {
		if d.Tags == nil {
			d.Tags = make(map[string]string)
		}
		d.Tags[key] = value
	})
}

// RemoveTag removes a tag.
func (s *Store) RemoveTag(key string) { s.update(ownTags, func(d *Data) { delete(d.Tags, key) }) }

// SetExtras sets the extra values of m.
func (s *Store) SetExtras(m map[string]any) {
	s.update(ownExtra, func(d *Data) {
		if d.Extra == nil {
			d.Extra = make(map[string]any, len(m))
		}
		maps.Copy(d.Extra, m)
	})
}

// SetExtra sets one extra value.
func (s *Store) SetExtra(key string, value any) {
	s.update(ownExtra, func(d *Data) {
		if d.Extra == nil {
			d.Extra = make(map[string]any)
		}
		d.Extra[key] = value
	})
}

// SetContext sets one named context to a copy of value; nil removes it.
func (s *Store) SetContext(name string, value map[string]any) {
	if value != nil {
		value = maps.Clone(value)
	}
	s.update(ownContexts, func(d *Data) { d.setContext(name, value) })
}

// setContext puts value (already a copy) under name; nil removes it.
func (d *Data) setContext(name string, value map[string]any) {
	if value == nil {
		delete(d.Contexts, name)
		return
	}
	if d.Contexts == nil {
		d.Contexts = make(map[string]map[string]any)
	}
	d.Contexts[name] = value
}

// RemoveExtra removes an extra value.
func (s *Store) RemoveExtra(key string) { s.update(ownExtra, func(d *Data) { delete(d.Extra, key) }) }

// SetContexts sets the named contexts of m (each map copied); a nil value
// removes its context.
func (s *Store) SetContexts(m map[string]map[string]any) {
	s.update(ownContexts, func(d *Data) {
		for name, v := range m {
			d.setContext(name, maps.Clone(v)) // a nil v stays nil
		}
	})
}

// Set runs f on the data with every field writable in place except the
// maps, the fingerprint and the breadcrumbs, which f may replace but not
// change.
func (s *Store) Set(f func(d *Data)) { s.update(0, f) }

// RemoveContext removes a named context.
func (s *Store) RemoveContext(name string) {
	s.update(ownContexts, func(d *Data) { d.setContext(name, nil) })
}

// AddProcessor appends f to the scope's event processors.
func (s *Store) AddProcessor(f Processor) {
	s.update(0, func(d *Data) { d.Processors = append(d.Processors[:len(d.Processors):len(d.Processors)], f) })
}

// SetFingerprint replaces the fingerprint with a copy of fp.
func (s *Store) SetFingerprint(fp []string) {
	fp = slices.Clone(fp)
	s.update(ownFingerprint, func(d *Data) { d.Fingerprint = fp })
}

// AddBreadcrumb appends b, overwriting the oldest when the ring is full.
func (s *Store) AddBreadcrumb(b protocol.Breadcrumb) {
	if s.max <= 0 {
		return
	}
	s.update(ownCrumbs, func(d *Data) {
		if len(d.crumbs) < s.max {
			d.crumbs = append(d.crumbs, b)
		} else {
			d.crumbs[d.head] = b
			d.head = (d.head + 1) % len(d.crumbs)
		}
	})
}

// ClearBreadcrumbs removes every breadcrumb.
func (s *Store) ClearBreadcrumbs() {
	s.update(ownCrumbs, func(d *Data) { d.crumbs, d.head = d.crumbs[:0], 0 })
}

// Clear empties the store (breadcrumbs included).
func (s *Store) Clear() {
	s.mu.Lock()
	s.d, s.owned = &Data{}, 0xff
	s.mu.Unlock()
}

// Apply merges d into ev: ev's own values win over the scope's, and the
// scope's over the client's defaultTags; req is the request recorded at
// capture, used when neither ev nor d has one. d may be nil.
func (d *Data) Apply(ev *protocol.Event, defaultTags map[string]string, req *protocol.Request) {
	if len(defaultTags) > 0 || (d != nil && len(d.Tags) > 0) {
		tags := make(map[string]string, len(defaultTags)+len(ev.Tags))
		maps.Copy(tags, defaultTags)
		if d != nil {
			maps.Copy(tags, d.Tags)
		}
		maps.Copy(tags, ev.Tags)
		ev.Tags = tags
	}
	if d == nil {
		return
	}
	if len(d.Extra) > 0 {
		extra := maps.Clone(d.Extra)
		maps.Copy(extra, ev.Extra)
		ev.Extra = extra
	}
	if len(d.Contexts) > 0 && ev.Contexts == nil {
		ev.Contexts = make(map[string]map[string]any, len(d.Contexts))
	}
	for k, v := range d.Contexts {
		if _, ok := ev.Contexts[k]; !ok {
			ev.Contexts[k] = v
		}
	}
	if d.Trace != nil && ev.Contexts["trace"] == nil {
		tc := map[string]any{"trace_id": d.Trace.TraceID, "span_id": d.Trace.SpanID, "type": "trace"}
		if d.Trace.ParentSpanID != "" {
			tc["parent_span_id"] = d.Trace.ParentSpanID
		}
		if d.Trace.Sampled != nil {
			tc["sampled"] = *d.Trace.Sampled
		}
		if ev.Contexts == nil {
			ev.Contexts = map[string]map[string]any{}
		}
		ev.Contexts["trace"] = tc
	}
	if ev.User == nil && d.User != nil {
		u := *d.User
		ev.User = &u
	}
	if ev.Request == nil {
		ev.Request = d.Request
	}
	if ev.Request == nil {
		ev.Request = req
	}
	if ev.Fingerprint == nil {
		ev.Fingerprint = d.Fingerprint
	}
	if d.Level != "" {
		ev.Level = d.Level
	}
	if ev.Transaction == "" {
		ev.Transaction = d.Transaction
	}
	if crumbs := d.Breadcrumbs(); len(crumbs) > 0 {
		if ev.Breadcrumbs == nil {
			ev.Breadcrumbs = &protocol.BreadcrumbList{}
		}
		ev.Breadcrumbs.Values = append(crumbs, ev.Breadcrumbs.Values...)
	}
}

// MaxBreadcrumbs is how many breadcrumbs the store keeps.
func (s *Store) MaxBreadcrumbs() int { return s.max }
