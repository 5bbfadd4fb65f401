package raven_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFingerprintRateLimit(t *testing.T) {
	c, rec := newClient(t, raven.WithFingerprintRateLimit(0.001, 5))
	for i := 0; i < 50; i++ {
		c.CaptureException(errors.New("same failure, again and again"))
	}
	for i := 0; i < 10; i++ {
		c.CaptureException(fmt.Errorf("distinct failure %d", i))
	}
	flush(t, c)
	st := c.Stats()
	assert.Equal(t, uint64(45), st.Dropped[raven.DropRateLimit], "only the burst of the repeated error passes")
	assert.Equal(t, uint64(15), st.Delivered)
	require.Len(t, rec.events(t), 15)
	assert.Equal(t, st.Captured, st.Delivered+st.DroppedTotal())
}
