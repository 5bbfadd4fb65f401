package raven

import "github.com/ravenkit/raven/internal/protocol"

// MaxEventBytes is the largest event payload sent; larger events are
// trimmed to fit (Relay rejects events over 1 MiB).
const MaxEventBytes = protocol.MaxEventBytes
