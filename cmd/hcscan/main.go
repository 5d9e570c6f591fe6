// Command hcscan is the health pass scanner for a door: it reads QR codes
// from a camera, verifies them offline, records each check and uploads the
// records to the provincial server.
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
	Name: "hcscan", Default: "run", Stderr: os.Stderr,
	Intro: "With no command hcscan opens the scanner screen (same as `hcscan run`).",
}

// register is called from each subcommand's own file.
func register(name, summary string, run func(args []string) int) {
	program.Register(name, summary, run)
}

func main() {
	os.Exit(program.Dispatch(os.Args[1:]))
}
