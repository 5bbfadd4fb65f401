//go:build race

package raven_test

const raceEnabled = true
