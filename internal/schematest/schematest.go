// Package schematest validates event JSON against Relay's event schema.
// The schema is a copy kept in testdata/sentry-event.schema.json (see
// testdata/README.md for its source and licence) and embedded, so tests
// pass in any checkout, wherever they run from. It is used by tests only.
package schematest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is the event schema the package validates against.
//
//go:embed testdata/sentry-event.schema.json
var SchemaJSON []byte

var (
	once   sync.Once
	schema *jsonschema.Schema
	err    error
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func load() {
	doc, e := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if e != nil {
		err = e
		return
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// The protocol's ids are 32 hex digits; the schema calls them "uuid".
	c.RegisterFormat(&jsonschema.Format{Name: "uuid", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok || hexID.MatchString(s) {
			return nil
		}
		return fmt.Errorf("%q is not a 32-hex id", s)
	}})
	if e := c.AddResource("sentry-event.schema.json", doc); e != nil {
		err = e
		return
	}
	schema, err = c.Compile("sentry-event.schema.json")
}

// Validate checks one event payload against the schema.
func Validate(payload []byte) error {
	once.Do(load)
	if err != nil {
		return err
	}
	v, e := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if e != nil {
		return fmt.Errorf("schematest: payload is not JSON: %w", e)
	}
	return schema.Validate(v)
}

// Check fails t when payload is not a valid event.
func Check(t testing.TB, payload []byte) {
	t.Helper()
	if err := Validate(payload); err != nil {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, payload, "", "  ")
		if pretty.Len() > 4000 {
			pretty.Truncate(4000)
		}
		t.Fatalf("event does not match the schema: %v\n%s", err, pretty.String())
	}
}
