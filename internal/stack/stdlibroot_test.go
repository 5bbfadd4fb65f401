package stack

import (
	"runtime"
	"testing"
)

func TestStdlibRootMatchesGOROOT(t *testing.T) {
	//lint:ignore SA1019 the value stdlibRoot stands in for, in a test built on this machine
	want := runtime.GOROOT()
	if got := stdlibRoot(); got != want {
		t.Fatalf("stdlibRoot() = %q, GOROOT = %q", got, want)
	}
}
