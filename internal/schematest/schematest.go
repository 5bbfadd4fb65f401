// Package schematest validates event JSON against Relay's event schema,
// read from ../shared/protocol/sentry-event.schema.json beside the
// repository root. It is used by tests only.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	once   sync.Once
	schema *jsonschema.Schema
	err    error
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Path finds the schema file by walking up from the working directory to
// the repository root (the directory holding go.work or .git) and looking
// in ../shared/protocol.
func Path() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "..", "shared", "protocol", "sentry-event.schema.json")
		if _, err := os.Stat(p); err == nil {
			if _, e1 := os.Stat(filepath.Join(dir, "go.work")); e1 == nil {
				return p, nil
			}
			if _, e2 := os.Stat(filepath.Join(dir, ".git")); e2 == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("schematest: ../shared/protocol/sentry-event.schema.json not found above the working directory")
		}
		dir = parent
	}
}

func load() {
	p, e := Path()
	if e != nil {
		err = e
		return
	}
	f, e := os.Open(p)
	if e != nil {
		err = e
		return
	}
	defer f.Close()
	doc, e := jsonschema.UnmarshalJSON(f)
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
