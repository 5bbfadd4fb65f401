//go:build !race

package raven_test

const raceEnabled = false
