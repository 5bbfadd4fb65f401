package raven

import (
	"os"
	"path/filepath"
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
		{"one that looks like a batch", [][]byte{[]byte(spoolMagic + "1\nx\n")}},
		{"empty record", [][]byte{{}, env}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeRecords(tc.recs)
			if len(tc.recs) == 1 && tc.name == "one envelope is stored as itself" {
				assert.Equal(t, env, b)
			}
			got, err := decodeRecords(b)
			require.NoError(t, err)
			require.Len(t, got, len(tc.recs))
			for i := range got {
				assert.Equal(t, string(tc.recs[i]), string(got[i]))
			}
		})
	}
	for _, bad := range []string{"", spoolMagic, spoolMagic + "3\nab\n", spoolMagic + "-1\n\n", spoolMagic + "01\nx\n",
		spoolMagic + "1\nxy", spoolMagic + "99999999999\nx\n", spoolMagic + "1\nx"} {
		_, err := decodeRecords([]byte(bad))
		assert.ErrorIs(t, err, errBadRecords, "%q", bad)
	}
}

// FuzzOutboxFile feeds arbitrary bytes to the outbox's file reader, as a
// file on disk: it must classify every input as envelopes or as an error,
// never panic, and what it accepts must survive a rewrite.
func FuzzOutboxFile(f *testing.F) {
	env := &Envelope{Header: EnvelopeHeader{EventID: "0123456789abcdef0123456789abcdef", DSN: "http://k@h/1"},
		Items: []EnvelopeItem{{Type: ItemEvent, Payload: []byte(`{"message":"m"}`), Events: 1}}}
	one, err := env.Bytes()
	require.NoError(f, err)
	f.Add(one)
	f.Add(encodeRecords([][]byte{one, one}))
	f.Add([]byte(""))
	f.Add([]byte(spoolMagic + "5\nabc"))
	f.Add(one[:len(one)/2])
	dir := f.TempDir()
	sp := &spool{dir: dir}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "00000000000000000001-1-fuzz.env"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
		sf, busy, err := sp.claim(name)
		require.NoError(t, err)
		require.False(t, busy)
		defer sf.Close()
		b, err := sp.read(sf)
		require.NoError(t, err)
		recs, envs, err := decodeStored(b)
		if err != nil {
			return
		}
		require.Len(t, envs, len(recs))
		n := 0
		for _, e := range envs {
			require.Positive(t, e.EventCount())
			n += e.EventCount()
		}
		again, envs2, err := decodeStored(encodeRecords(recs))
		require.NoError(t, err)
		require.Len(t, again, len(recs))
		m := 0
		for _, e := range envs2 {
			m += e.EventCount()
		}
		require.Equal(t, n, m)
	})
}
