package main

import (
	"fmt"
	"strconv"
	"strings"
)

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmtThousands(int64(v + 0.5))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func fmtThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(a, b float64) string {
	if b == 0 {
		if a == 0 {
			return "—"
		}
		return "∞"
	}
	r := a / b
	switch {
	case a == 0:
		return "0"
	case r < 0:
		return "—" // an overhead within noise of the baseline
	}
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	if r >= 0.1 {
		return fmt.Sprintf("%.2fx", r)
	}
	return fmt.Sprintf("1/%.0f", 1/r)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
