// Command outboxapp is a program using raven's outbox; the outbox tests
// build it and end it in the way its arguments name:
//
//	outboxapp burst N kill       capture N events, print their ids, wait to be killed
//	outboxapp burst N exit       capture N events, print their ids, os.Exit(0) 200 ms later without Close
//	outboxapp burst N exit-now   capture N events, print their ids, os.Exit(0) at once without Close
//	outboxapp hold FILE          take the advisory lock of FILE, print "locked", wait to be killed
//
// The DSN comes from SENTRY_DSN; RAVEN_TEST_OUTBOX names the outbox
// directory. After the ids, "captured" is printed on a line of its own.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ravenkit/raven"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "hold" {
		if err := hold(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "outboxapp:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		select {}
	}
	if len(os.Args) != 4 || os.Args[1] != "burst" {
		fmt.Fprintln(os.Stderr, "usage: outboxapp burst N kill|exit|exit-now | outboxapp hold FILE")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "outboxapp:", err)
		os.Exit(2)
	}
	c, err := raven.New(raven.WithOutbox(os.Getenv("RAVEN_TEST_OUTBOX")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "outboxapp:", err)
		os.Exit(2)
	}
	ids := make([]raven.EventID, n)
	for i := range ids {
		ids[i] = c.CaptureMessage("burst event " + strconv.Itoa(i))
	}
	w := bufio.NewWriter(os.Stdout)
	for _, id := range ids {
		fmt.Fprintln(w, id)
	}
	fmt.Fprintln(w, "captured")
	w.Flush()
	switch os.Args[3] {
	case "kill":
		select {}
	case "exit":
		time.Sleep(200 * time.Millisecond)
		os.Exit(0)
	case "exit-now":
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "outboxapp: unknown ending", os.Args[3])
	os.Exit(2)
}
