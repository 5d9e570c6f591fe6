package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"hcscan/healthcode"
)

// childEnv selects a child role when the test binary re-executes itself.
const childEnv = "HCSCAN_STORE_CHILD"

// mountTmpfs mounts a tmpfs of size bytes, or skips when this machine
// does not let the test mount (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the file-size-limit test covers disk full")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the file-size-limit test covers disk full", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// bigRecord is a record with long (masked) fields, so the disk fills fast.
func bigRecord(i int) *healthcode.Record {
	r := rec(i, t0.Add(time.Duration(i)*time.Second), healthcode.VerdictPass)
	r.ManualReason = strings.Repeat("x", 900)
	return r
}

func TestDiskFullAppendFailsCleanly(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	path := filepath.Join(dir, "hcscan.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var saved []string
	for i := 0; i < 20; i++ {
		r := bigRecord(i)
		mustAppend(t, s, r)
		saved = append(saved, r.ID)
	}
	// Ballast takes the rest of the disk, so the operator can free it later.
	ballast := filepath.Join(dir, "ballast")
	f, _ := os.Create(ballast)
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	var failed *healthcode.Record
	for i := 20; i < 20000; i++ {
		r := bigRecord(i)
		err = s.Append(context.Background(), r)
		if err != nil {
			failed = r
			break
		}
		saved = append(saved, r.ID)
	}
	if failed == nil {
		t.Fatal("the disk never filled")
	}
	if !errors.Is(err, ErrDiskFull) || !errors.Is(err, ErrNotSaved) || !strings.Contains(err.Error(), "has no room left") {
		t.Fatalf("append on a full disk: %v", err)
	}
	t.Logf("%d records saved before: %v", len(saved), err)
	if failed.Seq != 0 {
		t.Fatal("the failed record kept a sequence number")
	}
	if _, err := s.ByID(failed.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the failed record is readable: %v", err)
	}
	if n, _ := s.Count(); n != len(saved) {
		t.Fatalf("count = %d, saved %d", n, len(saved))
	}
	if n, _ := s.Pending(); n != len(saved) {
		t.Fatalf("pending = %d, saved %d", n, len(saved))
	}
	// Still full: fails again, the same way, without damage.
	if err := s.Append(context.Background(), bigRecord(99999)); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("second append on a full disk: %v", err)
	}
	// The operator frees space: the same process saves again.
	os.Remove(ballast)
	again := bigRecord(100000)
	if err := s.Append(context.Background(), again); err != nil {
		t.Fatalf("append after freeing space: %v", err)
	}
	saved = append(saved, again.ID)
	s.Close()
	checkFile(t, path)
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range saved {
		if _, err := s.ByID(id); err != nil {
			t.Fatalf("saved record %s lost: %v", id, err)
		}
	}
	if n, _ := s.Count(); n != len(saved) {
		t.Fatalf("count after reopen = %d, want %d", n, len(saved))
	}
}

func TestReadOnlyMediaGivesClearError(t *testing.T) {
	dir := mountTmpfs(t, "4m")
	path := filepath.Join(dir, "hcscan.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rec(1, t0, healthcode.VerdictPass)
	mustAppend(t, s, r)
	s.Close()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("open on read-only media: %v", err)
	}
	// Reading (doctor, export) still works.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open on read-only media: %v", err)
	}
	defer ro.Close()
	if _, err := ro.ByID(r.ID); err != nil {
		t.Fatal(err)
	}
}

// TestDiskFullByFileSizeLimit runs where mounting is not allowed too: a
// child process sets RLIMIT_FSIZE and appends until the limit.
func TestDiskFullByFileSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hcscan.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreChild$")
	cmd.Env = append(os.Environ(), childEnv+"=fsize", "HCSCAN_STORE_PATH="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var saved []string
	var failure string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "SAVED "):
			saved = append(saved, strings.TrimPrefix(line, "SAVED "))
		case strings.HasPrefix(line, "FAILED "):
			failure = line
		}
	}
	if len(saved) == 0 || !strings.Contains(failure, "diskfull=true") || !strings.Contains(failure, "has no room left") {
		t.Fatalf("child saved %d, failure %q", len(saved), failure)
	}
	checkFile(t, path)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range saved {
		if _, err := s.ByID(id); err != nil {
			t.Fatalf("saved record %s lost: %v", id, err)
		}
	}
	if n, _ := s.Count(); n != len(saved) {
		t.Fatalf("count = %d, child saved %d", n, len(saved))
	}
}

// TestStoreChild is the child process of the fault tests; it does nothing
// in a normal run.
func TestStoreChild(t *testing.T) {
	role := os.Getenv(childEnv)
	if role == "" {
		t.Skip("helper process for the fault tests")
	}
	path := os.Getenv("HCSCAN_STORE_PATH")
	switch role {
	case "open":
		openChild(path)
	case "fsize":
		lim := syscall.Rlimit{Cur: 512 << 10, Max: 512 << 10}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Printf("FAILED setrlimit: %v\n", err)
			os.Exit(3)
		}
		s, err := Open(path, Options{})
		if err != nil {
			fmt.Printf("FAILED open: %v\n", err)
			os.Exit(3)
		}
		for i := 0; i < 100000; i++ {
			r := bigRecord(i)
			if err := s.Append(context.Background(), r); err != nil {
				fmt.Printf("FAILED diskfull=%v %v\n", errors.Is(err, ErrDiskFull), err)
				break
			}
			fmt.Printf("SAVED %s\n", r.ID)
		}
		s.Close()
		os.Exit(0)
	case "crash":
		s, err := Open(path, Options{Timeout: 10 * time.Second})
		if err != nil {
			fmt.Printf("FAILED open: %v\n", err)
			os.Exit(3)
		}
		// Several writers at once, so group commits are killed too.
		var mu gosync.Mutex
		for w := 0; w < 4; w++ {
			go func(w int) {
				for i := 0; ; i++ {
					r := rec(w*1_000_000+i, time.Now(), healthcode.VerdictPass)
					if err := s.Append(context.Background(), r); err != nil {
						fmt.Printf("FAILED %v\n", err)
						os.Exit(3)
					}
					mu.Lock()
					os.Stdout.WriteString(r.ID + "\n")
					mu.Unlock()
				}
			}(w)
		}
		select {}
	}
}

// TestCrashLosesNothingAcknowledged kills an appending child with SIGKILL
// at random moments; every id it printed (after Append returned) must be
// in the file, and the file must pass bbolt's check.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hcscan.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	budget := time.Now().Add(12 * time.Second)
	var printed []string
	kills := 0
	for kills < 60 && time.Now().Before(budget) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStoreChild$")
		cmd.Env = append(os.Environ(), childEnv+"=crash", "HCSCAN_STORE_PATH="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		first, ok := <-lines
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("child printed nothing")
		}
		got := []string{first}
		timer := time.After(time.Duration(rng.IntN(150)) * time.Millisecond)
	run:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break run
				}
				got = append(got, l)
			case <-timer:
				cmd.Process.Signal(syscall.SIGKILL)
				timer = nil
			}
		}
		cmd.Wait()
		kills++
		for _, l := range got {
			if strings.HasPrefix(l, "FAILED") {
				t.Fatalf("child: %s", l)
			}
		}
		printed = append(printed, got...)

		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("open after kill %d: %v", kills, err)
		}
		for _, id := range got {
			if _, err := s.ByID(id); err != nil {
				s.Close()
				t.Fatalf("kill %d: record %s was acknowledged by Append but is gone: %v", kills, id, err)
			}
		}
		count, _ := s.Count()
		pending, _ := s.Pending()
		batch, _ := s.PendingBatch(count + 10)
		s.Close()
		if count < len(printed) || pending != count || len(batch) != count {
			t.Fatalf("kill %d: count %d, pending %d, outbox %d, printed %d", kills, count, pending, len(batch), len(printed))
		}
		checkFile(t, path)
	}
	t.Logf("%d kills, %d acknowledged appends, all present", kills, len(printed))
	if kills < 10 {
		t.Fatalf("only %d kills in the time budget", kills)
	}
}
