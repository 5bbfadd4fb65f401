//go:build !race

package ravenzerolog_test

const raceEnabled = false
