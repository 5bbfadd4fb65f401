// Package lib holds functions small enough for the compiler to inline into
// their callers, with closures inside: the closures' copies are named
// after the caller's function, in the caller's package.
package lib

// Run calls f from a closure of its own.
func Run(f func()) {
	h := func() { f() }
	h()
}

// Wrap returns a closure that calls f: once inlined, nothing of lib's is
// left on the stack but the closure's copy.
func Wrap(f func() error) func() error {
	return func() error { return f() }
}
