package outbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/spool"
	"github.com/stretchr/testify/require"
)

// FuzzOutboxFile feeds arbitrary bytes to the outbox's file reader, as a
// file on disk: it must classify every input as envelopes or as an error,
// never panic, and what it accepts must survive a rewrite.
func FuzzOutboxFile(f *testing.F) {
	env := &protocol.Envelope{Header: protocol.EnvelopeHeader{EventID: "0123456789abcdef0123456789abcdef", DSN: "http://k@h/1"},
		Items: []protocol.EnvelopeItem{{Type: protocol.ItemEvent, Payload: []byte(`{"message":"m"}`), Events: 1}}}
	one, err := env.Bytes()
	require.NoError(f, err)
	f.Add(one)
	f.Add(spool.EncodeRecords([][]byte{one, one}))
	f.Add([]byte(""))
	f.Add([]byte(spool.Magic + "5\nabc"))
	f.Add(one[:len(one)/2])
	dir := f.TempDir()
	sp := &spool.Dir{Path: dir}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "00000000000000000001-1-fuzz.env"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
		sf, busy, err := sp.Claim(name)
		require.NoError(t, err)
		require.False(t, busy)
		defer sf.Close()
		b, err := sp.Read(sf)
		require.NoError(t, err)
		recs, envs, err := DecodeStored(b)
		if err != nil {
			return
		}
		require.Len(t, envs, len(recs))
		n := 0
		for _, e := range envs {
			require.Positive(t, e.EventCount())
			n += e.EventCount()
		}
		again, envs2, err := DecodeStored(spool.EncodeRecords(recs))
		require.NoError(t, err)
		require.Len(t, again, len(recs))
		m := 0
		for _, e := range envs2 {
			m += e.EventCount()
		}
		require.Equal(t, n, m)
	})
}
