package stack

import "strings"

// NormalizeFunction returns a function's name (without its package, as
// SplitSymbol gives it) in a form that stays the same across builds of the
// same code, so that a server grouping by function name keeps one bug in
// one group when code is added around it:
//
//   - closures lose their numbers, which the compiler assigns in source
//     order and renumbers when a closure is added before them:
//     "handler.func2" becomes "handler.func", the nested "handler.func1.3"
//     "handler.func.func", and the copy of a closure inlined with its
//     function ("handler.makeHandler.1") "handler.makeHandler.func"; go
//     and defer statement wrappers ("main.gowrap1", "deferwrap2") and
//     range-over-func loop bodies ("main-range1") likewise;
//   - generic instantiations show "[...]" whatever their brackets held
//     (shape names such as "[go.shape.int]" change with the type
//     arguments);
//   - method values lose the "-fm" suffix of their wrapper.
//
// It returns fn itself when nothing changes. Two closures of one function
// get the same name; the module, the other frames and the exception type
// still tell most bugs apart.
func NormalizeFunction(fn string) string {
	if !strings.ContainsAny(fn, "0123456789[-") || !balanced(fn) {
		return fn // nothing to do, or not a name the toolchain made
	}
	var b strings.Builder
	b.Grow(len(fn))
	for i := 0; i < len(fn); {
		// one element: up to the next '.' outside brackets
		j, depth := i, 0
		for ; j < len(fn); j++ {
			switch fn[j] {
			case '[':
				depth++
			case ']':
				depth--
			}
			if fn[j] == '.' && depth <= 0 {
				break
			}
		}
		if i > 0 {
			b.WriteByte('.')
		}
		writeElement(&b, fn[i:j], i > 0)
		i = j + 1
		if j == len(fn)-1 { // a trailing dot
			b.WriteByte('.')
		}
	}
	if b.Len() == len(fn) && b.String() == fn {
		return fn
	}
	return b.String()
}

// writeElement writes one dot-separated element of a function name,
// normalized. A number that is not the first element is a closure's: the
// compiler names nested closures ("func1.2") and the copies of closures
// inlined with their function ("makeHandler.1") so.
func writeElement(b *strings.Builder, e string, notFirst bool) {
	if notFirst && allDigits(e) {
		b.WriteString("func")
		return
	}
	for k := 0; ; k++ {
		part, rest, more := strings.Cut(e, "-")
		e = rest
		switch {
		case k == 0:
			for _, prefix := range closurePrefixes {
				if p, ok := strings.CutPrefix(part, prefix); ok && allDigits(p) {
					part = prefix
					break
				}
			}
			writeBrackets(b, part)
		case part == "fm": // method value wrapper
		case strings.HasPrefix(part, "range") && allDigits(part[len("range"):]):
			b.WriteString("-range")
		default:
			b.WriteByte('-')
			writeBrackets(b, part)
		}
		if !more {
			return
		}
	}
}

// closurePrefixes are the names the compiler gives function literals and
// the wrappers of go and defer statements, followed by a number.
var closurePrefixes = [...]string{"func", "gowrap", "deferwrap"}

// writeBrackets writes s with whatever its outermost brackets hold
// replaced by "...".
func writeBrackets(b *strings.Builder, s string) {
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[':
			if depth == 0 {
				b.WriteString("[...")
			}
			depth++
		case c == ']' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(']')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
}

// balanced reports whether every '[' of s is closed, in order.
func balanced(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isClosure reports whether fn names a function literal (or a go or defer
// statement's wrapper, or a range-over-func loop body). Only these can be
// named after another package's function: when the compiler inlines a
// function holding a closure, the closure's copy is named after the
// function it was inlined into ("handler.Run.func1" in package main for a
// closure of example.com/lib.Run, or "handler.Run.1"), while its file
// stays the library's.
func isClosure(fn string) bool {
	for i := 0; i < len(fn); i++ {
		var rest string
		switch fn[i] {
		case '.':
			rest = fn[i+1:]
			if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				return true // "makeHandler.1", "func1.2"
			}
		case '-':
			rest = fn[i+1:]
			if p, ok := strings.CutPrefix(rest, "range"); ok && p != "" && p[0] >= '0' && p[0] <= '9' {
				return true
			}
			continue
		default:
			continue
		}
		for _, prefix := range closurePrefixes {
			if p, ok := strings.CutPrefix(rest, prefix); ok && p != "" && p[0] >= '0' && p[0] <= '9' {
				return true
			}
		}
	}
	return false
}

// IsRuntime reports whether pkg is the runtime or one of its internal
// packages (internal/runtime/maps, ...): the frames that sit on top of a
// panic's stack when the runtime raised it (gopanic, panicmem,
// panicIndex, mapassign_faststr, sigpanic, goPanicIndex...).
func IsRuntime(pkg string) bool {
	return pkg == "runtime" || hasPathPrefix(pkg, "internal/runtime")
}
