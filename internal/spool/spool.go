// Package spool is the outbox's file store: envelope files in one
// private directory, written atomically, claimed with advisory locks that
// die with their process, evicted oldest first, and moved to a bounded
// quarantine when unreadable or unsafe.
package spool

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the outbox's file store: creating, listing, claiming,
// reading, quarantining and evicting files in one directory. It knows
// nothing of clients, events or transports; the outbox (outbox.go) decides
// what the files mean.

// Spool file names: "<unix nanos, 20 digits>-<pid>-<random>.env", so that
// sorting by name sorts by age. Names of earlier versions carry an event
// count before ".env"; it is ignored, counts come from the content. A file
// being written is a temporary file starting with '.' and ending in ".tmp".
// Earlier versions claimed a file by renaming it to "<name>.claim-<owner>";
// such files are taken like any other.
const (
	spoolExt           = ".env"
	spoolLegacyClaim   = ".claim-"
	spoolTmpSuffix     = ".tmp"
	spoolQuarantineDir = "quarantine"
)

// Bounds of the quarantine subdirectory, where unreadable files are moved:
// beyond them the oldest quarantined files are removed.
const (
	spoolQuarantineFiles = 64
	spoolQuarantineBytes = 4 << 20
)

// spoolMaxFileBytes bounds how much of a file is read: an envelope file
// the outbox writes never exceeds its limit, so a larger file was not
// written by it.
const spoolMaxFileBytes = 8 << 20

// ErrUnsafeFile marks a file the spool refuses to read: a symbolic link,
// not a regular file, or owned by another user.
var ErrUnsafeFile = errors.New("not a regular file owned by this user")

// Dir is a directory of envelope files shared by any number of processes.
// A file is claimed with an advisory lock (flock(2) on unix, see
// LockFile): the lock belongs to the open file and dies with the process,
// so a claim can never outlive its owner whatever PID a later process
// gets.
type Dir struct {
	Path string
}

// Open creates dir if missing and makes it private: a directory that
// others may read or write is tightened to 0700; one owned by another user
// is refused. It removes temporary files that a process killed while
// writing left behind.
func Open(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("raven: WithOutbox needs a directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("raven: outbox: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("raven: outbox: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("raven: outbox: %s is not a directory", dir)
	}
	if !ownedByMe(fi) {
		return nil, fmt.Errorf("raven: outbox: directory %s belongs to another user", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("raven: outbox: directory %s is open to other users (mode %v) and cannot be made private: %w",
				dir, fi.Mode().Perm(), err)
		}
	}
	s := &Dir{Path: dir}
	s.CleanTemps()
	return s, nil
}

// RandomHex returns n random bytes as 2n hex digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// File is a claimed file: open, locked by this process. Close
// releases the claim.
type File struct {
	Name string
	f    *os.File
	Size int // bytes written, for files create made
}

// Close releases the claim; the file stays in the directory.
func (f *File) Close() error { return f.f.Close() }

// Read reads the file's content from where the last read stopped.
func (f *File) Read(p []byte) (int, error) { return f.f.Read(p) }

// Sync flushes the file's content to stable storage.
func (f *File) Sync() error { return f.f.Sync() }

// Create writes data to a new file and returns it claimed: the temporary
// file is locked before it is written and keeps its lock through the
// rename, so no other process can take it before the caller releases it.
// The file is not synced to stable storage: once create returns it
// survives the process's death; Sync makes it survive the machine's.
func (s *Dir) Create(data []byte) (*File, error) {
	name := fmt.Sprintf("%020d-%d-%s%s", time.Now().UnixNano(), os.Getpid(), RandomHex(4), spoolExt)
	f, err := os.CreateTemp(s.Path, "."+name+".*"+spoolTmpSuffix)
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	ok, err := LockFile(f)
	if err == nil && !ok {
		err = errors.New("new file locked by another process")
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.Path, name))
	}
	if err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	return &File{Name: name, f: f, Size: len(data)}, nil
}

// SyncDir makes renames and removals in the directory durable.
func (s *Dir) SyncDir() {
	if d, err := os.Open(s.Path); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Entry is a file of the directory, as listed.
type Entry struct {
	Name string
	Size int64
}

// List returns the envelope files, oldest first. Entries that are not
// regular files are listed too (size -1): they are taken like the others
// so that they can be quarantined.
func (s *Dir) List() []Entry {
	ents, err := os.ReadDir(s.Path)
	if err != nil {
		return nil
	}
	var out []Entry
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !isSpoolName(n) {
			continue
		}
		size := int64(-1)
		if e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				size = info.Size()
			}
		}
		out = append(out, Entry{Name: n, Size: size})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func isSpoolName(n string) bool {
	return strings.HasSuffix(n, spoolExt) || strings.Contains(n, spoolExt+spoolLegacyClaim)
}

// Claim opens and locks the file name without following a symbolic link.
// It returns busy when another process (or another claim of this one)
// holds it, and gone when it no longer exists. A file that is not a
// regular file owned by this user is returned with ErrUnsafeFile.
func (s *Dir) Claim(name string) (f *File, busy bool, err error) {
	path := filepath.Join(s.Path, name)
	fd, err := OpenNoFollow(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		if isSymlinkErr(err) {
			return nil, false, fmt.Errorf("%w: %v", ErrUnsafeFile, err)
		}
		return nil, false, err
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, false, err
	}
	if !fi.Mode().IsRegular() || !ownedByMe(fi) {
		fd.Close()
		return nil, false, fmt.Errorf("%w: %s (%v)", ErrUnsafeFile, name, fi.Mode())
	}
	ok, err := LockFile(fd)
	if err != nil || !ok {
		fd.Close()
		return nil, err == nil, err
	}
	// The file may have been sent and removed by its previous holder
	// between our open and our lock: then it is gone.
	if cur, err := os.Lstat(path); err != nil || !os.SameFile(fi, cur) {
		fd.Close()
		return nil, false, fs.ErrNotExist
	}
	return &File{Name: name, f: fd}, false, nil
}

// Read returns the content of a claimed file, at most spoolMaxFileBytes.
func (s *Dir) Read(f *File) ([]byte, error) {
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f.f, spoolMaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > spoolMaxFileBytes {
		return nil, fmt.Errorf("file larger than %d bytes", spoolMaxFileBytes)
	}
	return data, nil
}

// Remove deletes a claimed file and releases it.
func (s *Dir) Remove(f *File) error {
	err := os.Remove(filepath.Join(s.Path, f.Name))
	f.Close()
	return err
}

// EvictOldest offers files to remove, oldest first, until the directory
// holds at most maxFiles files and maxBytes bytes. remove does the
// removal (and its accounting) and reports whether the file left the
// directory; a file in use is not removed. It returns what the directory
// holds afterwards.
func (s *Dir) EvictOldest(maxFiles int, maxBytes int64, remove func(name string) bool) (files int, bytes int64) {
	entries := s.List()
	for _, e := range entries {
		bytes += max(e.Size, 0)
	}
	files = len(entries)
	for _, e := range entries {
		if files <= maxFiles && bytes <= maxBytes {
			break
		}
		if remove(e.Name) {
			files--
			bytes -= max(e.Size, 0)
		}
	}
	return files, bytes
}

// Quarantine moves the file name (a claimed file, a symbolic link or
// anything else the spool will not read) into the quarantine
// subdirectory, then removes the oldest quarantined files beyond its
// bounds. f, when not nil, is released.
func (s *Dir) Quarantine(name string, f *File) error {
	if f != nil {
		defer f.Close()
	}
	qdir := filepath.Join(s.Path, spoolQuarantineDir)
	if err := os.Mkdir(qdir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	// A rename moves a symbolic link itself, never what it points to.
	if err := os.Rename(filepath.Join(s.Path, name), filepath.Join(qdir, name)); err != nil {
		return err
	}
	s.trimQuarantine(qdir)
	return nil
}

func (s *Dir) trimQuarantine(qdir string) {
	ents, err := os.ReadDir(qdir)
	if err != nil {
		return
	}
	type q struct {
		name string
		size int64
		mod  time.Time
	}
	var files []q
	var total int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue
		}
		size := info.Size()
		if !info.Mode().IsRegular() {
			size = 0
		}
		files = append(files, q{e.Name(), size, info.ModTime()})
		total += size
	}
	slices.SortFunc(files, func(a, b q) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for i := 0; i < len(files) && (len(files)-i > spoolQuarantineFiles || total > spoolQuarantineBytes); i++ {
		if os.Remove(filepath.Join(qdir, files[i].name)) == nil {
			total -= files[i].size
		}
	}
}

// CleanTemps removes temporary files left by a process killed while
// writing. A temporary file is locked by its writer from creation to
// rename: one that can be locked has no live writer.
func (s *Dir) CleanTemps() {
	ents, err := os.ReadDir(s.Path)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, spoolTmpSuffix) {
			continue
		}
		path := filepath.Join(s.Path, n)
		fd, err := OpenNoFollow(path)
		if err != nil {
			if isSymlinkErr(err) {
				_ = os.Remove(path)
			}
			continue
		}
		ok, err := LockFile(fd)
		if err == nil && ok && tempIsStale(fd) {
			_ = os.Remove(path)
		}
		fd.Close()
	}
}

// A spool file holds one record (an envelope, as files of earlier
// versions do) or several: then it starts with Magic, and each record
// is its length in decimal, a newline, the record and a newline.
const Magic = "#raven-spool 1\n"

// EncodeRecords is the content of a file holding recs.
func EncodeRecords(recs [][]byte) []byte {
	if len(recs) == 1 && !bytes.HasPrefix(recs[0], []byte(Magic)) {
		return recs[0]
	}
	n := len(Magic)
	for _, r := range recs {
		n += len(r) + 12
	}
	b := make([]byte, 0, n)
	b = append(b, Magic...)
	for _, r := range recs {
		b = strconv.AppendInt(b, int64(len(r)), 10)
		b = append(b, '\n')
		b = append(b, r...)
		b = append(b, '\n')
	}
	return b
}

// ErrBadRecords is wrapped by every DecodeRecords error.
var ErrBadRecords = errors.New("malformed spool file")

// DecodeRecords splits the content of a file into its records; the
// records alias data.
func DecodeRecords(data []byte) ([][]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(Magic))
	if !ok {
		if len(data) == 0 {
			return nil, fmt.Errorf("%w: empty", ErrBadRecords)
		}
		return [][]byte{data}, nil
	}
	var recs [][]byte
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		if !found || len(line) == 0 || len(line) > 10 {
			return nil, fmt.Errorf("%w: record %d: bad length line", ErrBadRecords, len(recs))
		}
		n, err := strconv.Atoi(string(line))
		if err != nil || n < 0 || n >= len(after) || after[n] != '\n' || string(line) != strconv.Itoa(n) {
			return nil, fmt.Errorf("%w: record %d: bad or truncated length %q", ErrBadRecords, len(recs), line)
		}
		recs = append(recs, after[:n])
		rest = after[n+1:]
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no record", ErrBadRecords)
	}
	return recs, nil
}
