package spool

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpoolRecords(t *testing.T) {
	env := []byte("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\",\"length\":2}\n{}\n")
	tests := []struct {
		name string
		recs [][]byte
	}{
		{"one envelope is stored as itself", [][]byte{env}},
		{"several", [][]byte{env, env, []byte("x")}},
		{"one that looks like a batch", [][]byte{[]byte(Magic + "1\nx\n")}},
		{"empty record", [][]byte{{}, env}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeRecords(tc.recs)
			if len(tc.recs) == 1 && tc.name == "one envelope is stored as itself" {
				assert.Equal(t, env, b)
			}
			got, err := DecodeRecords(b)
			require.NoError(t, err)
			require.Len(t, got, len(tc.recs))
			for i := range got {
				assert.Equal(t, string(tc.recs[i]), string(got[i]))
			}
		})
	}
	for _, bad := range []string{"", Magic, Magic + "3\nab\n", Magic + "-1\n\n", Magic + "01\nx\n",
		Magic + "1\nxy", Magic + "99999999999\nx\n", Magic + "1\nx"} {
		_, err := DecodeRecords([]byte(bad))
		assert.ErrorIs(t, err, ErrBadRecords, "%q", bad)
	}
}
