package scope

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A snapshot never changes: later changes copy what they touch.
func TestSnapshotIsImmutable(t *testing.T) {
	var s Store
	s.Init(3)
	s.SetTag("a", "1")
	s.SetExtras(map[string]any{"x": 1})
	s.AddBreadcrumb(protocol.Breadcrumb{Message: "one"})
	snap := s.Snapshot()
	s.SetTag("a", "2")
	s.RemoveExtra("x")
	s.AddBreadcrumb(protocol.Breadcrumb{Message: "two"})
	s.SetFingerprint([]string{"fp"})
	assert.Equal(t, "1", snap.Tags["a"])
	assert.Equal(t, 1, snap.Extra["x"])
	assert.Len(t, snap.Breadcrumbs(), 1)
	assert.Nil(t, snap.Fingerprint)
	now := s.Snapshot()
	assert.Equal(t, "2", now.Tags["a"])
	assert.NotContains(t, now.Extra, "x")
	assert.Equal(t, []string{"fp"}, now.Fingerprint)
}

func TestBreadcrumbRingKeepsNewest(t *testing.T) {
	var s Store
	s.Init(3)
	for i := range 5 {
		s.AddBreadcrumb(protocol.Breadcrumb{Message: fmt.Sprint(i)})
	}
	var got []string
	for _, b := range s.Snapshot().Breadcrumbs() {
		got = append(got, b.Message)
	}
	assert.Equal(t, []string{"2", "3", "4"}, got)
	s.ClearBreadcrumbs()
	assert.Empty(t, s.Snapshot().Breadcrumbs())

	var none Store
	none.Init(0)
	none.AddBreadcrumb(protocol.Breadcrumb{Message: "dropped"})
	assert.Empty(t, none.Snapshot().Breadcrumbs())
}

// A fork and its parent never see each other's later changes, even when
// both change concurrently.
func TestForkIsolation(t *testing.T) {
	var parent Store
	parent.Init(10)
	parent.SetTag("shared", "p")
	parent.SetContexts(map[string]map[string]any{"app": {"v": 1}})
	children := make([]Store, 50)
	var wg sync.WaitGroup
	for i := range children {
		children[i].Fork(&parent)
		wg.Add(2)
		go func() {
			defer wg.Done()
			children[i].SetTag("child", fmt.Sprint(i))
			children[i].SetContexts(map[string]map[string]any{"app": nil})
			children[i].AddBreadcrumb(protocol.Breadcrumb{Message: fmt.Sprint(i)})
		}()
		go func() {
			defer wg.Done()
			parent.SetTag(fmt.Sprint("p", i), "x")
		}()
	}
	wg.Wait()
	for i := range children {
		d := children[i].Snapshot()
		assert.Equal(t, fmt.Sprint(i), d.Tags["child"])
		assert.Equal(t, "p", d.Tags["shared"])
		assert.NotContains(t, d.Contexts, "app")
		require.Len(t, d.Breadcrumbs(), 1)
		assert.Equal(t, fmt.Sprint(i), d.Breadcrumbs()[0].Message)
	}
	p := parent.Snapshot()
	assert.NotContains(t, p.Tags, "child")
	assert.Contains(t, p.Contexts, "app")
	assert.Empty(t, p.Breadcrumbs())
	parent.Clear()
	assert.Empty(t, parent.Snapshot().Tags)
}

// Apply: the event's values win over the scope's, the scope's over the
// client's tags; breadcrumbs go before the event's own.
func TestApplyPrecedence(t *testing.T) {
	var s Store
	s.Init(10)
	s.SetTags(map[string]string{"k": "scope", "s": "1"})
	s.SetExtras(map[string]any{"e": "scope"})
	s.Set(func(d *Data) {
		d.Transaction, d.Level = "GET /x", protocol.LevelWarning
		d.Trace = &Trace{TraceID: "t", SpanID: "s"}
	})
	s.AddBreadcrumb(protocol.Breadcrumb{Message: "scope"})
	ev := &protocol.Event{Tags: map[string]string{"k": "event"}, Extra: map[string]any{"e": "event"},
		Breadcrumbs: &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{{Message: "event"}}}}
	s.Snapshot().Apply(ev, map[string]string{"k": "client", "c": "1"}, &protocol.Request{Method: "GET"})
	assert.Equal(t, map[string]string{"k": "event", "s": "1", "c": "1"}, ev.Tags)
	assert.Equal(t, "event", ev.Extra["e"])
	assert.Equal(t, "GET /x", ev.Transaction)
	assert.Equal(t, protocol.LevelWarning, ev.Level)
	assert.Equal(t, "t", ev.Contexts["trace"]["trace_id"])
	assert.Equal(t, "GET", ev.Request.Method)
	require.Len(t, ev.Breadcrumbs.Values, 2)
	assert.Equal(t, "scope", ev.Breadcrumbs.Values[0].Message)

	var nilData *Data
	bare := &protocol.Event{}
	nilData.Apply(bare, map[string]string{"c": "1"}, nil)
	assert.Equal(t, map[string]string{"c": "1"}, bare.Tags)
}
