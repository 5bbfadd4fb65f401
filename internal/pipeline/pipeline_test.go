package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	high = 0 // errors
	low  = 1 // a cheap kind that floods
)

func classes() []Class {
	return []Class{
		{Name: "error", Priority: 0, MaxItems: 2000, MaxBytes: 1 << 20},
		{Name: "log_item", Priority: 10, MaxItems: 100, MaxBytes: 1 << 20},
	}
}

// recorder counts what the handler received per class.
type recorder struct {
	mu    sync.Mutex
	got   map[int][]int
	calls map[int]int
}

func newRecorder() *recorder { return &recorder{got: map[int][]int{}, calls: map[int]int{}} }

func (r *recorder) add(class int, items []int) {
	r.mu.Lock()
	r.got[class] = append(r.got[class], items...)
	r.calls[class]++
	r.mu.Unlock()
}

func (r *recorder) count(class int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[class])
}

func closeNow(t *testing.T, p *Pipeline[int]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	require.NoError(t, p.Close(ctx, func(int, int, bool) {}))
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	h := func(context.Context, int, []int) Outcome { return Healthy }
	cases := map[string]Config[int]{
		"no classes":        {MinSenders: 1, MaxSenders: 1, Handle: h},
		"no handler":        {Classes: classes(), MinSenders: 1, MaxSenders: 1},
		"no senders":        {Classes: classes(), MaxSenders: 1, Handle: h},
		"max below min":     {Classes: classes(), MinSenders: 2, MaxSenders: 1, Handle: h},
		"unbounded class":   {Classes: []Class{{Name: "x"}}, MinSenders: 1, MaxSenders: 1, Handle: h},
		"batch, no linger":  {Classes: []Class{{Name: "x", MaxItems: 1, MaxBytes: 1, Batch: 10}}, MinSenders: 1, MaxSenders: 1, Handle: h},
		"zero-byte ceiling": {Classes: []Class{{Name: "x", MaxItems: 1}}, MinSenders: 1, MaxSenders: 1, Handle: h},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(cfg)
			assert.Error(t, err)
		})
	}
}

// A flood of a low-priority class at ten times what the link carries
// never delays or drops the high-priority class: every error is handled,
// and the low class's losses are all reported as Full at enqueue.
func TestPriorityUnderSaturatedLowClass(t *testing.T) {
	const perSend = 500 * time.Microsecond // the link: 2 senders x 2000/s
	rec := newRecorder()
	p, err := New(Config[int]{Classes: classes(), MinSenders: 2, StartSenders: 2, MaxSenders: 2,
		Handle: func(_ context.Context, class int, items []int) Outcome {
			time.Sleep(perSend)
			rec.add(class, items)
			return Neutral
		}})
	require.NoError(t, err)

	stop := make(chan struct{})
	var lowOK, lowFull atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // 10x the link's 4000/s: 40 items every millisecond
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for range 40 {
					if p.Enqueue(low, 1, 100) == Enqueued {
						lowOK.Add(1)
					} else {
						lowFull.Add(1)
					}
				}
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // the low class is saturated
	for i := range 1000 {
		require.Equal(t, Enqueued, p.Enqueue(high, i, 100), "error %d", i)
		if i%10 == 0 {
			time.Sleep(time.Millisecond) // errors arrive over the flood, not at once
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	close(stop)
	wg.Wait()
	var drained atomic.Int64
	require.NoError(t, p.Close(ctx, func(class int, _ int, _ bool) {
		if class == low {
			drained.Add(1)
		}
	}))

	assert.Equal(t, 1000, rec.count(high), "every error is handled")
	assert.Positive(t, lowFull.Load(), "the flood overflows its own class")
	assert.Equal(t, lowOK.Load(), int64(rec.count(low))+drained.Load(), "every accepted low item is handled or drained")
	assert.Positive(t, rec.count(low), "the low class is slowed, not stopped")
	t.Logf("errors handled %d; low: accepted %d, full %d, handled %d", rec.count(high), lowOK.Load(), lowFull.Load(), rec.count(low))
}

func TestStarvationLimitServesLowClass(t *testing.T) {
	gate := make(chan struct{})
	var order []int
	var mu sync.Mutex
	p, err := New(Config[int]{Classes: classes(), MinSenders: 1, StartSenders: 1, MaxSenders: 1, StarvationLimit: 4,
		Handle: func(_ context.Context, class int, items []int) Outcome {
			<-gate
			mu.Lock()
			order = append(order, class)
			mu.Unlock()
			return Neutral
		}})
	require.NoError(t, err)
	require.Equal(t, Enqueued, p.Enqueue(high, 0, 1)) // the sender takes it and waits
	require.Eventually(t, func() bool { n, _ := p.ClassLen(high); return n == 0 }, time.Second, time.Millisecond)
	for i := range 30 {
		require.Equal(t, Enqueued, p.Enqueue(high, i, 1))
	}
	require.Equal(t, Enqueued, p.Enqueue(low, 0, 1))
	close(gate)
	closeNow(t, p)
	require.Len(t, order, 32)
	lowAt := -1
	for i, c := range order {
		if c == low {
			lowAt = i
		}
	}
	assert.Equal(t, 5, lowAt, "after the first item, four high batches then the waiting low one")
}

func TestByteAndCountBounds(t *testing.T) {
	gate := make(chan struct{})
	p, err := New(Config[int]{Classes: []Class{
		{Name: "attachment", MaxItems: 10, MaxBytes: 100},
		{Name: "error", MaxItems: 2, MaxBytes: 1 << 20},
	}, MinSenders: 1, MaxSenders: 1, Handle: func(context.Context, int, []int) Outcome { <-gate; return Neutral }})
	require.NoError(t, err)
	defer func() { close(gate); closeNow(t, p) }()

	// the sender takes the first item and blocks: what follows waits
	require.Equal(t, Enqueued, p.Enqueue(0, 1, 500), "an item larger than the class is accepted when it is empty")
	require.Eventually(t, func() bool { n, _ := p.ClassLen(0); return n == 0 }, time.Second, time.Millisecond)
	require.Equal(t, Enqueued, p.Enqueue(0, 2, 500), "alone in the class again")
	assert.Equal(t, Full, p.Enqueue(0, 3, 1), "past the byte bound")
	n, b := p.ClassLen(0)
	assert.Equal(t, 1, n)
	assert.Equal(t, 500, b)

	assert.Equal(t, Enqueued, p.Enqueue(1, 1, 10))
	assert.Equal(t, Enqueued, p.Enqueue(1, 2, 10))
	assert.Equal(t, Full, p.Enqueue(1, 3, 10), "past the count bound")
}

func TestBatchesByCountBytesAndLinger(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	got := make(chan struct{}, 16)
	p, err := New(Config[int]{Classes: []Class{
		{Name: "log_item", MaxItems: 1000, MaxBytes: 1 << 20, Batch: 100, BatchBytes: 10_000, Linger: 50 * time.Millisecond},
	}, MinSenders: 1, MaxSenders: 1, Handle: func(_ context.Context, _ int, items []int) Outcome {
		mu.Lock()
		sizes = append(sizes, len(items))
		mu.Unlock()
		got <- struct{}{}
		return Neutral
	}})
	require.NoError(t, err)
	defer closeNow(t, p)

	start := time.Now()
	for i := range 250 {
		require.Equal(t, Enqueued, p.Enqueue(0, i, 10))
	}
	<-got
	<-got
	<-got // the partial batch of 50 goes after its linger
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	mu.Lock()
	assert.Equal(t, []int{100, 100, 50}, sizes)
	sizes = nil
	mu.Unlock()

	// by bytes: 300-byte items, 10,000 bytes a batch -> 33 per batch
	for i := range 66 {
		require.Equal(t, Enqueued, p.Enqueue(0, i, 300))
	}
	<-got
	<-got
	mu.Lock()
	assert.Equal(t, []int{33, 33}, sizes)
	mu.Unlock()
}

func TestFlushSendsPartialBatchAtOnce(t *testing.T) {
	var n atomic.Int64
	p, err := New(Config[int]{Classes: []Class{
		{Name: "log_item", MaxItems: 1000, MaxBytes: 1 << 20, Batch: 100, Linger: time.Hour},
	}, MinSenders: 1, MaxSenders: 1, Handle: func(_ context.Context, _ int, items []int) Outcome {
		n.Add(int64(len(items)))
		return Neutral
	}})
	require.NoError(t, err)
	defer closeNow(t, p)
	for i := range 7 {
		p.Enqueue(0, i, 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	assert.EqualValues(t, 7, n.Load())
}

func TestFlushWaitsForEarlierItemsOnly(t *testing.T) {
	release := make(chan struct{})
	var handled atomic.Int64
	p, err := New(Config[int]{Classes: classes(), MinSenders: 1, MaxSenders: 4, StartSenders: 4,
		Handle: func(_ context.Context, _ int, items []int) Outcome {
			if items[0] == 1 {
				<-release
			}
			handled.Add(1)
			return Neutral
		}})
	require.NoError(t, err)
	defer closeNow(t, p)

	p.Enqueue(high, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	require.NoError(t, p.Flush(ctx), "item 0 is handled")
	cancel()

	p.Enqueue(high, 1, 1) // blocks in the handler
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	assert.ErrorIs(t, p.Flush(short), context.DeadlineExceeded)
	cancel()

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- p.Flush(ctx)
	}()
	select {
	case <-done:
		t.Fatal("flush returned while an earlier item was in flight")
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-done)
	assert.EqualValues(t, 2, handled.Load())
}

// Close while producers flood: every accepted item is handled or drained
// (an item in flight when Close gives up may be both: the caller settles
// it once, as the client does); enqueues after Close report Closed.
func TestCloseDuringFlood(t *testing.T) {
	var mu sync.Mutex
	settled := map[int]string{}
	settle := func(v int, how string) {
		mu.Lock()
		if _, ok := settled[v]; !ok {
			settled[v] = how
		}
		mu.Unlock()
	}
	p, err := New(Config[int]{Classes: classes(), MinSenders: 2, StartSenders: 2, MaxSenders: 8,
		Handle: func(_ context.Context, _ int, items []int) Outcome {
			time.Sleep(100 * time.Microsecond)
			for _, v := range items {
				settle(v, "handled")
			}
			return Healthy
		}})
	require.NoError(t, err)
	var accepted, closedSeen atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				switch p.Enqueue(g%2, g<<24|i, 10) {
				case Enqueued:
					accepted.Add(1)
				case Closed:
					closedSeen.Add(1)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_ = p.Close(ctx, func(_ int, v int, _ bool) { settle(v, "drained") })
	wg.Wait()
	assert.EqualValues(t, 4, closedSeen.Load())
	require.Eventually(t, func() bool { _, s := p.Len(); return s == 0 }, 2*time.Second, time.Millisecond)
	mu.Lock()
	assert.Len(t, settled, int(accepted.Load()), "every accepted item reached the handler or drain")
	mu.Unlock()
	items, _ := p.Len()
	assert.Zero(t, items)
}

// A handler stuck in user code does not hold Close past its deadline: its
// item is handed to drain as in flight, and the sender exits once the
// handler returns.
func TestCloseGivesUpOnStuckHandler(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	p, err := New(Config[int]{Classes: classes(), MinSenders: 1, MaxSenders: 1,
		Handle: func(ctx context.Context, _ int, items []int) Outcome {
			close(entered)
			<-release // ignores ctx, as hostile user code would
			return Neutral
		}})
	require.NoError(t, err)
	p.Enqueue(high, 42, 1)
	p.Enqueue(high, 43, 1)
	<-entered
	type drainedItem struct {
		v        int
		inFlight bool
	}
	var got []drainedItem
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.Close(ctx, func(_ int, v int, inFlight bool) { got = append(got, drainedItem{v, inFlight}) })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	assert.ElementsMatch(t, []drainedItem{{43, false}, {42, true}}, got)
	close(release)
	require.Eventually(t, func() bool { _, s := p.Len(); return s == 0 }, 2*time.Second, time.Millisecond)
}

// Release sees every handled item once, and never an item Close handed to
// its drain as in flight.
func TestReleaseSkipsAbandonedItems(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var mu sync.Mutex
	released := map[int]int{}
	p, err := New(Config[int]{Classes: classes(), MinSenders: 1, MaxSenders: 1,
		Handle: func(_ context.Context, _ int, items []int) Outcome {
			if items[0] == 99 {
				entered <- struct{}{}
				<-release
			}
			return Neutral
		},
		Release: func(v int) { mu.Lock(); released[v]++; mu.Unlock() }})
	require.NoError(t, err)
	for i := range 5 {
		p.Enqueue(high, i, 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	p.Enqueue(high, 99, 1)
	<-entered
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	var inFlight []int
	assert.ErrorIs(t, p.Close(short, func(_ int, v int, f bool) {
		if f {
			inFlight = append(inFlight, v)
		}
	}), context.DeadlineExceeded)
	assert.Equal(t, []int{99}, inFlight)
	close(release)
	require.Eventually(t, func() bool { _, s := p.Len(); return s == 0 }, 2*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[int]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1}, released)
}

// Full tells, without the lock, that an Enqueue would fail, for one class
// only, and stops telling it once a sender took an item.
func TestFullWithoutTheLock(t *testing.T) {
	gate := make(chan struct{})
	p, err := New(Config[int]{Classes: []Class{
		{Name: "error", MaxItems: 3, MaxBytes: 1 << 20},
		{Name: "log_item", Priority: 1, MaxItems: 3, MaxBytes: 1 << 20},
	}, MinSenders: 1, MaxSenders: 1, Handle: func(context.Context, int, []int) Outcome { <-gate; return Neutral }})
	require.NoError(t, err)
	require.Equal(t, Enqueued, p.Enqueue(0, 0, 1)) // the sender takes it and waits
	require.Eventually(t, func() bool { n, _ := p.ClassLen(0); return n == 0 }, time.Second, time.Millisecond)
	for i := range 3 {
		assert.False(t, p.Full(0))
		require.Equal(t, Enqueued, p.Enqueue(0, i+1, 1))
	}
	assert.True(t, p.Full(0))
	assert.Equal(t, 3, p.Waiting(0))
	assert.Zero(t, p.Waiting(1))
	assert.Equal(t, Full, p.Enqueue(0, 9, 1))
	assert.False(t, p.Full(1), "the other class has room")
	close(gate)
	require.Eventually(t, func() bool { return !p.Full(0) }, time.Second, time.Millisecond)
	closeNow(t, p)
}
