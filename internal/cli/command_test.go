package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestMainExitCodesAndMessages(t *testing.T) {
	var got []string
	p := &Program{Name: "prog", Default: "run", Commands: []Command{
		{Name: "run", Summary: "the default", Run: func(_ context.Context, args []string, stdout, _ io.Writer) error {
			got = args
			_, err := io.WriteString(stdout, "ran\n")
			return err
		}},
		{Name: "fail", Summary: "fails", Run: func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("disk full")
		}},
		{Name: "usage", Summary: "bad flags", Run: func(context.Context, []string, io.Writer, io.Writer) error {
			return Usagef("--data is required")
		}},
		{Name: "quiet", Summary: "said it already", Run: func(_ context.Context, _ []string, _, stderr io.Writer) error {
			io.WriteString(stderr, "own message\n")
			return Exit(ExitInvalid)
		}},
		{Name: "flags", Summary: "has flags", Run: func(_ context.Context, args []string, _, stderr io.Writer) error {
			fs := FlagSet("prog", "flags", stderr)
			fs.String("data", "", "the data file")
			return fs.Parse(args)
		}},
	}}
	for _, c := range []struct {
		args       []string
		code       int
		out, errIn string
	}{
		{nil, 0, "ran\n", ""},
		{[]string{"run", "x"}, 0, "ran\n", ""},
		{[]string{"fail"}, 1, "", "prog fail: disk full"},
		{[]string{"usage"}, 2, "", "prog usage: --data is required"},
		{[]string{"quiet"}, 1, "", "own message\n"},
		{[]string{"flags", "-h"}, 0, "", "-data"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"help"}, 0, "", "run        the default"},
	} {
		var out, errb bytes.Buffer
		code := p.Main(context.Background(), c.args, &out, &errb)
		if code != c.code || out.String() != c.out || !strings.Contains(errb.String(), c.errIn) {
			t.Errorf("%v: code %d out %q err %q; want %d %q containing %q", c.args, code, out.String(), errb.String(), c.code, c.out, c.errIn)
		}
		if c.code == 1 && strings.Count(errb.String(), "\n") > 1 {
			t.Errorf("%v: more than one line on stderr: %q", c.args, errb.String())
		}
	}
	if len(got) != 1 || got[0] != "x" {
		t.Errorf("run got args %v", got)
	}
}
