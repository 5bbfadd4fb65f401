// Package report writes what the benchmark commands (cmd/burst,
// cmd/flood) measured: a table per run, notes on anything that went wrong
// with the server, and the results as JSON for cmd/perfreport.
package report

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ravenkit/raven/benchmarks/internal/sink"
)

// Table is a title, a header and one row per SDK, with the notes the rows
// carry printed under it.
type Table struct {
	// Title is the line above the table.
	Title string
	// Header names the columns, each followed by a tab.
	Header string
	rows   []string
	notes  []string
}

// Add appends a row (cells each followed by a tab) and, when note is not
// empty, the line "sdk: note" under the table.
func (t *Table) Add(sdk, note, row string) {
	t.rows = append(t.rows, row)
	if note != "" {
		t.notes = append(t.notes, sdk+": "+note)
	}
}

// Write prints the title, the columns right-aligned, then the notes.
func (t *Table) Write(w io.Writer) {
	fmt.Fprintln(w, t.Title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, t.Header)
	for _, r := range t.rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
	for _, n := range t.notes {
		fmt.Fprintln(w, n)
	}
}

// ServerNote says how many requests srv rejected and the last reason, or
// returns "" when it rejected none.
func ServerNote(srv *sink.Server) string {
	if srv.Rejected() == 0 {
		return ""
	}
	return fmt.Sprintf("server rejected %d requests: %v", srv.Rejected(), srv.Err())
}

// SaveJSON writes config and results as indented JSON
// ({"config": ..., "results": ...}) to path; it does nothing when path is
// empty.
func SaveJSON(path string, config, results any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(struct {
		Config  any `json:"config"`
		Results any `json:"results"`
	}{config, results}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Main is a benchmark command's main after it has defined its own flags:
// it adds -sdks (into *sdks, all of them by default) and -json, parses the
// command line, runs cfg, prints the results on stdout and saves them with
// SaveJSON. It exits 1 with the error on stderr when any step fails.
func Main[C, R any](cfg *C, sdks *[]string, all []string, run func(C) ([]R, error), print func(io.Writer, C, []R)) {
	list := flag.String("sdks", strings.Join(all, ","), "comma-separated SDKs to run")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()
	*sdks = strings.Split(*list, ",")
	results, err := run(*cfg)
	if err == nil {
		print(os.Stdout, *cfg, results)
		err = SaveJSON(*jsonOut, *cfg, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
