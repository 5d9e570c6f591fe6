package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce  gosync.Once
	binDir   string
	binErr   error
	binClean func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binClean != nil {
		binClean()
	}
	os.Exit(code)
}

// binaries builds the real hcscan and hcserver once (for the tests that
// need them) and returns their folder.
func binaries(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hcscan-bin-")
		if err != nil {
			binErr = err
			return
		}
		binDir, binClean = dir, func() { os.RemoveAll(dir) }
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "hcscan/cmd/hcscan", "hcscan/cmd/hcserver")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + out.String())
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// The scanner binary must not contain the provincial server (the scanner
// side never imports server/): the demo runs hcserver as a separate program.
func TestScannerDoesNotImportServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "hcscan/cmd/hcscan").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 {
		t.Fatalf("go list -deps gave too little: %q", out)
	}
	for _, d := range deps {
		if d == "hcscan/server" || strings.HasPrefix(d, "hcscan/server/") {
			t.Errorf("hcscan/cmd/hcscan depends on %s: the scanner side must not import the server", d)
		}
	}
}

// Without hcserver beside it or on PATH, the demo says what to do.
func TestDemoWithoutHCServer(t *testing.T) {
	bin := binaries(t)
	lone := t.TempDir()
	data, err := os.ReadFile(filepath.Join(bin, "hcscan"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lone, "hcscan"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(filepath.Join(lone, "hcscan"), "demo")
	cmd.Env = append(os.Environ(), "PATH="+t.TempDir(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "make build") || !strings.Contains(string(out), "hcserver") {
		t.Errorf("the message does not say what to do:\n%s", out)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A signal to the demo (here while it waits for Enter) stops the server
// child, waits for it, and removes the demo folder.
func TestDemoSignalStopsServer(t *testing.T) {
	bin := binaries(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(filepath.Join(bin, "hcscan"), "demo", "--seconds", "1")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HCSERVER_DB=")
			stdin, err := cmd.StdinPipe() // never written: the demo waits for Enter
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			pidRe := regexp.MustCompile(`pid (\d+)\) listens on http://(\S+)\.`)
			var pid int
			var addr string
			found := make(chan struct{})
			var seen strings.Builder
			go func() {
				defer io.Copy(io.Discard, stdout)
				r := bufio.NewReader(stdout)
				for {
					line, err := r.ReadString('\n')
					seen.WriteString(line)
					if m := pidRe.FindStringSubmatch(line); m != nil {
						pid, _ = strconv.Atoi(m[1])
						addr = m[2]
					}
					if strings.HasPrefix(line, "Keys:") || err != nil {
						close(found)
						return
					}
				}
			}()
			select {
			case <-found:
			case <-time.After(60 * time.Second):
				t.Fatalf("the demo never got ready; stderr:\n%s", stderr.String())
			}
			if pid == 0 {
				t.Fatalf("no server pid in the demo's guide:\n%s\nstderr:\n%s", seen.String(), stderr.String())
			}
			if c, err := net.Dial("tcp", addr); err != nil {
				t.Fatalf("the server does not answer on %s: %v", addr, err)
			} else {
				c.Close()
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("the demo exited 0 after %v", sig)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("the demo did not end after %v", sig)
			}
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("the server (pid %d) is still there after %v: %v", pid, sig, err)
				syscall.Kill(pid, syscall.SIGKILL)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "hcscan-demo-*")); len(left) != 0 {
				t.Errorf("the demo folder is left behind: %v", left)
			}
		})
	}
}
