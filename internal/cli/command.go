package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Command is one subcommand, a plain value in the table that main builds.
// Run reads its flags from args, writes only to stdout and stderr, and ends
// when ctx ends. Its error decides the exit code (see Exit).
type Command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// ExitError carries an exit code. With Err set, Main prints it on stderr
// ("hcscan sync: ..."); without, the command already said what went wrong.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit is an error that ends the program with code after the command has
// printed its own message (nil for code 0).
func Exit(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// Usagef is a usage error (exit 2) with a message Main prints.
func Usagef(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// Invalidf is an "input not acceptable" error (exit 1) with a message.
func Invalidf(format string, a ...any) error {
	return &ExitError{Code: ExitInvalid, Err: fmt.Errorf(format, a...)}
}

// ExitCode is the exit code for a command's error: 0 for nil or -h, the
// code of an ExitError, and 1 for any other error.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	}
	return ExitInvalid
}

// Main runs the command named by args[0] (the default with no arguments),
// prints its error, if any, and returns the exit code.
func (p *Program) Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := p.Default
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "", "-h", "--help", "help":
		p.usage(stderr)
		return ExitOK
	}
	c, ok := p.find(name)
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", p.Name, name)
		p.usage(stderr)
		return ExitUsage
	}
	err := c.Run(ctx, args, stdout, stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", p.Name, name, err)
		}
	}
	return ExitCode(err)
}

func (p *Program) find(name string) (Command, bool) {
	for _, c := range p.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// FlagSet is a flag set for one command that prints its usage on stderr
// and returns errors instead of exiting, so -h works on every subcommand.
func FlagSet(program, command string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(program+" "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
