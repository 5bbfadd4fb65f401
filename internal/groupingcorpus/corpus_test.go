package groupingcorpus

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// occurrences is how many times each variant runs each bug.
const occurrences = 4

// variants of testdata/prog/main.go: what a later build of the same code
// looks like to the grouping.
var variants = []struct {
	name, desc string
	edit       func(src string) string
}{
	{"base", "the program as written, its %[1]d `//PAD` and %[2]d `//EXTRA` marks left as comments", func(s string) string { return s }},
	{"shifted", "7 blank lines at each of its %[1]d `//PAD` marks: the line numbers of nearly every frame move",
		func(s string) string { return strings.ReplaceAll(s, "//PAD", "//PAD"+strings.Repeat("\n", 7)) }},
	{"closures added", "3 blank lines at each `//PAD` mark, and a closure at each of its %[2]d `//EXTRA` marks: the closures after it in the same function are renumbered",
		func(s string) string {
			s = strings.ReplaceAll(s, "//PAD", "//PAD"+strings.Repeat("\n", 3))
			return strings.ReplaceAll(s, "//EXTRA", "_ = func() int { return len(os.Args) }()")
		}},
}

// buildVariant builds testdata/prog with its source edited, through an
// overlay: the checkout is not written to.
func buildVariant(t *testing.T, dir string, i int) string {
	t.Helper()
	src, err := filepath.Abs("testdata/prog/main.go")
	require.NoError(t, err)
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	edited := filepath.Join(dir, fmt.Sprintf("main%d.go", i))
	require.NoError(t, os.WriteFile(edited, []byte(variants[i].edit(string(b))), 0o644))
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {src: edited}})
	require.NoError(t, err)
	ov := filepath.Join(dir, fmt.Sprintf("overlay%d.json", i))
	require.NoError(t, os.WriteFile(ov, overlay, 0o644))
	bin := filepath.Join(dir, fmt.Sprintf("prog%d", i))
	out, err := exec.Command("go", "build", "-overlay", ov, "-o", bin, "./testdata/prog").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestGroupingCorpus: the same bug keeps one group across builds and
// occurrences, and different bugs never share one, under the model of
// groupingKey.
func TestGroupingCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := t.TempDir()
	srv := raventest.NewServer(t)
	want := 0
	bugsRun := 0
	for i, v := range variants {
		bin := buildVariant(t, dir, i)
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "RAVEN_DSN="+srv.DSN(), "VARIANT="+v.name,
			"OCCURRENCES="+strconv.Itoa(occurrences), "SEED="+strconv.Itoa(i+1))
		out, err := cmd.Output()
		require.NoError(t, err, "%s", out)
		bugsRun, err = strconv.Atoi(strings.TrimSpace(string(out)))
		require.NoError(t, err)
		want += bugsRun * occurrences
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err = srv.WaitForEvents(ctx, want)
		cancel()
		require.NoError(t, err, "variant %s", v.name)
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	events := srv.Events()
	require.Len(t, events, want)

	keys := map[string]map[string]bool{}    // bug -> keys
	rawKeys := map[string]map[string]bool{} // bug -> keys without normalization
	bugsOf := map[string]map[string]bool{}  // key -> bugs
	titles := map[string]string{}           // bug -> exception type
	perVariant := map[string]int{}          // bug/variant -> events
	for _, ev := range events {
		bug, variant := ev.Tags["bug"], ev.Tags["variant"]
		require.NotEmpty(t, bug)
		perVariant[bug+"/"+variant]++
		k, rk := groupingKey(ev, false), groupingKey(ev, true)
		add(keys, bug, k)
		add(rawKeys, bug, rk)
		add(bugsOf, k, bug)
		excs := ev.Exception.Values
		titles[bug] = excs[len(excs)-1].Type
	}
	require.GreaterOrEqual(t, len(keys), 20, "at least twenty distinct bugs")
	require.Equal(t, bugsRun, len(keys))
	for bug, ks := range keys {
		if !assert.Len(t, ks, 1, "bug %s is split into %d groups", bug, len(ks)) {
			for _, ev := range events {
				if ev.Tags["bug"] == bug {
					t.Logf("%s: %s", ev.Tags["variant"], describe(ev))
				}
			}
		}
		for _, v := range variants {
			assert.Equal(t, occurrences, perVariant[bug+"/"+v.name], "%s in %s", bug, v.name)
		}
	}
	for k, bugs := range bugsOf {
		assert.Len(t, bugs, 1, "group %s mixes bugs %v", k, slices.Sorted(maps.Keys(bugs)))
	}
	splitRaw := 0
	rawGroups := map[string]bool{}
	for _, ks := range rawKeys {
		if len(ks) > 1 {
			splitRaw++
		}
		for k := range ks {
			rawGroups[k] = true
		}
	}
	assert.Positive(t, splitRaw, "the variants renumber closures: without normalization some bug would be split")

	if out := os.Getenv("RAVEN_EVENTS_OUT"); out != "" {
		writeReport(t, filepath.Join(out, "grouping.md"), reportData{
			bugs: len(keys), events: len(events), groups: len(bugsOf), rawGroups: len(rawGroups),
			splitRaw: splitRaw, keys: keys, rawKeys: rawKeys, titles: titles, events0: events,
		})
	}
}

func add(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

type reportData struct {
	bugs, events, groups, rawGroups, splitRaw int
	keys, rawKeys                             map[string]map[string]bool
	titles                                    map[string]string
	events0                                   []*raven.Event
}

// writeReport writes the markdown section scripts/events.sh collects into
// docs/EVENTS.md.
func writeReport(t *testing.T, file string, d reportData) {
	var b strings.Builder
	fmt.Fprintf(&b, "## Grouping\n\n")
	fmt.Fprintf(&b, "`TestGroupingCorpus` (internal/groupingcorpus) builds the program internal/groupingcorpus/testdata/prog "+
		"in %d variants of its source and runs each of its %d bugs %d times per variant, with ids and paths that change every time, "+
		"reporting to an in-process receiver; every event is checked against the event schema. It then computes each event's group "+
		"with a model of the stack-trace grouping Sentry documents (docs.sentry.io/concepts/data-management/event-grouping/): "+
		"the exception types of the chain and the in-app frames' module and function, no line numbers, no messages. raven sends "+
		"function names without closure numbers, generic shapes and method-value suffixes (the runtime's name is in `raw_function`); "+
		"the price is that two closures of one function share a name, told apart by the rest of the stack and the exception type.\n\n", len(variants), d.bugs, occurrences)
	src, err := os.ReadFile("testdata/prog/main.go")
	require.NoError(t, err)
	pads, extras := strings.Count(string(src), "//PAD"), strings.Count(string(src), "//EXTRA")
	fmt.Fprintf(&b, "| variant | source |\n|---|---|\n")
	for _, v := range variants {
		fmt.Fprintf(&b, "| %s | %s |\n", v.name, fmt.Sprintf(v.desc, pads, extras))
	}
	fmt.Fprintf(&b, "\n| figure | value |\n|---|---:|\n")
	fmt.Fprintf(&b, "| distinct bugs | %d |\n| events received | %d |\n", d.bugs, d.events)
	fmt.Fprintf(&b, "| groups, with the function names raven sends | %d |\n", d.groups)
	fmt.Fprintf(&b, "| bugs split into several groups | 0 |\n| groups holding several bugs | 0 |\n")
	fmt.Fprintf(&b, "| groups, with the names the runtime reports (`raw_function`) | %d |\n", d.rawGroups)
	fmt.Fprintf(&b, "| bugs those names would split | %d |\n\n", d.splitRaw)
	fmt.Fprintf(&b, "| bug | exception type (title) | groups | groups with runtime names |\n|---|---|---:|---:|\n")
	for _, bug := range slices.Sorted(maps.Keys(d.keys)) {
		fmt.Fprintf(&b, "| %s | `%s` | %d | %d |\n", bug, d.titles[bug], len(d.keys[bug]), len(d.rawKeys[bug]))
	}
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o644))
}

// describe is an event's exception types and in-app frames, for failure
// messages.
func describe(ev *raven.Event) string {
	var b strings.Builder
	for _, e := range ev.Exception.Values {
		b.WriteString(e.Type + " [")
		if e.Stacktrace != nil {
			for _, f := range e.Stacktrace.Frames {
				if f.InApp {
					fmt.Fprintf(&b, " %s.%s(%s)", f.Module, f.Function, f.RawFunction)
				}
			}
		}
		b.WriteString(" ] ")
	}
	return b.String()
}
