// Command hcserver is the reference provincial server: enrolment of scanners,
// the issuer trust list, code status, record ingest, the institution portal
// and close-contact tracing; it also issues test codes.
package main

import (
	"fmt"
	"os"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitInvalid = 1 // the input was read but is not acceptable (e.g. an invalid code)
	exitUsage   = 2 // bad flags, missing files, bad configuration
)

type command struct {
	name    string
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

// register is called from each subcommand's file so that the files do not
// collide when several are added at once.
func register(name, summary string, run func(args []string) int) {
	commands[name] = command{name: name, summary: summary, run: run}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: hcserver [COMMAND] [FLAGS]")
	fmt.Fprintln(os.Stderr, "\nStart with `hcserver keys init --dir D`.")
	fmt.Fprintln(os.Stderr, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `hcserver COMMAND -h` for the flags of one command.")
}

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	name := "help"
	if len(args) > 0 {
		name = args[0]
		args = args[1:]
	}
	switch name {
	case "-h", "--help", "help":
		usage()
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "hcserver: unknown command %q\n\n", name)
		usage()
		return exitUsage
	}
	return c.run(args)
}
