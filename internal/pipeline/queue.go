package pipeline

import (
	"sync/atomic"
	"time"
)

// Class describes the buffer of one kind of telemetry.
type Class struct {
	// Name is the data category the class counts under (client reports,
	// rate limits), e.g. "error" or "log_item".
	Name string
	// Priority orders classes: senders take from the ready class with the
	// lowest value first.
	Priority int
	// MaxItems and MaxBytes bound what waits in the class; an Enqueue that
	// would pass either fails with Full. An item larger than MaxBytes is
	// accepted only into an empty class.
	MaxItems, MaxBytes int
	// Batch > 1 makes the handler receive up to Batch items (and up to
	// BatchBytes bytes, when > 0) at once.
	Batch, BatchBytes int
	// Linger is how long a partial batch waits for more items.
	Linger time.Duration
	// HighWater > 0: an Enqueue that leaves more than HighWater items
	// waiting yields the processor (runtime.Gosched) before it returns, so
	// that goroutines capturing in a tight loop leave the senders CPU to
	// drain what they queue.
	HighWater int
}

type entry[T any] struct {
	v    T
	size int
	seq  uint64
	at   time.Time // enqueue time, kept for batched classes only
}

type queue[T any] struct {
	Class
	buf     []entry[T]
	head, n int
	bytes   int
	// full mirrors n >= MaxItems, and count mirrors n, for readers
	// without the lock (Full, Waiting).
	full  atomic.Bool
	count atomic.Int64
}

func (q *queue[T]) push(e entry[T]) {
	if q.n == len(q.buf) {
		size := min(max(16, 2*len(q.buf)), max(q.MaxItems, 1))
		nb := make([]entry[T], size)
		for i := range q.n {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
	q.count.Store(int64(q.n))
	q.bytes += e.size
	if q.n >= q.MaxItems {
		q.full.Store(true)
	}
}

func (q *queue[T]) pop() entry[T] {
	e := q.buf[q.head]
	q.buf[q.head] = entry[T]{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	q.count.Store(int64(q.n))
	q.bytes -= e.size
	if q.n < q.MaxItems {
		q.full.Store(false)
	}
	return e
}

func (q *queue[T]) batched() bool { return q.Batch > 1 }

// due is when the class's partial batch must go (zero when not batched or
// empty).
func (q *queue[T]) due() time.Time {
	if q.n == 0 || !q.batched() {
		return time.Time{}
	}
	return q.buf[q.head].at.Add(q.Linger)
}
