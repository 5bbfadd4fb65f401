// Package crashmon reports crashes that kill the process: it saves the
// scope to a private state file while the program runs, points the
// runtime's crash output at a monitor process (a second copy of the
// program's binary reading a pipe) or at an outbox file, and turns the
// crash output and the saved scope into a fatal event.
package crashmon

import (
	"encoding/json"
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
)

// EnvMonitor is set to "1" in the environment of the monitor process.
const EnvMonitor = "RAVEN_CRASH_MONITOR"

// EnvState names the state file of the crashing program.
const EnvState = "RAVEN_CRASH_STATE"

// Config configures a Reporter.
type Config struct {
	// ToOutbox writes the crash output to a file in OutboxDir instead of
	// starting a monitor.
	ToOutbox  bool
	OutboxDir string
	// ScopeInterval is how often the scope is saved when it changed.
	ScopeInterval time.Duration
	// Traceback is the level set with debug.SetTraceback when GOTRACEBACK
	// is not set ("" leaves it alone).
	Traceback string
	// Base holds the state's fields other than the scope.
	Base State
	// Scope returns the scope's current version and, when it differs
	// from last, the scope as an event, bounded and scrubbed; a nil event
	// means unchanged.
	Scope func(last any) (version any, ev *protocol.Event)
	// Logger gets diagnostics.
	Logger *slog.Logger
}

// State is what a program saves for its crash monitor. The file
// outlives the process, so it holds nothing an event would not: the scope
// is scrubbed like an event, and the DSN is written without its secret
// (the envelope endpoint needs only the public key).
type State struct {
	PID          int      `json:"pid"`
	DSN          string   `json:"dsn"`
	Outbox       string   `json:"outbox,omitempty"`
	InAppInclude []string `json:"in_app_include,omitempty"`
	InAppExclude []string `json:"in_app_exclude,omitempty"`
	ContextLines int      `json:"context_lines,omitempty"`
	// The scrubbing options, so that the monitor scrubs the crash event
	// (its exception value comes from the crash output) as the program
	// would.
	ScrubKeys              []string        `json:"scrub_keys,omitempty"`
	ScrubPatterns          []string        `json:"scrub_patterns,omitempty"`
	NoDefaultScrubPatterns bool            `json:"no_default_scrub_patterns,omitempty"`
	Scope                  *protocol.Event `json:"scope"`
}

// DSNWithoutSecret returns d as a DSN string without its secret key.
func DSNWithoutSecret(d *protocol.DSN) string {
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

// Reporter saves the scope for crash events.
//
// Ownership: it runs no goroutine of its own; a timer (time.AfterFunc)
// saves the scope and re-arms itself; Stop disarms it.
type Reporter struct {
	cfg       Config
	statePath string
	base      State

	mu      sync.Mutex
	last    any
	timer   *time.Timer
	stopped bool
}

// Start saves the state file, points the runtime's crash output (see
// runtime/debug.SetCrashOutput) at a monitor process or an outbox file, and
// arms the timer that saves the scope again when it changes.
func Start(cfg Config) (*Reporter, error) {
	r := &Reporter{cfg: cfg, base: cfg.Base}
	if r.cfg.Logger == nil {
		r.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Traceback != "" && os.Getenv("GOTRACEBACK") == "" {
		debug.SetTraceback(cfg.Traceback)
	}
	var out *os.File
	if cfg.ToOutbox {
		dir := cfg.OutboxDir
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
		dir, err := PrivateStateDir()
		if err != nil {
			return nil, err
		}
		r.statePath = filepath.Join(dir, StateName)
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
	r.timer = time.AfterFunc(cfg.ScopeInterval, r.tick)
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
	cmd.Env = append(os.Environ(), EnvMonitor+"=1", EnvState+"="+statePath)
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

func (r *Reporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if err := r.saveLocked(); err != nil {
		r.cfg.Logger.Debug("raven: saving scope for crash reports failed", slog.Any("error", err))
	}
	r.timer.Reset(r.cfg.ScopeInterval)
}

func (r *Reporter) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveLocked()
}

// saveLocked writes the state file when the scope changed since the last
// save.
func (r *Reporter) saveLocked() error {
	version, ev := r.cfg.Scope(r.last)
	if ev == nil {
		return nil
	}
	st := r.base
	st.Scope = ev
	data, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	if err := WritePrivateFile(r.statePath, data); err != nil {
		return err
	}
	r.last = version
	return nil
}

// StateName is the state file's name in its private directory.
const StateName = "state.json"

// PrivateStateDir creates the directory of the monitor's state file: a new
// directory under os.TempDir with a random name and mode 0700, so that no
// other user can read the scope, nor plant a file or a symbolic link where
// the state is written. It is checked after creation to be a directory,
// not a symbolic link, owned by this process's user and closed to others.
func PrivateStateDir() (string, error) {
	dir, err := os.MkdirTemp("", "raven-crash-")
	if err != nil {
		return "", err
	}
	if err := CheckPrivateDir(dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// CheckPrivateDir returns an error unless dir is a directory (not a
// symbolic link) owned by this process's user with no permission for
// group or others.
func CheckPrivateDir(dir string) error {
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

// WritePrivateFile replaces path's content with data through a temporary
// file of mode 0600 in the same directory, so that a reader (the monitor)
// never sees a partial file.
func WritePrivateFile(path string, data []byte) error {
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

// RemoveState removes the monitor's state file and its private directory.
func RemoveState(path string) {
	os.Remove(path)
	if dir := filepath.Dir(path); strings.HasPrefix(filepath.Base(dir), "raven-crash-") {
		os.Remove(dir) // only when empty
	}
}

// Stop saves the scope a last time and disarms the timer. The crash
// output stays in place: a crash after Stop is still reported.
func (r *Reporter) Stop() {
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

// Run reads the crash output of the program from in until it
// exits, and reports a crash when there is one. It returns the monitor's
// exit code.
func Run(in io.Reader, statePath string, report func(st *State, out []byte) error) int {
	out, _ := io.ReadAll(io.LimitReader(in, crashparse.MaxOutputBytes))
	_, _ = io.Copy(io.Discard, in) // never block the dying program
	if statePath == "" {
		fmt.Fprintln(os.Stderr, "raven: crash monitor started without "+EnvState)
		return 2
	}
	defer RemoveState(statePath)
	if len(out) == 0 {
		return 0 // the program exited without crashing
	}
	st, err := ReadState(statePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "raven: crash monitor:", err)
		return 1
	}
	if err := report(st, out); err != nil {
		fmt.Fprintln(os.Stderr, "raven: crash monitor:", err)
		return 1
	}
	return 0
}

// ReadState reads the state file a program saved.
func ReadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Scope == nil {
		st.Scope = &protocol.Event{}
	}
	return &st, nil
}

// Event merges the parsed crash output with the saved scope.
func Event(st *State, out []byte) *protocol.Event {
	fi := stack.NewSymbolizer(st.InAppInclude, st.InAppExclude, st.ContextLines, stack.DefaultMaxFrames)
	ev := st.Scope
	ev.EventID = protocol.NewEventID()
	ev.Timestamp = time.Now()
	ev.Platform = "go"
	ev.Level = protocol.LevelFatal
	if r := crashparse.Parse(out, true); r != nil {
		crash := r.Event(fi, ev.Timestamp)
		ev.Exception, ev.Threads = crash.Exception, crash.Threads
	} else {
		// Output the parser does not know: still report that the program died.
		ev.Exception = &protocol.ExceptionList{Values: []protocol.Exception{{Type: "crash", Value: protocol.Clamp(crashparse.ValidUTF8(strings.TrimSpace(string(out))), crashparse.MaxValueBytes),
			Mechanism: &protocol.Mechanism{Type: "fatal_error", Handled: new(false)}}}}
	}
	if ev.Extra == nil {
		ev.Extra = map[string]any{}
	}
	if st.PID > 0 {
		ev.Extra["crashed_pid"] = st.PID
	}
	return ev
}

// StateOf decodes the state a crashed program saved next to its
// crash file; without one (nil or unreadable) the event has an empty
// scope.
func StateOf(data []byte) *State {
	st := &State{Scope: &protocol.Event{}}
	if data == nil || json.Unmarshal(data, st) != nil {
		return &State{Scope: &protocol.Event{}}
	}
	if st.Scope == nil {
		st.Scope = &protocol.Event{}
	}
	return st
}

// StatePath is the file the scope is saved to.
func (r *Reporter) StatePath() string { return r.statePath }
