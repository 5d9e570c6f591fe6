package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestEveryCommandHelp: `hcserver CMD -h` prints that command's flags on
// stderr and exits 0; a flag it does not have exits 2 with the same list;
// no command writes anything on stdout for either.
func TestEveryCommandHelp(t *testing.T) {
	p := program(strings.NewReader(""))
	want := map[string]string{
		"keys": "-regions", "trust-list": "-dir", "issue": "-colour", "serve": "-admin-addr",
		"token": "-institution", "status": "-code-hash", "prune": "-keep-days", "institution": "-note",
	}
	if len(p.Commands) != len(want) {
		t.Errorf("%d commands, want %d", len(p.Commands), len(want))
	}
	for _, c := range p.Commands {
		flag, ok := want[c.Name]
		if !ok {
			t.Errorf("command %s has no case here", c.Name)
			continue
		}
		for _, args := range [][]string{{c.Name, "-h"}, {c.Name, "--help"}} {
			var out, errb bytes.Buffer
			if code := p.Main(context.Background(), args, &out, &errb); code != 0 || out.Len() != 0 || !strings.Contains(errb.String(), flag) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the flags (%s) on stderr", args, code, out.String(), errb.String(), flag)
			}
		}
		var out, errb bytes.Buffer
		args := []string{c.Name, "--no-such-flag"}
		if verb, ok := map[string]string{"keys": "init", "status": "set", "institution": "list"}[c.Name]; ok {
			args = []string{c.Name, verb, "--no-such-flag"}
		}
		if code := p.Main(context.Background(), args, &out, &errb); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), flag) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the flags", args, code, errb.String())
		}
	}
	// A verb missing or wrong: the usage line and flags, exit 2.
	for _, args := range [][]string{{"keys"}, {"keys", "make"}, {"status"}, {"status", "get"}, {"institution"}, {"institution", "delete"}} {
		var out, errb bytes.Buffer
		if code := p.Main(context.Background(), args, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: hcserver "+args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := p.Main(context.Background(), []string{"-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "trust-list") {
		t.Errorf("hcserver -h: %d %q", code, errb.String())
	}
}
