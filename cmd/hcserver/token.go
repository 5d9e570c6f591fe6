package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"hcscan/internal/cli"
	"hcscan/server"
)

// runToken is `hcserver token`: an enrolment token or a portal login,
// printed alone on stdout so scripts can capture it.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "token", stderr)
	data := fs.String("data", "", "data directory of the server (keys and server.db)")
	inst := fs.String("institution", "", "the institution the token is for")
	gate := fs.String("gate", "", "the gate a scanner enrolled with this token stands at")
	portal := fs.Bool("portal", false, "make a portal login token for the institution instead of an enrolment token")
	tracing := fs.Bool("tracing", false, "make a portal login for provincial tracing staff: it may also open the sealed identities of manual entries (audited)")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *data == "":
		return usage(errors.New("--data is required"))
	case *inst == "":
		return usage(errors.New("--institution is required"))
	case *portal && *tracing:
		return usage(errors.New("give --portal or --tracing, not both"))
	case !*portal && !*tracing && *gate == "":
		return usage(errors.New("--gate is required for an enrolment token (or use --portal or --tracing)"))
	}
	req := server.AdminTokenRequest{Kind: server.TokenEnroll, Institution: *inst, Gate: *gate}
	if *portal {
		req.Kind, req.Gate = server.TokenPortal, ""
	}
	if *tracing {
		req.Kind, req.Gate = server.TokenTracing, ""
	}
	var text string
	err := withServer(ctx, *data, *db, func(ctx context.Context, s *server.Server) error {
		t, _, err := s.NewToken(ctx, req.Kind, req.Institution, req.Gate)
		text = t
		return err
	}, func(ctx context.Context) error {
		var rep server.AdminTokenReply
		err := server.AdminCall(ctx, *data, server.AdminPathToken, req, &rep)
		text = rep.Token
		return err
	})
	if err != nil {
		return usage(err)
	}
	fmt.Fprintln(stdout, text)
	return nil
}
