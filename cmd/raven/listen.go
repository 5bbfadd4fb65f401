package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/eventprint"
	"github.com/ravenkit/raven/raventest"
)

const listenSynopsis = "raven listen [--addr 127.0.0.1:PORT] [--key KEY]"

// defaultListenAddr is where raven listen receives events unless told.
const defaultListenAddr = "127.0.0.1:8990"

// listen runs raventest's receiver behind addr and prints every event it
// accepts, until interrupted. What it received stays in memory: it is a
// development tool.
func listen(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("listen", listenSynopsis, stderr)
	addr := fs.String("addr", defaultListenAddr, "`HOST:PORT` to receive events on (port 0 picks a free one)")
	key := fs.String("key", "raven", "public `KEY` of the DSN senders must use")
	rest, code, done := fs.parse(args, true, stdout)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "raven listen: unexpected argument %q; usage: %s\n", rest[0], listenSynopsis)
		return exitUsage
	}
	if *key == "" || strings.ContainsAny(*key, "@/:, \t") {
		fmt.Fprintf(stderr, "raven listen: the key %q cannot be written in a DSN\n", *key)
		return exitUsage
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "raven listen:", err)
		return exitFailed
	}
	recv, err := raventest.Start(raventest.WithKey(*key))
	if err != nil {
		l.Close()
		fmt.Fprintln(stderr, "raven listen:", err)
		return exitFailed
	}
	defer recv.Close()
	target, err := url.Parse(recv.URL())
	if err != nil {
		l.Close()
		fmt.Fprintln(stderr, "raven listen:", err)
		return exitFailed
	}
	pr := &printing{recv: recv, out: stdout, errOut: stderr}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = pr.answered
	proxy.ErrorLog = log.New(stderr, "raven listen: ", 0)
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}

	host := dsnHost(l.Addr().(*net.TCPAddr))
	fmt.Fprintf(stdout, "raven listen: receiving events at http://%s (Ctrl-C stops)\n", host)
	fmt.Fprintf(stdout, "DSN: http://%s@%s/%s\n\n", *key, host, raventest.ProjectID)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case <-sigs:
	case err := <-served:
		fmt.Fprintln(stderr, "raven listen:", err)
		return exitFailed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	<-served
	return exitOK
}

// dsnHost is the host:port a sender reaches a listener on: the loopback
// address when it listens on every interface.
func dsnHost(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// printing prints what the receiver accepted, after each answer.
type printing struct {
	recv        *raventest.Server
	out, errOut io.Writer

	mu                sync.Mutex
	events, envelopes int // how many were printed
}

// answered runs when the receiver has answered a request: the events it
// recorded are printed, a refusal is said on stderr.
func (p *printing) answered(resp *http.Response) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if resp.StatusCode/100 != 2 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		if err == nil {
			fmt.Fprintf(p.errOut, "raven listen: refused %s %s: %d %s\n", resp.Request.Method, resp.Request.URL.Path,
				resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	}
	for _, env := range p.recv.Envelopes()[p.envelopes:] {
		p.envelopes++
		var kinds []string
		for _, it := range env.Items {
			if it.Type == raven.ItemEvent {
				kinds = nil
				break
			}
			kinds = append(kinds, string(it.Type))
		}
		if len(kinds) == 0 {
			continue
		}
		fmt.Fprintf(p.out, "── %s (not printed)\n\n", strings.Join(kinds, ", "))
	}
	evs := p.recv.Events()
	for _, ev := range evs[p.events:] {
		eventprint.Fprint(p.out, ev)
	}
	p.events = len(evs)
	return nil
}
