package schematest_test

import (
	"testing"

	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
)

// TestValidateUsesTheEmbeddedCopy runs from the package directory, where no
// shared protocol folder is looked for: the schema comes from the copy
// embedded in the package.
func TestValidateUsesTheEmbeddedCopy(t *testing.T) {
	assert.NotEmpty(t, schematest.SchemaJSON)
	tests := []struct {
		name    string
		payload string
		valid   bool
	}{
		{"minimal event", `{"event_id":"0123456789abcdef0123456789abcdef","timestamp":1700000000.5,"platform":"go"}`, true},
		{"dashed id", `{"event_id":"01234567-89ab-cdef-0123-456789abcdef"}`, true},
		{"unknown top-level field", `{"event_id":"0123456789abcdef0123456789abcdef","not_a_field":1}`, false},
		{"bad id", `{"event_id":"xyz"}`, false},
		{"not json", `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schematest.Validate([]byte(tt.payload))
			if tt.valid {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
