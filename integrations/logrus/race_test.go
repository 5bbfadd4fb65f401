//go:build race

package ravenlogrus_test

const raceEnabled = true
