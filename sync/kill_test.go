package sync

import (
	"bufio"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGKILLDuringUploadLosesAndDuplicatesNothing kills the scanner
// process with SIGKILL at random moments while it uploads (between a
// request and its reply, between the reply and the outbox commit, inside
// commits) and starts it again, many times. In the end every record is on
// the server exactly once and the outbox is empty.
func TestSIGKILLDuringUploadLosesAndDuplicatesNothing(t *testing.T) {
	const records = 4000
	w := newWorld(t)
	dir := t.TempDir()
	st := openStore(t, dir)
	data := st.Path()
	if _, err := Enroll(t.Context(), st, EnrollOptions{ServerURL: w.URL, Token: w.token("第一中学", "north gate")}); err != nil {
		t.Fatal(err)
	}
	ids := fill(t, st, records)
	if err := st.Close(); err != nil { // the child takes the file
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	killedMidUpload := 0
	var progress []string // where each run was when it was killed
	for run := 0; run < 40 && killedMidUpload < 15; run++ {
		cmd := childCommand(t, "kill", data)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Wait until it is uploading (first progress line), then let it
		// run a random while and kill it.
		first, ok := <-lines
		if !ok || !strings.HasPrefix(first, "progress") {
			cmd.Wait()
			t.Fatalf("run %d: child said %q before uploading", run, first)
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		finished, last := false, first
		for l := range lines {
			if r, ok := parseResult(l); ok && r.Error == "" {
				finished = true
			}
			last = l
		}
		progress = append(progress, strings.TrimPrefix(last, "progress "))
		cmd.Wait()
		if finished {
			break // it got everything out before the kill
		}
		killedMidUpload++
	}
	if killedMidUpload < 5 {
		t.Fatalf("only %d runs were killed during an upload", killedMidUpload)
	}

	// Start it once more and let it finish.
	cmd := childCommand(t, "kill", data)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, outb)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	if r, ok := parseResult(lines[len(lines)-1]); !ok || r.Error != "" {
		t.Fatalf("final run: %s", lines[len(lines)-1])
	}
	t.Logf("killed %d times during uploads, at (sent total): %s", killedMidUpload, strings.Join(progress, ", "))

	st = openStore(t, filepath.Dir(data))
	w.assertExactlyOnce(t, st, ids)
}
