// Package cli is the small subcommand dispatcher shared by hcscan and
// hcserver. Each program's main builds its table of Commands explicitly.
package cli

import (
	"fmt"
	"io"
)

// Exit codes shared by every subcommand.
const (
	ExitOK      = 0
	ExitInvalid = 1 // the input was read but is not acceptable (e.g. an invalid code)
	ExitUsage   = 2 // bad flags, missing files, bad configuration
)

// Program is a binary with subcommands.
type Program struct {
	Name    string
	Default string // the command run with no arguments
	Intro   string // a line printed before the command list

	// Commands is the program's table, in the order the usage lists it.
	Commands []Command
}

// usage prints the command list of the Commands table.
func (p *Program) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s [COMMAND] [FLAGS]\n", p.Name)
	if p.Intro != "" {
		fmt.Fprintf(w, "\n%s\n", p.Intro)
	}
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range p.Commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nRun `%s COMMAND -h` for the flags of one command.\n", p.Name)
}
