package raven

import (
	"encoding/json"
	"fmt"
)

// trimToFit shrinks an event that encodes to more than limit bytes. It is
// a placeholder that drops breadcrumbs only.
func trimToFit(ev *Event, b []byte, limit int) ([]byte, error) {
	ev.Breadcrumbs = nil
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("raven: event of %d bytes exceeds %d", len(b), limit)
	}
	return b, nil
}
