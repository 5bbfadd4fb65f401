// Command prog is the grouping corpus's program: it runs each of its bugs
// several times, with ids and paths that change every time, and reports
// them to the DSN in RAVEN_DSN with the tags bug, variant and occurrence.
// The test builds variants of this file: its PAD marks become blank lines
// (every line number shifts) and its EXTRA marks become closures (every
// closure after them is renumbered).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven"
)

//PAD

type bug struct {
	name string
	run  func(ctx context.Context, id int) error
}

func main() {
	c, err := raven.New(raven.WithDSN(os.Getenv("RAVEN_DSN")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raven.SetDefault(c)
	occurrences, _ := strconv.Atoi(os.Getenv("OCCURRENCES"))
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	ctx := context.Background()
	all := bugs()
	for _, b := range all {
		//EXTRA
		for k := range occurrences {
			id := seed*7919 + k*104729 + len(b.name)*31
			report(ctx, b, k, id)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(all)) // the test waits for len(all)*occurrences events
}

// report runs one occurrence of b in a scope of its own.
func report(ctx context.Context, b bug, k, id int) {
	ctx = raven.WithScope(ctx)
	s := raven.ScopeFromContext(ctx)
	s.SetTag("bug", b.name)
	s.SetTag("variant", os.Getenv("VARIANT"))
	s.SetTag("occurrence", strconv.Itoa(k))
	//EXTRA
	defer raven.RecoverContext(ctx)
	if err := b.run(ctx, id); err != nil {
		raven.CaptureExceptionContext(ctx, err)
	}
}

// capture reports err where the bug handles it, as a handler would: the
// capture site's stack is the bug's.
func capture(ctx context.Context, err error) error {
	if err != nil {
		raven.CaptureExceptionContext(ctx, err)
	}
	return nil
}

//PAD

func bugs() []bug {
	return []bug{
		{"nil-map-in-closure", nilMapInClosure},
		{"index-in-nested-closure", indexInNestedClosure},
		{"nil-deref-in-method", func(ctx context.Context, id int) error { var s *store; return s.get(id) }},
		{"method-value", methodValue},
		{"generic-check", genericCheck},
		{"eof-wrapped", readHeader},
		{"deadline", callPayments},
		{"file-not-found", loadConfig},
		{"order-not-found", findOrder},
		{"pkg-errors-wrap", chargeCard},
		{"join", validateBatch},
		{"custom-error-type", validateUser},
		{"panic-string", func(ctx context.Context, id int) error { explode(id); return nil }},
		{"panic-struct", func(ctx context.Context, id int) error { panic(point{id, -id}) }},
		{"type-assertion", func(ctx context.Context, id int) error { return assertCount(strconv.Itoa(id)) }},
		{"divide-by-zero", func(ctx context.Context, id int) error { return average(id, 0) }},
		{"closed-channel", sendOnClosed},
		{"goroutine-panic", inGoroutine},
		{"deferred-panic", deferredPanic},
		{"range-func-body", rangeBody},
		{"factory-closure", func(ctx context.Context, id int) error { return makeHandler(ctx, "orders")(id) }},
		{"parse-int", func(ctx context.Context, id int) error { return parseQuantity(ctx, "q"+strconv.Itoa(id)) }},
	}
}

//PAD

func nilMapInClosure(ctx context.Context, id int) error {
	var cache map[string]int
	//EXTRA
	set := func(k string) { cache[k] = id }
	set("/orders/" + strconv.Itoa(id))
	return nil
}

func indexInNestedClosure(ctx context.Context, id int) error {
	items := []int{1, 2, 3}
	//EXTRA
	outer := func() int {
		//EXTRA
		inner := func(i int) int { return items[i] }
		return inner(id % 7919)
	}
	_ = outer()
	return nil
}

type store struct{ rows map[int]string }

//PAD

func (s *store) get(id int) error {
	if s.rows[id] == "" {
		return fmt.Errorf("row %d missing", id)
	}
	return nil
}

type service struct {
	ctx  context.Context
	name string
}

func (s *service) handle(id int) error {
	return capture(s.ctx, fmt.Errorf("%s: request %d rejected: %w", s.name, id, errors.ErrUnsupported))
}

func methodValue(ctx context.Context, id int) error {
	s := &service{ctx: ctx, name: "svc-" + strconv.Itoa(id)}
	var h func(int) error = s.handle
	return call(h, id)
}

//go:noinline
func call(f func(int) error, id int) error { return f(id) }

// genericCheck finds the same bad item through instantiations of
// checkAll for different types, depending on the id.
func genericCheck(ctx context.Context, id int) error {
	if id%2 == 0 {
		return checkAll(ctx, []int{id, -id})
	}
	return checkAll(ctx, []string{strconv.Itoa(id), ""})
}

type number interface{ ~int | ~string }

func checkAll[T number](ctx context.Context, xs []T) error {
	var zero T
	for i, x := range xs {
		//EXTRA
		if x == zero || fmt.Sprint(x)[0] == '-' {
			return capture(ctx, fmt.Errorf("item %d of %d invalid: %v", i, len(xs), x))
		}
	}
	return nil
}

//PAD

func readHeader(ctx context.Context, id int) error {
	r := strings.NewReader("")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(r, buf[:0+4]); err != nil {
		return capture(ctx, fmt.Errorf("read header of /var/data/%d.bin: %w", id, io.ErrUnexpectedEOF))
	}
	return nil
}

func callPayments(ctx context.Context, id int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	return capture(ctx, fmt.Errorf("payment %d: %w", id, ctx.Err()))
}

func loadConfig(ctx context.Context, id int) error {
	_, err := os.Open(fmt.Sprintf("/nonexistent/tenant-%d/config.yaml", id))
	return capture(ctx, err)
}

func findOrder(ctx context.Context, id int) error {
	return capture(ctx, fmt.Errorf("order %d not found", id))
}

//PAD

func chargeCard(ctx context.Context, id int) error {
	err := pkgerrors.Errorf("card %d declined", id)
	return capture(ctx, pkgerrors.Wrapf(err, "charge customer %d", id*3))
}

func validateBatch(ctx context.Context, id int) error {
	return capture(ctx, errors.Join(fmt.Errorf("line %d: empty sku", id), fmt.Errorf("line %d: negative quantity", id+1)))
}

type validationError struct {
	field string
	value int
}

func (e *validationError) Error() string { return fmt.Sprintf("invalid %s: %d", e.field, e.value) }

func validateUser(ctx context.Context, id int) error {
	//EXTRA
	return capture(ctx, &validationError{field: "age", value: -id})
}

//PAD

func explode(id int) { panic("exploded while handling " + strconv.Itoa(id)) }

type point struct{ X, Y int }

func assertCount(v any) error {
	n := v.(int)
	_ = n
	return nil
}

//go:noinline
func average(sum, n int) error {
	_ = sum / n
	return nil
}

func sendOnClosed(ctx context.Context, id int) error {
	ch := make(chan int, 1)
	close(ch)
	//EXTRA
	send := func() { ch <- id }
	send()
	return nil
}

func inGoroutine(ctx context.Context, id int) error {
	done := make(chan struct{})
	raven.Go(ctx, func(ctx context.Context) {
		defer close(done)
		//EXTRA
		var m map[int]bool
		//lint:ignore SA5000 the bug this program reports
		m[id] = true
	})
	<-done
	return nil
}

//PAD

func deferredPanic(ctx context.Context, id int) (err error) {
	//EXTRA
	defer func() {
		if id != 0 {
			panic(fmt.Sprintf("cleanup of %d failed", id))
		}
	}()
	return nil
}

func lines(n int) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func rangeBody(ctx context.Context, id int) error {
	for i := range lines(3) {
		//EXTRA
		if i == 2 {
			return capture(ctx, fmt.Errorf("line %d of document %d unreadable", i, id))
		}
	}
	return nil
}

func makeHandler(ctx context.Context, prefix string) func(int) error {
	//EXTRA
	return func(id int) error {
		return capture(ctx, fmt.Errorf("%s/%d: handler failed", prefix, id))
	}
}

func parseQuantity(ctx context.Context, s string) error {
	_, err := strconv.Atoi(s)
	return capture(ctx, err)
}
