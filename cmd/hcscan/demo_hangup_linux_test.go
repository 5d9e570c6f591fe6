package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	gosync "sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal of cols×rows: the master, and the
// terminal a program is given.
func openPTY(t *testing.T, cols, rows uint16) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), req, uintptr(arg)); e != 0 {
			t.Fatalf("ioctl %#x: %v", req, e)
		}
	}
	var unlock int32
	ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n))
	ws := [4]uint16{rows, cols, 0, 0}
	ioctl(syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	return master, tty
}

// syncBuffer is a buffer written by one goroutine and read by another.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The terminal going away while the scanner screen is open (a closed
// window, a killed tmux session) ends the demo in order even when nobody
// sends it SIGHUP: here, as under `make demo`, the session leader is a
// shell that only notes the hangup and waits. The server child is stopped
// and the demo folder removed.
func TestDemoTerminalHangup(t *testing.T) {
	bin := binaries(t)
	master, tty := openPTY(t, 100, 30)
	defer master.Close()
	tmp := t.TempDir()
	cmd := exec.Command("sh", "-c", `trap ":" HUP; "$0" demo --seconds 1; echo "demo exit $?"`, filepath.Join(bin, "hcscan"))
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HCSERVER_DB=", "TERM=xterm", "LC_ALL=", "LC_MESSAGES=", "LANG=zh_CN.UTF-8")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	defer cmd.Process.Kill()
	var screen syncBuffer
	go func() {
		var b [4096]byte
		for {
			n, err := master.Read(b[:])
			screen.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	wait := func(s string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !bytes.Contains([]byte(screen.String()), []byte(s)) {
			if time.Now().After(deadline) {
				out := screen.String()
				t.Fatalf("the terminal never showed %q:\n%s", s, out[max(0, len(out)-3000):])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("Press Enter")
	m := regexp.MustCompile(`pid (\d+)\) listens`).FindStringSubmatch(screen.String())
	if m == nil {
		t.Fatalf("no server pid in the guide:\n%s", screen.String())
	}
	pid, _ := strconv.Atoi(m[1])
	master.Write([]byte("\r"))
	wait("操作员登录") // the sign-in screen, in Chinese for a Chinese locale

	// The demo's operator and PIN are filled in: Enter signs in.
	time.Sleep(200 * time.Millisecond)
	master.Write([]byte("\r"))
	wait("TEMPERATURE") // signed in, the video plays, the first person is asked for a temperature

	master.Close() // the terminal hangs up
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the demo did not end when its terminal hung up")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the server (pid %d) is still there after the hangup: %v", pid, err)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "hcscan-demo-*")); len(left) != 0 {
		t.Errorf("the demo folder is left behind: %v", left)
	}
}
