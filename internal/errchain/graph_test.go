package errchain

import (
	"errors"
	"strings"
	"testing"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingJoin is a multi-error that counts how often it is unwrapped, so
// tests can tell how many nodes a walk visited.
type countingJoin struct {
	errs  []error
	calls *int
}

func (j *countingJoin) Error() string { return "join" }
func (j *countingJoin) Unwrap() []error {
	*j.calls++
	return j.errs
}

// sharedDAG builds depth levels of j(e, e): 2^depth paths, depth+1 nodes.
func sharedDAG(depth int, calls *int) error {
	var e error = errors.New("leaf")
	for range depth {
		e = &countingJoin{errs: []error{e, e}, calls: calls}
	}
	return e
}

func TestHasOwnStackVisitsEachNodeOnce(t *testing.T) {
	calls := 0
	err := sharedDAG(64, &calls)
	assert.False(t, HasOwnStack(err))
	assert.Equal(t, 64, calls, "each multi-error unwrapped once")

	// A stack at the leaf of a shared DAG is found.
	calls = 0
	var e error = pkgerrors.New("leaf with stack")
	for range 64 {
		e = &countingJoin{errs: []error{e, e}, calls: &calls}
	}
	assert.True(t, HasOwnStack(e))
	assert.LessOrEqual(t, calls, 64)
}

func TestHasOwnStackStopsAtNodeBudget(t *testing.T) {
	// A wide graph of distinct nodes: the walk stops after MaxNodes.
	calls := 0
	leaves := make([]error, 10_000)
	for i := range leaves {
		leaves[i] = &countingJoin{calls: &calls}
	}
	root := &countingJoin{errs: leaves, calls: &calls}
	assert.False(t, HasOwnStack(root))
	assert.Equal(t, MaxNodes, calls)
}

func TestHasOwnStackCycleThroughMultiError(t *testing.T) {
	calls := 0
	a := &countingJoin{calls: &calls}
	b := &countingJoin{calls: &calls, errs: []error{a}}
	a.errs = []error{b, a}
	assert.False(t, HasOwnStack(a))
	assert.Equal(t, 2, calls)

	a.errs = append(a.errs, pkgerrors.New("x"))
	assert.True(t, HasOwnStack(a))
}

func TestWalkChainSharedDAGVisitsEachNodeOnce(t *testing.T) {
	calls := 0
	links := Walk(sharedDAG(64, &calls), DefaultMaxDepth)
	require.Len(t, links, 32, "one link per distinct node, up to the depth bound")
	assert.LessOrEqual(t, calls, 64)
	for i, l := range links[1:] {
		assert.Equal(t, i, l.Parent, "each join's first child is the next level")
	}
}

func TestWalkChainBoundsWideGraphs(t *testing.T) {
	calls := 0
	leaves := make([]error, 10_000)
	for i := range leaves {
		leaves[i] = &countingJoin{calls: &calls}
	}
	links := Walk(&countingJoin{errs: leaves, calls: &calls}, 10_000)
	assert.Len(t, links, MaxNodes)
}

func TestJoinMessageOfSharedDAGIsBounded(t *testing.T) {
	var e error = errors.New("leaf")
	for range 64 {
		e = errors.Join(e, e) // e.Error() would build 2^64 lines
	}
	links := Walk(e, DefaultMaxDepth)
	require.NotEmpty(t, links)
	v := links[0].Exc.Value
	assert.LessOrEqual(t, len(v), protocol.MaxValueBytes+len("…"))
	assert.True(t, strings.HasPrefix(v, "leaf\nleaf\n"), "%.40q", v)
	assert.Equal(t, "errors.Join", links[0].Exc.Type)

	// A small join reads exactly as its Error.
	small := errors.Join(errors.New("a"), nil, errors.Join(errors.New("b"), errors.New("c")))
	assert.Equal(t, small.Error(), new(joinMessages).message(small))
}

func BenchmarkHasOwnStackSharedDAG64(b *testing.B) {
	calls := 0
	err := sharedDAG(64, &calls)
	b.ReportAllocs()
	for b.Loop() {
		HasOwnStack(err)
	}
}

func BenchmarkHasOwnStackChain(b *testing.B) {
	err := error(errors.New("leaf"))
	for range 5 {
		err = &cyclicErr{next: err}
	}
	b.ReportAllocs()
	for b.Loop() {
		HasOwnStack(err)
	}
}
