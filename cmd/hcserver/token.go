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
	viewer := fs.Bool("viewer", false, "make a portal login that reads the institution's records and changes nothing")
	province := fs.Bool("province", false, "make a portal login of the provincial office, which approves institutions (no --institution)")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	req := server.AdminTokenRequest{Kind: server.TokenEnroll, Institution: *inst, Gate: *gate}
	kinds := 0
	for _, k := range []struct {
		on   bool
		kind string
	}{{*portal, server.TokenPortal}, {*tracing, server.TokenTracing}, {*viewer, server.TokenViewer}, {*province, server.TokenProvince}} {
		if k.on {
			kinds++
			req.Kind, req.Gate = k.kind, ""
		}
	}
	switch {
	case *data == "":
		return usage(errors.New("--data is required"))
	case kinds > 1:
		return usage(errors.New("give one of --portal, --viewer, --tracing and --province"))
	case *province && *inst != "":
		return usage(errors.New("a --province login is for no institution: leave out --institution"))
	case !*province && *inst == "":
		return usage(errors.New("--institution is required"))
	case kinds == 0 && *gate == "":
		return usage(errors.New("--gate is required for an enrolment token (or use --portal, --viewer, --tracing or --province)"))
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
