package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"hcscan/internal/cli"
	"hcscan/server"
)

// runInstitution is `hcserver institution list|approve|refuse`: the
// province decides on the institutions that applied on the portal.
func runInstitution(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "institution", stderr)
	data := fs.String("data", "", "data directory of the server (keys and server.db)")
	state := fs.String("state", "", "list only institutions in this state: pending, approved or refused")
	note := fs.String("note", "", "the reason of a refusal, shown to the institution")
	db := dbFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcserver institution list [--state S] | approve NAME | refuse NAME [--note WHY]  --data D [--db URL]")
		fs.PrintDefaults()
	}
	action := ""
	for _, verb := range []string{"list", "approve", "refuse"} {
		if len(args) > 0 && args[0] == verb {
			action = verb
		}
	}
	rest, err := subcommand(fs, action, args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	req := server.AdminInstitutionRequest{Action: action, State: *state, Note: *note}
	switch {
	case *data == "":
		return usage(errors.New("--data is required"))
	case action != "list" && fs.NArg() != 1:
		return usage(fmt.Errorf("institution %s: give the institution's name", action))
	case action != "list":
		req.Name = fs.Arg(0)
	}
	var rep server.AdminInstitutionReply
	err = withServer(ctx, *data, *db, func(ctx context.Context, s *server.Server) error {
		var err error
		rep, err = s.AdminInstitution(ctx, req)
		return err
	}, func(ctx context.Context) error {
		return server.AdminCall(ctx, *data, server.AdminPathInstitution, req, &rep)
	})
	if err != nil {
		return usage(err)
	}
	for _, in := range rep.Institutions {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s %s\t%s\n", in.Name, in.State, in.Kind, in.Applied.Format("2006-01-02 15:04"), in.Contact, in.Phone, in.Address)
	}
	return nil
}
