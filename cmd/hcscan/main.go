// Command hcscan is the health pass scanner for a door: it reads QR codes
// from a camera, verifies them offline, records each check and uploads the
// records to the provincial server.
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
	fmt.Fprintln(os.Stderr, "usage: hcscan [COMMAND] [FLAGS]")
	fmt.Fprintln(os.Stderr, "\nWith no command hcscan opens the scanner screen (same as `hcscan run`).")
	fmt.Fprintln(os.Stderr, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `hcscan COMMAND -h` for the flags of one command.")
}

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	name := "run"
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
		fmt.Fprintf(os.Stderr, "hcscan: unknown command %q\n\n", name)
		usage()
		return exitUsage
	}
	return c.run(args)
}
