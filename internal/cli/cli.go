// Package cli is the small subcommand dispatcher shared by hcscan and
// hcserver. Each program's main builds its table of Commands explicitly.
package cli

import (
	"fmt"
	"io"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	ExitOK      = 0
	ExitInvalid = 1 // the input was read but is not acceptable (e.g. an invalid code)
	ExitUsage   = 2 // bad flags, missing files, bad configuration
)

type command struct {
	summary string
	run     func(args []string) int
}

// Program is a binary with subcommands.
type Program struct {
	Name    string
	Default string // the command run with no arguments
	Intro   string // a line printed before the command list
	Stderr  io.Writer

	// Commands is the program's table, in the order the usage lists it.
	Commands []Command

	commands map[string]command
}

// Register adds a command.
func (p *Program) Register(name, summary string, run func(args []string) int) {
	if p.commands == nil {
		p.commands = map[string]command{}
	}
	p.commands[name] = command{summary: summary, run: run}
}

// Has reports whether a command is registered.
func (p *Program) Has(name string) bool { _, ok := p.commands[name]; return ok }

// Usage prints the command list.
func (p *Program) Usage() {
	fmt.Fprintf(p.Stderr, "usage: %s [COMMAND] [FLAGS]\n", p.Name)
	if p.Intro != "" {
		fmt.Fprintf(p.Stderr, "\n%s\n", p.Intro)
	}
	fmt.Fprintln(p.Stderr, "\nCommands:")
	names := make([]string, 0, len(p.commands))
	for n := range p.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(p.Stderr, "  %-10s %s\n", n, p.commands[n].summary)
	}
	fmt.Fprintf(p.Stderr, "\nRun `%s COMMAND -h` for the flags of one command.\n", p.Name)
}

// Dispatch runs the command named by args[0] and returns its exit code.
func (p *Program) Dispatch(args []string) int {
	name := p.Default
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "", "-h", "--help", "help":
		p.Usage()
		return ExitOK
	}
	c, ok := p.commands[name]
	if !ok {
		fmt.Fprintf(p.Stderr, "%s: unknown command %q\n\n", p.Name, name)
		p.Usage()
		return ExitUsage
	}
	return c.run(args)
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
