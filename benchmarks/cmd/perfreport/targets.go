package main

import (
	"fmt"
)

type target struct {
	what, measured string
	met            bool
	known          bool
}

func (r *Report) targets() []target {
	var ts []target
	add := func(what string, known, met bool, measured string) {
		if !known {
			measured = "no results"
		}
		ts = append(ts, target{what: what, measured: measured, met: met, known: known})
	}
	rn, ok1 := r.get("CaptureException", "raven", "ns/op")
	sn, ok2 := r.get("CaptureException", "sentry-go", "ns/op")
	add("Scenario 1: raven ≤ 1/5 of sentry-go's ns/op", ok1 && ok2, rn*5 <= sn, fmt.Sprintf("%s vs %s ns/op (%s)", num(rn), num(sn), ratio(rn, sn)))
	ra, ok1 := r.get("CaptureException", "raven", "allocs/op")
	sa, ok2 := r.get("CaptureException", "sentry-go", "allocs/op")
	add("Scenario 1: raven ≤ 1/4 of sentry-go's allocs/op", ok1 && ok2, ra*4 <= sa, fmt.Sprintf("%s vs %s allocs/op (%s)", num(ra), num(sa), ratio(ra, sa)))
	re, reOK := r.get("DeliverHTTP", "raven", "events/s")
	se, ok2 := r.get("DeliverHTTP", "sentry-go", "events/s")
	add("Scenario 2: raven ≥ 2x sentry-go's delivered events/s", reOK && ok2, re >= 2*se, fmt.Sprintf("%s vs %s events/s (%s)", num(re), num(se), ratio(re, se)))
	if ng, ok := r.get("DeliverHTTP", "raven-nogzip", "events/s"); ok {
		add("Scenario 2, for reference: raven with WithGzip(false) ≥ 2x", ok && se > 0, ng >= 2*se,
			fmt.Sprintf("%s vs %s events/s (%s)", num(ng), num(se), ratio(ng, se)))
	}
	rl, ok1 := r.get("DeliverHTTPLatency", "raven", "events/s")
	sl, ok2 := r.get("DeliverHTTPLatency", "sentry-go", "events/s")
	add("Scenario 2 with a 1 ms round trip (2c): raven ≥ 2x sentry-go's delivered events/s", ok1 && ok2, rl >= 2*sl,
		fmt.Sprintf("%s vs %s events/s (%s)", num(rl), num(sl), ratio(rl, sl)))
	measured := fmt.Sprintf("%s events/s", num(re))
	best, bestN := 0.0, 0
	for _, n := range []int{1, 4, 16} {
		if h, ok := r.get("DeliverHTTP", fmt.Sprintf("nethttp-x%d", n), "events/s"); ok && h > best {
			best, bestN = h, n
		}
	}
	if bestN > 0 {
		measured += fmt.Sprintf("; HTTP alone, no SDK, at best (%d goroutines): %s events/s", bestN, num(best))
	}
	add("Delivery: ≥ 20,000 events/s from capture to delivered, loopback, gzip (2b)", reOK, re >= 20000, measured)
	if r.Burst != nil {
		for _, b := range r.Burst.Results {
			if b.SDK == "raven" {
				add(fmt.Sprintf("Burst: raven delivers all %d", b.Captured), true, b.Delivered == b.Captured,
					fmt.Sprintf("%d of %d delivered", b.Delivered, b.Captured))
			}
		}
	} else {
		add("Burst: raven delivers all", false, false, "no burst results")
	}
	for _, scen := range []string{"Middleware", "MiddlewarePanic"} {
		base, okb := r.get(scen, "baseline", "ns/op")
		rm, ok1 := r.get(scen, "raven", "ns/op")
		sm, ok2 := r.get(scen, "sentry-go", "ns/op")
		ro, so := rm-base, sm-base
		add(fmt.Sprintf("Scenario 4 (%s): raven's overhead ≤ 1/3 of sentry-go's", scen), okb && ok1 && ok2, ro*3 <= so,
			fmt.Sprintf("%s vs %s ns of overhead (%s)", num(ro), num(so), ratio(ro, so)))
	}
	for _, scen := range []string{"Gin", "Echo", "Fiber", "FastHTTP", "GRPCUnaryInterceptor", "GRPCUnary",
		"Logrus/breadcrumb", "Logrus/event", "Zap/breadcrumb", "Zap/event", "Zerolog/breadcrumb", "Zerolog/event"} {
		base, okb := r.get(scen, "baseline", "ns/op")
		rm, ok1 := r.get(scen, "raven", "ns/op")
		ref, name := reference(r.Med[scen])
		if !ok1 {
			continue
		}
		sm, ok2 := ref["ns/op"]
		against := "the official integration's"
		if name == manualRow {
			against = "sentry-go's documented manual setup's"
		}
		ro, so := rm-base, sm-base
		measured := fmt.Sprintf("%s vs %s ns added (%s)", num(ro), num(so), ratio(ro, so))
		if so <= 0 || ro < 0 {
			// a cost within the noise of the baseline (a whole call over
			// the network): no ratio can be read
			measured = fmt.Sprintf("raven %.0f ns, reference %.0f ns added: within the baseline's noise, no ratio", ro, so)
		}
		add(fmt.Sprintf("Integration %s: raven's added cost ≤ 1/5 of %s", scen, against), okb && ok1 && ok2,
			so > 0 && ro >= 0 && ro*5 <= so, measured)
	}
	rg, ok := r.get("Disabled", "raven", "goroutines")
	add("Scenario 5: raven starts 0 goroutines", ok, rg == 0, fmt.Sprintf("%s goroutines", num(rg)))
	if r.SDK != nil {
		// the caller's cost alone: the sub-benchmark whose sender is held
		var c map[string]float64
		ok := false
		for _, name := range []string{"caller_side,_sender_blocked", "caller_side", ""} {
			if c, ok = r.SDK["CaptureException"][name]; ok {
				break
			}
		}
		add("SDK: root BenchmarkCaptureException ≤ 3 µs and ≤ 10 allocs on the caller's goroutine", ok,
			c["ns/op"] <= 3000 && c["allocs/op"] <= 10, fmt.Sprintf("%s ns/op, %s allocs/op", num(c["ns/op"]), num(c["allocs/op"])))
		bare, ok1 := r.SDK["Middleware"]["baseline"]
		mw, ok2 := r.SDK["Middleware"]["ravenhttp"]
		o, oa := mw["ns/op"]-bare["ns/op"], mw["allocs/op"]-bare["allocs/op"]
		add("SDK: ravenhttp adds ≤ 1 µs and ≤ 3 allocs to a request (integrations/http BenchmarkMiddleware)", ok1 && ok2,
			o <= 1000 && oa <= 3, fmt.Sprintf("%s ns and %s allocs added", num(o), num(oa)))
	}
	return ts
}
