package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandFlags is a subcommand's flag set. Its help spells every flag the
// way the usage lines do: --name, or -x for one letter.
type commandFlags struct {
	*flag.FlagSet
	synopsis string
}

func newFlagSet(name, synopsis string, stderr io.Writer) *commandFlags {
	fs := &commandFlags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), synopsis: synopsis}
	fs.SetOutput(stderr)
	fs.Usage = fs.printUsage
	return fs
}

func (fs *commandFlags) printUsage() {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: %s\n\nFlags:\n", fs.synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		arg, help := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool && arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
			help += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  %-28s %s\n", name, help)
	})
	fmt.Fprint(w, exitCodesHelp)
}

// parse parses args, flags before and after the other arguments (but
// those after "--", or after the first one when interspersed is false),
// and returns the other arguments. done is true when the command must
// return code: help was asked for, or a flag was wrong.
func (fs *commandFlags) parse(args []string, interspersed bool, stdout io.Writer) (rest []string, code int, done bool) {
	for _, a := range args {
		if a == "--" || !interspersed && !strings.HasPrefix(a, "-") {
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK, true
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitUsage, true
		}
		left := fs.Args()
		if n := len(args) - len(left); !interspersed || len(left) == 0 || n > 0 && args[n-1] == "--" {
			return append(rest, left...), 0, false
		}
		rest = append(rest, left[0]) // a positional argument: flags may follow
		args = left[1:]
	}
}

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t tagFlag) String() string { return "" }

func (t tagFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("tag %q is not KEY=VALUE", v)
	}
	t[k] = val
	return nil
}
