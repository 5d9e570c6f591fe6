package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hcscan/healthcode"
	"hcscan/server"
)

func init() {
	register("status", "change codes' colours: `hcserver status set --data D --code-hash H --colour red`", runStatus)
}

func runStatus(args []string) int { return status(args, os.Stdin, os.Stdout, os.Stderr) }

func status(args []string, in io.Reader, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "set" {
		fmt.Fprintln(errOut, "usage: hcserver status set --data DIR (--code-hash H --colour red|yellow|green | --file F)")
		return exitUsage
	}
	fs := flag.NewFlagSet("status set", flag.ContinueOnError)
	fs.SetOutput(errOut)
	data := fs.String("data", "", "data directory of the server (keys and server.db)")
	hash := fs.String("code-hash", "", "the code hash (32 hex digits) as scanners record it")
	colour := fs.String("colour", "", "the new colour: green, yellow or red")
	file := fs.String("file", "", "a file of lines `HASH COLOUR` (# comments; - for standard input)")
	db := dbFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if *data == "" {
		fmt.Fprintln(errOut, "hcserver status set: --data is required")
		return exitUsage
	}
	var changes []server.StatusChange
	switch {
	case *file != "" && (*hash != "" || *colour != ""):
		fmt.Fprintln(errOut, "hcserver status set: give --file or --code-hash/--colour, not both")
		return exitUsage
	case *file != "":
		r := in
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				fmt.Fprintln(errOut, "hcserver status set:", err)
				return exitUsage
			}
			defer f.Close()
			r = f
		}
		var err error
		if changes, err = readStatusChanges(r, *file); err != nil {
			fmt.Fprintln(errOut, "hcserver status set:", err)
			return exitUsage
		}
	default:
		ch, err := parseStatusChange(*hash, *colour)
		if err != nil {
			fmt.Fprintln(errOut, "hcserver status set:", err)
			return exitUsage
		}
		changes = []server.StatusChange{ch}
	}
	var rep server.AdminStatusReply
	err := withServer(context.Background(), *data, *db, func(ctx context.Context, s *server.Server) error {
		var err error
		rep.Seq, rep.Alerts, err = s.SetStatus(ctx, changes)
		return err
	}, func(ctx context.Context) error {
		return server.AdminCall(ctx, *data, server.AdminPathStatus, server.AdminStatusRequest{Changes: changes}, &rep)
	})
	if err != nil {
		fmt.Fprintln(errOut, "hcserver status set:", err)
		return exitUsage
	}
	fmt.Fprintf(out, "%d codes set; status sequence %d; %d provisional passes flagged\n", len(changes), rep.Seq, rep.Alerts)
	return exitOK
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
