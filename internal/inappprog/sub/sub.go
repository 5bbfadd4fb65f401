// Package sub gives inappprog a frame in a second package of the main
// module.
package sub

import "sort"

// Do calls f from inside a standard-library callback, so the stack mixes
// application and standard-library frames.
func Do(f func()) {
	s := []int{2, 1}
	done := false
	sort.Slice(s, func(i, j int) bool {
		if !done {
			done = true
			f()
		}
		return s[i] < s[j]
	})
}
