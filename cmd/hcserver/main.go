// Command hcserver is the reference provincial server: enrolment of scanners,
// the issuer trust list, code status, record ingest, the institution portal
// and close-contact tracing; it also issues test codes.
package main

import (
	"os"

	"hcscan/internal/cli"
)

const (
	exitOK      = cli.ExitOK
	exitInvalid = cli.ExitInvalid
	exitUsage   = cli.ExitUsage
)

var program = &cli.Program{
	Name: "hcserver", Stderr: os.Stderr,
	Intro: "Start with `hcserver keys init --dir D`.",
}

// register is called from each subcommand's own file.
func register(name, summary string, run func(args []string) int) {
	program.Register(name, summary, run)
}

func main() {
	os.Exit(program.Dispatch(os.Args[1:]))
}
