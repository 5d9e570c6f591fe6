// Command hcserver is the reference provincial server: enrolment of scanners,
// the issuer trust list, code status, record ingest, the institution portal
// and close-contact tracing; it also issues test codes.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hcscan/internal/cli"
)

func main() {
	// SIGINT and SIGTERM end ctx: serve shuts down gracefully, a command
	// waiting on a server gives up. A second signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := program(os.Stdin).Main(ctx, os.Args[1:], cli.TerminalWriter(os.Stdout), cli.TerminalWriter(os.Stderr))
	stop()
	os.Exit(code)
}

// program is hcserver's table of commands; stdin is what `status set
// --file -` reads.
func program(stdin io.Reader) *cli.Program {
	return &cli.Program{
		Name:  "hcserver",
		Intro: "Start with `hcserver keys init --dir D`.",
		Commands: []cli.Command{
			{Name: "keys", Summary: "make the province's keys: `hcserver keys init --dir D`", Run: runKeys},
			{Name: "trust-list", Summary: "write the signed trust list: `hcserver trust-list --dir D`", Run: runTrustList},
			{Name: "issue", Summary: "issue a test code: `hcserver issue --dir D --colour green --name 张三 --id 1101... [--id-type resident]`", Run: runIssue},
			{Name: "serve", Summary: "run the provincial server: `hcserver serve --data D --addr 127.0.0.1:8080 [--db postgres://...]`", Run: runServe},
			{Name: "token", Summary: "make an enrolment token (`--institution I --gate G`) or a portal login (`--portal`, `--viewer`, `--tracing`, `--province`)", Run: runToken},
			{Name: "prune", Summary: "drop the days of records older than the retention period: `hcserver prune --db URL --keep-days 90`", Run: runPrune},
			{Name: "institution", Summary: "institutions that applied on the portal: `hcserver institution list|approve NAME|refuse NAME --data D`", Run: runInstitution},
			{Name: "status", Summary: "change codes' colours: `hcserver status set --data D --code-hash H --colour red`", Run: statusCommand(stdin)},
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
	return cli.Exit(cli.ExitUsage)
}

// usage is a failure that exits 2 with err as its message: every hcserver
// failure is one (bad flags, missing keys, a database that does not open).
func usage(err error) error {
	return &cli.ExitError{Code: cli.ExitUsage, Err: err}
}

// subcommand takes the verb of a command such as `keys init`: ok when
// args start with it (args are then the rest). With no verb, or another
// one, it prints the usage line and the flags; -h alone is help (exit 0).
func subcommand(fs *flag.FlagSet, verb string, args []string) (rest []string, err error) {
	if len(args) > 0 && args[0] == verb {
		return args[1:], nil
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fs.Usage()
		return nil, flag.ErrHelp
	}
	fs.Usage()
	return nil, cli.Exit(cli.ExitUsage)
}
