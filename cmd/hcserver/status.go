package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/server"
)

// statusCommand is `hcserver status set`: colour changes, as the provincial
// database would send them, from flags or from the lines of a file (- for
// stdin).
func statusCommand(stdin io.Reader) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return setStatus(ctx, args, stdin, stdout, stderr)
	}
}

func setStatus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "status set", stderr)
	data := fs.String("data", "", "data directory of the server (keys and server.db)")
	hash := fs.String("code-hash", "", "the code hash (32 hex digits) as scanners record it")
	colour := fs.String("colour", "", "the new colour: green, yellow or red")
	file := fs.String("file", "", "a file of lines `HASH COLOUR` (# comments; - for standard input)")
	db := dbFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcserver status set --data DIR (--code-hash H --colour red|yellow|green | --file F)")
		fs.PrintDefaults()
	}
	args, err := subcommand(fs, "set", args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usage(errors.New("--data is required"))
	}
	var changes []server.StatusChange
	switch {
	case *file != "" && (*hash != "" || *colour != ""):
		return usage(errors.New("give --file or --code-hash/--colour, not both"))
	case *file != "":
		r := stdin
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return usage(err)
			}
			defer f.Close()
			r = f
		}
		if changes, err = readStatusChanges(r, *file); err != nil {
			return usage(err)
		}
	default:
		ch, err := parseStatusChange(*hash, *colour)
		if err != nil {
			return usage(err)
		}
		changes = []server.StatusChange{ch}
	}
	var rep server.AdminStatusReply
	err = withServer(ctx, *data, *db, func(ctx context.Context, s *server.Server) error {
		var err error
		rep.Seq, rep.Alerts, err = s.SetStatus(ctx, changes)
		return err
	}, func(ctx context.Context) error {
		return server.AdminCall(ctx, *data, server.AdminPathStatus, server.AdminStatusRequest{Changes: changes}, &rep)
	})
	if err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "%d codes set; status sequence %d; %d provisional passes flagged\n", len(changes), rep.Seq, rep.Alerts)
	return nil
}

func parseStatusChange(hash, colour string) (server.StatusChange, error) {
	h, err := healthcode.ParseCodeHash(strings.TrimSpace(hash))
	if err != nil {
		return server.StatusChange{}, err
	}
	c, err := healthcode.ParseColour(colour)
	if err != nil {
		return server.StatusChange{}, err
	}
	return server.StatusChange{Hash: h, Colour: c}, nil
}

func readStatusChanges(r io.Reader, name string) ([]server.StatusChange, error) {
	var out []server.StatusChange
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s line %d: want `HASH COLOUR`, got %q", name, n, line)
		}
		ch, err := parseStatusChange(f[0], f[1])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, n, err)
		}
		out = append(out, ch)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no `HASH COLOUR` lines", name)
	}
	return out, nil
}
