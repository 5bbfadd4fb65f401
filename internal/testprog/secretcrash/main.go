// Command secretcrash is a program using raven's crash reporting whose
// root scope and crash are full of secrets; the secrets test builds it and
// checks that none reaches the server:
//
//	RAVEN_TEST_SECRETS=testdata/secrets/secrets.txt SENTRY_DSN=... secretcrash
//
// It puts every secret of the corpus in the root scope (extra, tags, user
// data, breadcrumbs), then dies of an unrecovered panic in a goroutine
// whose message holds the free-text secrets that fit on one line.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ravenkit/raven"
)

func main() {
	raven.CrashMonitor()
	f, err := os.Open(os.Getenv("RAVEN_TEST_SECRETS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "secretcrash:", err)
		os.Exit(2)
	}
	if err := raven.Init(raven.WithRelease("secretcrash@1.0.0"),
		raven.WithCrashReporting(raven.WithCrashScopeInterval(20*time.Millisecond))); err != nil {
		fmt.Fprintln(os.Stderr, "secretcrash:", err)
		os.Exit(2)
	}
	scope := raven.CurrentClient().Scope()
	scope.SetTag("app", "secretcrash")
	keyed := map[string]any{}
	var texts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 || strings.HasPrefix(parts[0], "#") {
			continue
		}
		kind, name, secret := parts[0], strings.ReplaceAll(parts[1], `\n`, "\n"), strings.ReplaceAll(parts[2], `\n`, "\n")
		switch kind {
		case "key":
			keyed[name] = secret
			scope.SetExtra(name, secret)
			scope.SetTag(name, secret)
		case "text":
			text := strings.ReplaceAll(name, "{}", secret)
			scope.AddBreadcrumb(raven.Breadcrumb{Message: text})
			scope.SetExtra(fmt.Sprintf("note_%d", len(texts)), text)
			if !strings.Contains(text, "\n") {
				texts = append(texts, text)
			}
		}
	}
	f.Close()
	scope.SetUser(&raven.User{ID: "u-1", Data: keyed})
	scope.AddBreadcrumb(raven.Breadcrumb{Category: "test", Data: keyed, Message: "about to crash"})
	time.Sleep(200 * time.Millisecond) // let the scope be saved for the crash report

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Not deferred, so that main cannot return before the crash.
		panic("crashed with " + strings.Join(texts, " | "))
	}()
	wg.Wait()
}
