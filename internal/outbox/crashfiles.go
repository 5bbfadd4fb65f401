package outbox

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/spool"
)

// Files that crash reporting (raven.CrashToOutbox) leaves in the outbox
// directory: a crashed program's output and the state it saved.
const (
	CrashOutExt   = ".crash"
	CrashStateExt = ".state.json"
)

// CollectCrashFiles hands report the crash outputs that programs no longer
// running left in the directory (at most maxBytes of each), with the
// state each saved (nil when none could be read), then removes them. A
// crash file is locked by its program for as long as it runs, so a file
// that can be claimed is one whose program ended, whatever PID this
// process has. Files are opened without following symbolic links and must
// be regular files owned by this user; others are moved to quarantine. On
// platforms without advisory locks crash files are left alone.
func (o *Outbox) CollectCrashFiles(maxBytes int64, report func(out, state []byte)) {
	if !spool.Locks {
		return
	}
	ents, err := os.ReadDir(o.cfg.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		base, ok := strings.CutSuffix(name, CrashOutExt)
		if !ok || !strings.HasPrefix(base, "crash-") {
			continue
		}
		f, busy, err := o.sp.Claim(name)
		if busy {
			continue // its program still runs
		}
		if errors.Is(err, spool.ErrUnsafeFile) {
			o.quarantine(name, nil, delivery.SetAsideUnsafe)
			continue
		}
		if err != nil {
			continue
		}
		out, _ := io.ReadAll(io.LimitReader(f, maxBytes))
		statePath := filepath.Join(o.cfg.Dir, base+CrashStateExt)
		if strings.TrimSpace(string(out)) != "" {
			report(out, o.readCrashState(base+CrashStateExt))
		}
		_ = o.sp.Remove(f)
		os.Remove(statePath)
	}
}

// readCrashState reads the state a crashed program saved next to its
// crash file, refusing a symbolic link or a file that is not this user's.
func (o *Outbox) readCrashState(name string) []byte {
	f, _, err := o.sp.Claim(name)
	if err != nil || f == nil {
		if errors.Is(err, spool.ErrUnsafeFile) {
			o.quarantine(name, nil, delivery.SetAsideUnsafe)
		}
		return nil
	}
	defer f.Close()
	data, err := o.sp.Read(f)
	if err != nil {
		return nil
	}
	return data
}
