package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"hcscan/server"
)

func init() {
	register("token", "make an enrolment token (`--institution I --gate G`) or a portal login (`--portal`)", runToken)
}

func runToken(args []string) int { return token(args, os.Stdout, os.Stderr) }

// token prints the token alone on out, so scripts can capture it.
func token(args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(errOut)
	data := fs.String("data", "", "data directory of the server (keys and server.db)")
	inst := fs.String("institution", "", "the institution the token is for")
	gate := fs.String("gate", "", "the gate a scanner enrolled with this token stands at")
	portal := fs.Bool("portal", false, "make a portal login token for the institution instead of an enrolment token")
	tracing := fs.Bool("tracing", false, "make a portal login for provincial tracing staff: it may also open the sealed identities of manual entries (audited)")
	db := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	switch {
	case *data == "":
		fmt.Fprintln(errOut, "hcserver token: --data is required")
		return exitUsage
	case *inst == "":
		fmt.Fprintln(errOut, "hcserver token: --institution is required")
		return exitUsage
	case *portal && *tracing:
		fmt.Fprintln(errOut, "hcserver token: give --portal or --tracing, not both")
		return exitUsage
	case !*portal && !*tracing && *gate == "":
		fmt.Fprintln(errOut, "hcserver token: --gate is required for an enrolment token (or use --portal or --tracing)")
		return exitUsage
	}
	req := server.AdminTokenRequest{Kind: server.TokenEnroll, Institution: *inst, Gate: *gate}
	if *portal {
		req.Kind, req.Gate = server.TokenPortal, ""
	}
	if *tracing {
		req.Kind, req.Gate = server.TokenTracing, ""
	}
	var text string
	err := withServer(context.Background(), *data, *db, func(ctx context.Context, s *server.Server) error {
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
		fmt.Fprintln(errOut, "hcserver token:", err)
		return exitUsage
	}
	fmt.Fprintln(out, text)
	return exitOK
}
