package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hcscan/camera"
	"hcscan/internal/trustclock"
)

// hcscanMain runs hcscan's command table as main does, with stdin (nil:
// empty) and the real clock, and no video devices.
func hcscanMain(stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	e := env{stdin: stdin, clock: trustclock.System(), devices: func() []camera.Device { return nil }}
	return program(e).Main(context.Background(), args, stdout, stderr)
}

// Every command: -h and --help print its flags on stderr and exit 0; a
// flag it does not have exits 2 with the same list; neither writes on
// stdout. `hcscan -h` lists every command.
func TestEveryCommandHelp(t *testing.T) {
	want := map[string]string{
		"run": "-camera", "demo": "-seconds", "operator": "-data", "enroll": "-pin-root", "sync": "-retries",
		"verify": "-trust", "decode": "-json", "cameras": "-json", "export": "-format", "doctor": "-repair",
	}
	p := program(env{stdin: strings.NewReader(""), clock: trustclock.System()})
	if len(p.Commands) != len(want) {
		t.Errorf("%d commands, want %d", len(p.Commands), len(want))
	}
	var list bytes.Buffer
	if code := hcscanMain(nil, io.Discard, &list, "-h"); code != 0 {
		t.Errorf("hcscan -h: exit %d", code)
	}
	for _, c := range p.Commands {
		flag, ok := want[c.Name]
		if !ok {
			t.Errorf("command %s has no case here", c.Name)
			continue
		}
		if !strings.Contains(list.String(), "  "+c.Name+" ") {
			t.Errorf("hcscan -h does not list %s:\n%s", c.Name, list.String())
		}
		for _, args := range [][]string{{c.Name, "-h"}, {c.Name, "--help"}} {
			var out, errb bytes.Buffer
			if code := hcscanMain(nil, &out, &errb, args...); code != 0 || out.Len() != 0 || !strings.Contains(errb.String(), flag) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the flags (%s) on stderr", args, code, out.String(), errb.String(), flag)
			}
		}
		var out, errb bytes.Buffer
		args := []string{c.Name, "--no-such-flag"}
		if c.Name == "operator" {
			args = []string{c.Name, "list", "--no-such-flag"}
		}
		if code := hcscanMain(nil, &out, &errb, args...); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), flag) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and the flags", args, code, out.String(), errb.String())
		}
	}
}

// The scanner screen needs a terminal: without one it says so and exits 2
// at once, before it opens anything.
func TestRunWithoutATerminal(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hcscan.db")
	var out, errb bytes.Buffer
	code := hcscanMain(nil, &out, &errb, "run", "--data", data)
	if code != 2 || !strings.Contains(errb.String(), "needs a terminal") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the data file was made: %v", err)
	}
}

// An operator is added with the PIN from standard input, listed, and can
// sign in with it; mistakes in the action or name are usage errors.
func TestOperatorCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hcscan.db")
	var out, errb bytes.Buffer
	if code := hcscanMain(strings.NewReader("2468\n"), &out, &errb, "operator", "add", "王芳", "--data", data); code != 0 ||
		!strings.Contains(out.String(), "operator 王芳 added") {
		t.Fatalf("add: exit %d, %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := hcscanMain(nil, &out, &errb, "operator", "--data", data, "list"); code != 0 || out.String() != "王芳\n" {
		t.Fatalf("list: exit %d, %q", code, out.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"operator"}, "usage: hcscan operator"},
		{[]string{"operator", "remove", "王芳", "--data", data}, `unknown action "remove"`},
		{[]string{"operator", "add", "--data", data}, "give one operator name"},
		{[]string{"operator", "add", "a", "b", "--data", data}, "give one operator name"},
	} {
		var out, errb bytes.Buffer
		if code := hcscanMain(nil, &out, &errb, c.args...); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
	if code := hcscanMain(strings.NewReader(""), &out, &errb, "operator", "add", "李四", "--data", data); code != 2 || !strings.Contains(errb.String(), "no PIN") {
		t.Errorf("add without a PIN: exit %d, %q", code, errb.String())
	}
}

// No file of the program but main.go touches the process's standard
// streams or exits: commands get their writers and return their errors.
func TestCommandsUseTheirWriters(t *testing.T) {
	direct := regexp.MustCompile(`os\.(Stdout|Stderr|Stdin)\b|fmt\.Print(ln|f)?\(|func init\(\)`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "main.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if direct.MatchString(line) {
				t.Errorf("%s:%d: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
