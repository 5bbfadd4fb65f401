package protocol

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventJSONValidatesAgainstSchema checks a complete event and a
// captured one against Relay's schema.
func TestEventJSONValidatesAgainstSchema(t *testing.T) {
	b, err := fullEvent().MarshalJSON()
	require.NoError(t, err)
	schematest.Check(t, b)
	b, err = captureBenchEvent(t).MarshalJSON()
	require.NoError(t, err)
	schematest.Check(t, b)
}

// TestEventJSONEmptyListsAreArrays checks that exception, thread and
// breadcrumb lists without values are written as empty arrays, which the
// schema accepts, and not as null, which it does not.
func TestEventJSONEmptyListsAreArrays(t *testing.T) {
	ev := &Event{EventID: "0123456789abcdef0123456789abcdef", Timestamp: jsonTS, Platform: "go",
		Exception: &ExceptionList{}, Threads: &ThreadList{}, Breadcrumbs: &BreadcrumbList{}}
	b, err := ev.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"exception":{"values":[]}`)
	assert.Contains(t, string(b), `"threads":{"values":[]}`)
	assert.Contains(t, string(b), `"breadcrumbs":{"values":[]}`)
	schematest.Check(t, b)
}

// TestEventJSONFloatFormat checks appendFloat against encoding/json around
// the points where it switches to exponents.
func TestEventJSONFloatFormat(t *testing.T) {
	vals := []float64{0, 1, -1, 0.1, 1e-6, 1e-7, 9.99999e-7, 1e20, 1e21, 9.99999999e20, 1.5e300, 5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.SmallestNonzeroFloat32, 123456789.125}
	for _, v := range vals {
		for _, f := range []float64{v, -v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1))} {
			if math.IsInf(f, 0) {
				continue
			}
			xs := []any{f}
			if !math.IsInf(float64(float32(f)), 0) {
				xs = append(xs, float32(f))
			}
			for _, x := range xs {
				want, err := json.Marshal(x)
				require.NoError(t, err)
				got, err := appendValue(nil, x, 0)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got), "%T %v", x, x)
			}
		}
	}
	for _, x := range []any{math.NaN(), math.Inf(1), math.Inf(-1), float32(math.NaN()), float32(math.Inf(-1))} {
		_, want := json.Marshal(x)
		require.Error(t, want)
		got, err := appendValue(nil, x, 0)
		assert.Nil(t, got)
		assert.EqualError(t, err, want.Error())
	}
}
