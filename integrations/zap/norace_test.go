//go:build !race

package ravenzap_test

const raceEnabled = false
