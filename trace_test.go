package raven_test

import (
	"fmt"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContinueTrace(t *testing.T) {
	const trace, span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	yes, no := true, false
	for _, tc := range []struct {
		name, sentry, parent string
		want                 *raven.TraceContext // SpanID not compared
	}{
		{"sentry sampled", trace + "-" + span + "-1", "", &raven.TraceContext{TraceID: trace, ParentSpanID: span, Sampled: &yes}},
		{"sentry not sampled", trace + "-" + span + "-0", "", &raven.TraceContext{TraceID: trace, ParentSpanID: span, Sampled: &no}},
		{"sentry deferred", " " + trace + "-" + span + " ", "", &raven.TraceContext{TraceID: trace, ParentSpanID: span}},
		{"traceparent sampled", "", "00-" + trace + "-" + span + "-01", &raven.TraceContext{TraceID: trace, ParentSpanID: span, Sampled: &yes}},
		{"traceparent other flags", "", "00-" + trace + "-" + span + "-02", &raven.TraceContext{TraceID: trace, ParentSpanID: span, Sampled: &no}},
		{"sentry wins", trace + "-" + span, "00-" + "1" + trace[1:] + "-" + span + "-01", &raven.TraceContext{TraceID: trace, ParentSpanID: span}},
		{"bad sentry falls back", "xyz-" + span, "00-" + trace + "-" + span + "-01", &raven.TraceContext{TraceID: trace, ParentSpanID: span, Sampled: &yes}},
		{"upper case", "0AF7651916CD43DD8448EB211C80319C-" + span, "", nil},
		{"short trace", trace[:31] + "-" + span, "", nil},
		{"extra parts", trace + "-" + span + "-1-x", "", nil},
		{"zero trace", "", "00-" + "00000000000000000000000000000000" + "-" + span + "-01", nil},
		{"zero parent", "", "00-" + trace + "-0000000000000000-01", nil},
		{"version ff", "", "ff-" + trace + "-" + span + "-01", nil},
		{"traceparent parts", "", "00-" + trace + "-" + span, nil},
		{"none", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := raven.ContinueTrace(tc.sentry, tc.parent)
			if tc.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Len(t, got.SpanID, 16)
			assert.NotEqual(t, tc.want.ParentSpanID, got.SpanID)
			got.SpanID = ""
			assert.Equal(t, tc.want, got)
		})
	}
	a, b := raven.ContinueTrace(trace+"-"+span, ""), raven.ContinueTrace(trace+"-"+span, "")
	assert.NotEqual(t, a.SpanID, b.SpanID, "each request gets its own span")
}

func ExampleContinueTrace() {
	// The headers of an incoming request, as an integration reads them.
	tc := raven.ContinueTrace("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1", "")
	fmt.Println(tc.TraceID, tc.ParentSpanID, *tc.Sampled, len(tc.SpanID))
	// Output: 0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 true 16
}
