// Command hcscan is the health pass scanner for a door: it reads QR codes
// from a camera, verifies them offline, records each check and uploads the
// records to the provincial server.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // gate.time_zone works on a laptop without a zone database

	"hcscan/camera"
	"hcscan/internal/cli"
	"hcscan/internal/trustclock"
)

const (
	exitOK      = cli.ExitOK
	exitInvalid = cli.ExitInvalid
	exitUsage   = cli.ExitUsage
)

func main() {
	// SIGINT and SIGTERM end ctx: a sync stops where it is (what the server
	// acknowledged stays done), the screen closes and gives the terminal
	// back. A second signal ends the process at once. The screen and the
	// demo also end on SIGHUP and when their terminal hangs up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := program(env{stdin: os.Stdin, clock: trustclock.System(), devices: camera.ListDevices}).Main(ctx, os.Args[1:], cli.TerminalWriter(os.Stdout), cli.TerminalWriter(os.Stderr))
	stop()
	os.Exit(code)
}

// env is what the commands take from the process besides their arguments
// and writers: standard input (a token, a PIN, a payload; the terminal the
// screen runs in), the machine's clocks and the video devices. Tests give
// their own.
type env struct {
	stdin   io.Reader
	clock   trustclock.Source
	devices func() []camera.Device
}

// now is the laptop's clock, for what has no data file to check it by.
func (e env) now() time.Time { return e.clock.Wall() }

// program is hcscan's table of commands, in the order the usage lists them.
func program(e env) *cli.Program {
	return &cli.Program{
		Name: "hcscan", Default: "run",
		Intro: "With no command hcscan opens the scanner screen (same as `hcscan run`).",
		Commands: []cli.Command{
			{Name: "run", Summary: "open the scanner screen (the default command)", Run: e.run},
			{Name: "demo", Summary: "the scanner screen on a generated video of people at a gate, with a local provincial server", Run: e.demo},
			{Name: "operator", Summary: "add or list the operators who may sign in: `hcscan operator add NAME`", Run: e.operator},
			{Name: "enroll", Summary: "enrol this scanner with the provincial server: `hcscan enroll --server URL --token T`", Run: e.enroll},
			{Name: "sync", Summary: "upload waiting records and fetch trust and status data once, with progress", Run: e.sync},
			{Name: "verify", Summary: "verify a code offline: `hcscan verify --trust FILE [PAYLOAD|-]`", Run: e.verify},
			{Name: "decode", Summary: "decode QR codes in images, folders of images or video files", Run: e.decode},
			{Name: "cameras", Summary: "list the video devices and what each delivers", Run: e.cameras},
			{Name: "export", Summary: "write the institution's own records (masked) as CSV or JSON lines", Run: e.export},
			{Name: "doctor", Summary: "check the data file; --repair moves a damaged one aside and starts a new one", Run: e.doctor},
		},
	}
}

// parseFlags reads a command's flags: -h prints them and ends with exit 0;
// a bad flag, which the flag package has already explained with the
// command's flags, ends with exit 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return cli.Exit(exitUsage)
}

// usage is a failure that exits 2 with err as its message (bad flags, a
// missing or unreadable file, a configuration that does not load).
func usage(err error) error {
	return &cli.ExitError{Code: exitUsage, Err: err}
}
