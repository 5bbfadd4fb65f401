package ravenzerolog

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFindToken(t *testing.T) {
	cases := []struct {
		name, line, want string
		id               uint64
		found            bool
	}{
		{"after fields", `{"level":"info","_raven":12,"message":"m"}`, `{"level":"info","message":"m"}`, 12, true},
		{"last field", `{"level":"info","_raven":7}`, `{"level":"info"}`, 7, true},
		{"first field", `{"_raven":3,"message":"m"}`, `{"message":"m"}`, 3, true},
		{"only field", `{"_raven":3}`, `{}`, 3, true},
		{"none", `{"level":"info","message":"m"}`, "", 0, false},
		{"quoted in a value", `{"message":"\"_raven\":4"}`, "", 0, false},
		{"not a number", `{"level":"info","_raven":"x"}`, "", 0, false},
		{"no end", `{"level":"info","_raven":5`, "", 0, false},
		{"too large", `{"level":"info","_raven":99999999999999999999999}`, "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := []byte(tc.line)
			i, j, id, ok := findToken(p)
			assert.Equal(t, tc.found, ok)
			if ok {
				assert.Equal(t, tc.id, id)
				assert.Equal(t, tc.want, string(p[:i])+string(p[j:]))
			}
		})
	}
}
