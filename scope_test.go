package raven_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScopeForkIsolation(t *testing.T) {
	c, err := raven.New(raven.WithDSN(""))
	require.NoError(t, err)
	root := raven.ContextWithScope(context.Background(), c.Scope())
	raven.ScopeFromContext(root).SetTag("root", "1")

	a := raven.WithScope(root)
	b := raven.WithScope(root)
	raven.ScopeFromContext(a).SetTag("a", "1")
	raven.ScopeFromContext(a).AddBreadcrumb(raven.Breadcrumb{Message: "in a"})
	raven.ScopeFromContext(b).SetTag("b", "1")
	raven.ScopeFromContext(root).SetTag("late", "1")

	assert.Equal(t, map[string]string{"root": "1", "a": "1"}, raven.ScopeFromContext(a).Tags())
	assert.Equal(t, map[string]string{"root": "1", "b": "1"}, raven.ScopeFromContext(b).Tags())
	assert.Equal(t, map[string]string{"root": "1", "late": "1"}, raven.ScopeFromContext(root).Tags())
	assert.Empty(t, raven.ScopeFromContext(root).Breadcrumbs())
	assert.Empty(t, raven.ScopeFromContext(b).Breadcrumbs())
	assert.Len(t, raven.ScopeFromContext(a).Breadcrumbs(), 1)
}

func TestScopeBreadcrumbRing(t *testing.T) {
	c, err := raven.New(raven.WithMaxBreadcrumbs(3))
	require.NoError(t, err)
	s := c.Scope()
	for i := 0; i < 7; i++ {
		s.AddBreadcrumb(raven.Breadcrumb{Message: fmt.Sprint(i)})
		if i == 4 {
			_ = s.Breadcrumbs() // a snapshot in the middle must not disturb order
		}
	}
	var msgs []string
	for _, b := range s.Breadcrumbs() {
		msgs = append(msgs, b.Message)
		assert.False(t, b.Timestamp.IsZero())
	}
	assert.Equal(t, []string{"4", "5", "6"}, msgs)
	s.ClearBreadcrumbs()
	assert.Empty(t, s.Breadcrumbs())
}

func TestScopeBeforeBreadcrumb(t *testing.T) {
	c, err := raven.New(raven.WithBeforeBreadcrumb(func(b *raven.Breadcrumb) *raven.Breadcrumb {
		switch b.Message {
		case "drop":
			return nil
		case "panic":
			panic("hook exploded")
		}
		b.Category = "seen"
		return b
	}))
	require.NoError(t, err)
	s := c.Scope()
	s.AddBreadcrumb(raven.Breadcrumb{Message: "keep"})
	s.AddBreadcrumb(raven.Breadcrumb{Message: "drop"})
	s.AddBreadcrumb(raven.Breadcrumb{Message: "panic"})
	crumbs := s.Breadcrumbs()
	require.Len(t, crumbs, 1)
	assert.Equal(t, "seen", crumbs[0].Category)
}

func TestScopeSnapshotIsImmutable(t *testing.T) {
	c, err := raven.New()
	require.NoError(t, err)
	s := c.Scope()
	u := &raven.User{ID: "1", Data: map[string]any{"k": "v"}}
	s.SetUser(u)
	u.ID = "changed"
	u.Data["k"] = "changed"
	assert.Equal(t, "1", s.User().ID, "SetUser copies")
	got := s.User()
	got.ID = "x"
	assert.Equal(t, "1", s.User().ID, "User returns a copy")
	tags := s.Tags()
	s.SetTag("t", "1")
	assert.Empty(t, tags)
}

func TestScopeConcurrentUse(t *testing.T) {
	c, err := raven.New()
	require.NoError(t, err)
	ctx := raven.ContextWithScope(context.Background(), c.Scope())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			child := raven.WithScope(ctx)
			s := raven.ScopeFromContext(child)
			for i := 0; i < 200; i++ {
				s.SetTag("g", fmt.Sprint(g))
				s.SetExtra("i", i)
				s.AddBreadcrumb(raven.Breadcrumb{Message: "x"})
				c.Scope().AddBreadcrumb(raven.Breadcrumb{Message: "shared"})
				_ = c.Scope().Breadcrumbs()
				_ = s.Tags()
			}
			assert.Equal(t, fmt.Sprint(g), s.Tags()["g"])
		}()
	}
	wg.Wait()
	assert.Len(t, c.Scope().Breadcrumbs(), raven.DefaultMaxBreadcrumbs)
}

func TestScopeNilSafe(t *testing.T) {
	var s *raven.Scope
	s.SetTag("a", "b")
	s.AddBreadcrumb(raven.Breadcrumb{})
	s.SetUser(nil)
	assert.Nil(t, s.Tags())
	assert.NotNil(t, raven.ScopeFromContext(context.Background()))
	var nilCtx context.Context // a nil context is treated as Background
	assert.NotNil(t, raven.ScopeFromContext(nilCtx))
	assert.NotNil(t, raven.ScopeFromContext(raven.WithScope(nilCtx)))
	c, rec := newClient(t)
	assert.NotEmpty(t, c.CaptureExceptionContext(nilCtx, errSentinel))
	assert.NotEmpty(t, c.CaptureMessageContext(nilCtx, "m"))
	flush(t, c)
	assert.Len(t, rec.events(t), 2)
}
