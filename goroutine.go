package raven

import "context"

// GoOption configures Go.
type GoOption func(*goConfig)

type goConfig struct{ repanic bool }

// GoRepanic makes Go panic again after reporting (and waiting up to
// DefaultRepanicFlushTimeout for delivery), so the process still crashes.
func GoRepanic() GoOption { return func(c *goConfig) { c.repanic = true } }

// Go runs f in a new goroutine with its own scope, forked from the one ctx
// carries. A panic in f is reported (mechanism panic, handled false) and,
// unless GoRepanic is given, stops there instead of crashing the process.
func Go(ctx context.Context, f func(ctx context.Context), opts ...GoOption) {
	var cfg goConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctx = WithScope(ctx)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s := ScopeFromContext(ctx)
				s.client.capturePanic(ctx, s, v, 1)
				if cfg.repanic {
					fctx, cancel := context.WithTimeout(context.Background(), DefaultRepanicFlushTimeout)
					_ = s.client.Flush(fctx)
					cancel()
					panic(v)
				}
			}
		}()
		f(ctx)
	}()
}
