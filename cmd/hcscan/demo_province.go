package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"syscall"
	"time"
)

// The demo's province is the real server program, `hcserver`, run as a
// child process: the scanner side never imports `server/`, so the scanner
// binary holds no server code (demo_test.go checks the import graph).

// errNoHCServer says what to do when the server program is missing.
var errNoHCServer = errors.New("the demo runs the provincial server program `hcserver`, which is neither beside this hcscan nor on PATH: " +
	"build both with `make build` (they go into bin/) and run bin/hcscan demo, or give --hcserver FILE")

// findHCServer finds the hcserver program: beside this executable first
// (bin/hcscan and bin/hcserver from `make build`), else on PATH.
func findHCServer() (string, error) {
	name := "hcserver"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), name)
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("hcserver"); err == nil {
		return p, nil
	}
	return "", errNoHCServer
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && (runtime.GOOS == "windows" || st.Mode().Perm()&0o111 != 0)
}

// hcserver runs one short hcserver command and returns what it printed on
// stdout, trimmed; a failure carries what it said on stderr.
func hcserver(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		name := "hcserver"
		if len(args) > 0 {
			name += " " + args[0]
		}
		return "", fmt.Errorf("%s: %s", name, msg)
	}
	return strings.TrimSpace(out.String()), nil
}

// serverProcess is `hcserver serve` running as the demo's child.
type serverProcess struct {
	URL  string
	Pid  int
	cmd  *exec.Cmd
	done chan struct{} // closed once the child has been waited for
	once gosync.Once
}

// servePrefix starts the line in which `hcserver serve` says its address.
const servePrefix = "serving scanners and the portal on "

// startServer starts `hcserver serve` with args and waits until it says
// the address it listens on. Everything it prints also goes to logw. The
// child is in its own process group (a terminal's Ctrl-C or hangup reaches
// only the demo, which stops it in order) and, on Linux, is killed if the
// demo dies without stopping it. The caller calls Stop on every path.
func startServer(ctx context.Context, bin string, args []string, logw io.Writer) (*serverProcess, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Stdout = w
	tail := &tailBuffer{max: 2000}
	cmd.Stderr = io.MultiWriter(logw, tail)
	cmd.SysProcAttr = childProcAttr()
	p := &serverProcess{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is tied to the thread that started
		// the child: keep this goroutine on its thread while the child runs.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(p.done)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
	}()
	err = <-started
	w.Close() // the child holds its own copy
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	p.Pid = cmd.Process.Pid

	addr := make(chan string, 1)
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logw, "hcserver serve:", line)
			if rest, ok := strings.CutPrefix(line, servePrefix); ok {
				u, _, _ := strings.Cut(rest, " ")
				select {
				case addr <- strings.TrimSuffix(u, "/"):
				default:
				}
			}
		}
		io.Copy(io.Discard, r)
	}()
	fail := func(err error) (*serverProcess, error) {
		p.Stop()
		return nil, err
	}
	select {
	case p.URL = <-addr:
		return p, nil
	case <-p.done:
		return fail(fmt.Errorf("hcserver serve ended at once: %s", strings.TrimSpace(tail.String())))
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-time.After(30 * time.Second):
		return fail(fmt.Errorf("hcserver serve did not say its address within 30 s: %s", strings.TrimSpace(tail.String())))
	}
}

// Stop ends the server (SIGTERM, then SIGKILL after a few seconds) and
// waits for it. It may be called more than once and from any goroutine.
func (p *serverProcess) Stop() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	<-p.done
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  gosync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
