package raven

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/crashparse"
	"github.com/ravenkit/raven/internal/outbox"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/spool"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/uservalue"
)

// crashState is what a program saves for its crash monitor. The file
// outlives the process, so it holds nothing an event would not: the scope
// is scrubbed like an event, and the DSN is written without its secret
// (the envelope endpoint needs only the public key).
type crashState struct {
	PID          int      `json:"pid"`
	DSN          string   `json:"dsn"`
	Outbox       string   `json:"outbox,omitempty"`
	InAppInclude []string `json:"in_app_include,omitempty"`
	InAppExclude []string `json:"in_app_exclude,omitempty"`
	ContextLines int      `json:"context_lines,omitempty"`
	// The scrubbing options, so that the monitor scrubs the crash event
	// (its exception value comes from the crash output) as the program
	// would.
	ScrubKeys              []string `json:"scrub_keys,omitempty"`
	ScrubPatterns          []string `json:"scrub_patterns,omitempty"`
	NoDefaultScrubPatterns bool     `json:"no_default_scrub_patterns,omitempty"`
	Scope                  *Event   `json:"scope"`
}

// dsnWithoutSecret returns d as a DSN string without its secret key.
func dsnWithoutSecret(d *DSN) string {
	if d.SecretKey == "" {
		return d.String()
	}
	u, err := url.Parse(d.String())
	if err != nil {
		return ""
	}
	u.User = url.User(d.PublicKey)
	return u.String()
}

// crashReporter saves the scope for crash events.
//
// Ownership: it runs no goroutine of its own; a timer (time.AfterFunc)
// saves the scope and re-arms itself; stop disarms it.
type crashReporter struct {
	c         *Client
	cfg       crashConfig
	statePath string
	base      crashState

	mu      sync.Mutex
	last    *scopeData
	timer   *time.Timer
	stopped bool
}

func startCrashReporter(c *Client, cfg crashConfig) (*crashReporter, error) {
	r := &crashReporter{c: c, cfg: cfg}
	r.base = crashState{PID: os.Getpid(), InAppInclude: c.cfg.inAppInclude, InAppExclude: c.cfg.inAppExclude,
		ContextLines: c.cfg.contextLines, ScrubKeys: c.cfg.scrubKeys, ScrubPatterns: c.cfg.scrubPatternSrc,
		NoDefaultScrubPatterns: c.cfg.noDefaultScrubPatterns}
	if c.dsn != nil {
		r.base.DSN = dsnWithoutSecret(c.dsn)
	}
	if c.ext.outbox != nil {
		r.base.Outbox = c.ext.outbox.Dir()
	}
	if cfg.traceback != "" && os.Getenv("GOTRACEBACK") == "" {
		debug.SetTraceback(cfg.traceback)
	}
	var out *os.File
	if cfg.toOutbox {
		dir := c.ext.outbox.Dir()
		name := fmt.Sprintf("crash-%d-%s", os.Getpid(), spool.RandomHex(4))
		r.statePath = filepath.Join(dir, name+outbox.CrashStateExt)
		if err := r.save(); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(dir, name+outbox.CrashOutExt), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, err
		}
		// The lock tells collectCrashFiles that this process still runs:
		// SetCrashOutput duplicates the descriptor, which shares the lock
		// and keeps it until the process ends.
		_, _ = spool.LockFile(f)
		out = f
	} else {
		dir, err := privateStateDir()
		if err != nil {
			return nil, err
		}
		r.statePath = filepath.Join(dir, crashStateName)
		if err := r.save(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		w, err := startMonitor(r.statePath)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		out = w
	}
	err := debug.SetCrashOutput(out, debug.CrashOptions{})
	out.Close() // SetCrashOutput keeps its own descriptor
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.timer = time.AfterFunc(cfg.scopeInterval, r.tick)
	r.mu.Unlock()
	return r, nil
}

// startMonitor re-executes the program's binary as a crash monitor reading
// a pipe; it returns the pipe's write end.
func startMonitor(statePath string) (*os.File, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Args = []string{os.Args[0]}
	cmd.Env = append(os.Environ(), EnvCrashMonitor+"=1", envCrashState+"="+statePath)
	cmd.Stdin = pr
	cmd.Stderr = os.Stderr
	detachMonitor(cmd)
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	pr.Close()
	// The monitor lives until this process exits; it is never waited for.
	_ = cmd.Process.Release()
	return pw, nil
}

func (r *crashReporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if err := r.saveLocked(); err != nil {
		r.c.cfg.logger.Debug("raven: saving scope for crash reports failed", slog.Any("error", err))
	}
	r.timer.Reset(r.cfg.scopeInterval)
}

func (r *crashReporter) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveLocked()
}

// saveLocked writes the state file when the root scope changed since the
// last save (a changed scope is a new snapshot pointer).
func (r *crashReporter) saveLocked() error {
	d := r.c.root.snapshot()
	if d == r.last && r.last != nil {
		return nil
	}
	c := r.c
	ev := &Event{Platform: "go", Release: c.cfg.release, Environment: c.cfg.environment, Dist: c.cfg.dist,
		ServerName: c.static.serverName, SDK: c.static.sdk, Contexts: mergeContexts(c.static.contexts, nil)}
	c.applyScope(ev, d, nil)
	ev.Level = ""
	// Bounded, acyclic and scrubbed like an event; no user method runs
	// (this runs under the lock Close takes).
	if cuts := uservalue.PlainEvent(ev, false); cuts > 0 {
		c.cfg.logger.Debug("raven: scope values cut to their bounds for the crash state", slog.Int("placeholders", cuts))
	}
	c.cfg.scrub.Event(ev)
	st := r.base
	st.Scope = ev
	b, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	if err := writePrivateFile(r.statePath, b); err != nil {
		return err
	}
	r.last = d
	return nil
}

// crashStateName is the state file's name in its private directory.
const crashStateName = "state.json"

// privateStateDir creates the directory of the monitor's state file: a new
// directory under os.TempDir with a random name and mode 0700, so that no
// other user can read the scope, nor plant a file or a symbolic link where
// the state is written. It is checked after creation to be a directory,
// not a symbolic link, owned by this process's user and closed to others.
func privateStateDir() (string, error) {
	dir, err := os.MkdirTemp("", "raven-crash-")
	if err != nil {
		return "", err
	}
	if err := checkPrivateDir(dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// checkPrivateDir returns an error unless dir is a directory (not a
// symbolic link) owned by this process's user with no permission for
// group or others.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0 || !fi.IsDir():
		return fmt.Errorf("raven: crash state directory %s is not a directory", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("raven: crash state directory %s has mode %v, not 0700", dir, fi.Mode().Perm())
	case !ownedByProcessUser(fi):
		return fmt.Errorf("raven: crash state directory %s is owned by another user", dir)
	}
	return nil
}

// writePrivateFile replaces path's content with data through a temporary
// file of mode 0600 in the same directory, so that a reader (the monitor)
// never sees a partial file.
func writePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".state-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// removeState removes the monitor's state file and its private directory.
func removeState(path string) {
	os.Remove(path)
	if dir := filepath.Dir(path); strings.HasPrefix(filepath.Base(dir), "raven-crash-") {
		os.Remove(dir) // only when empty
	}
}

func (r *crashReporter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	_ = r.saveLocked()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// runCrashMonitor reads the crash output of the program from in until it
// exits, and reports a crash when there is one. It returns the monitor's
// exit code.
func runCrashMonitor(in io.Reader, statePath string) int {
	out, _ := io.ReadAll(io.LimitReader(in, MaxCrashOutputBytes))
	_, _ = io.Copy(io.Discard, in) // never block the dying program
	if statePath == "" {
		fmt.Fprintln(os.Stderr, "raven: crash monitor started without "+envCrashState)
		return 2
	}
	defer removeState(statePath)
	if len(out) == 0 {
		return 0 // the program exited without crashing
	}
	st, err := readCrashState(statePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "raven: crash monitor:", err)
		return 1
	}
	if err := reportCrash(st, out, DefaultCrashSendTimeout); err != nil {
		fmt.Fprintln(os.Stderr, "raven: crash monitor:", err)
		return 1
	}
	return 0
}

func readCrashState(path string) (*crashState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st crashState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Scope == nil {
		st.Scope = &Event{}
	}
	return &st, nil
}

// crashEvent merges the parsed crash output with the saved scope.
func crashEvent(st *crashState, out []byte) *Event {
	fi := stack.NewSymbolizer(st.InAppInclude, st.InAppExclude, st.ContextLines, DefaultMaxFrames)
	ev := st.Scope
	ev.EventID = NewEventID()
	ev.Timestamp = time.Now()
	ev.Platform = "go"
	ev.Level = LevelFatal
	if r := crashparse.Parse(out, true); r != nil {
		crash := r.Event(fi, ev.Timestamp)
		ev.Exception, ev.Threads = crash.Exception, crash.Threads
	} else {
		// Output the parser does not know: still report that the program died.
		ev.Exception = &ExceptionList{Values: []Exception{{Type: "crash", Value: protocol.Clamp(crashparse.ValidUTF8(strings.TrimSpace(string(out))), crashparse.MaxValueBytes),
			Mechanism: &Mechanism{Type: "fatal_error", Handled: new(false)}}}}
	}
	if ev.Extra == nil {
		ev.Extra = map[string]any{}
	}
	if st.PID > 0 {
		ev.Extra["crashed_pid"] = st.PID
	}
	return ev
}

// reportCrash sends the crash event of a program that died, or stores it in
// the outbox when it cannot be sent.
func reportCrash(st *crashState, out []byte, timeout time.Duration) error {
	ev := crashEvent(st, out)
	opts := []Option{WithDSN(st.DSN), WithSampleRate(1), withoutEnv(), WithRelease(ev.Release), WithEnvironment(ev.Environment),
		WithScrubKeys(st.ScrubKeys...), WithScrubPatterns(st.ScrubPatterns...), WithDefaultScrubPatterns(!st.NoDefaultScrubPatterns)}
	if st.Outbox != "" {
		opts = append(opts, WithOutbox(st.Outbox))
	}
	c, err := New(opts...)
	if err != nil {
		return err
	}
	if !c.Enabled() {
		return errors.New("no DSN to report the crash to")
	}
	c.CaptureEvent(context.Background(), ev)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = c.Close(ctx)
	s := c.Stats()
	if s.Delivered == 0 && s.DroppedTotal() > 0 {
		return fmt.Errorf("crash event %s not delivered: %v", ev.EventID, s.Dropped)
	}
	return nil
}

// crashStateOf decodes the state a crashed program saved next to its
// crash file; without one (nil or unreadable) the event has an empty
// scope.
func crashStateOf(data []byte) *crashState {
	st := &crashState{Scope: &Event{}}
	if data == nil || json.Unmarshal(data, st) != nil {
		return &crashState{Scope: &Event{}}
	}
	if st.Scope == nil {
		st.Scope = &Event{}
	}
	return st
}
