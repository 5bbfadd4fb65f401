//go:build race

package ravengrpc_test

const raceEnabled = true
