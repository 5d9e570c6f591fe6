package sync

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hcscan/store"
)

// The kill test and the benchmark run the scanner's side in a child
// process: this test binary, re-executed with HCSCAN_SYNC_CHILD set.
const childEnv = "HCSCAN_SYNC_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode, os.Getenv("HCSCAN_SYNC_DATA")))
	}
	os.Exit(m.Run())
}

// childResult is what a child prints last, as JSON on one line.
type childResult struct {
	Seconds float64 `json:"seconds"`
	HWMKiB  int64   `json:"hwm_kib"`
	Stored  int     `json:"stored"`
	Dups    int     `json:"dups"`
	// CPUSeconds is the child's user+system CPU time (for the log: on a
	// busy machine wall time alone does not say where the time went).
	CPUSeconds float64 `json:"cpu_seconds"`
	Error      string  `json:"error,omitempty"`
}

// childMain opens the data file and syncs once, printing "progress SENT
// TOTAL" after each batch and the result at the end.
func childMain(mode, data string) int {
	batch := 0
	if mode == "kill" {
		batch = 50 // many small batches: more places to be killed in
	}
	st, err := store.Open(data, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer st.Close()
	if p := os.Getenv("HCSCAN_SYNC_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	start := time.Now()
	c, err := New(st, Options{BatchSize: batch})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	out := bufio.NewWriter(os.Stdout)
	rep, err := c.SyncOnce(context.Background(), func(sent, total int) {
		if mode == "kill" {
			fmt.Fprintf(out, "progress %d %d\n", sent, total)
			out.Flush()
		}
	})
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	res := childResult{Seconds: time.Since(start).Seconds(), HWMKiB: vmHWM(), Stored: rep.Stored, Dups: rep.Duplicates,
		CPUSeconds: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()}
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	fmt.Fprintf(out, "result %s\n", b)
	out.Flush()
	if err != nil {
		return 1
	}
	return 0
}

// vmHWM is this process's peak resident set size (/proc/self/status).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kib
		}
	}
	return -1
}

// childCommand prepares a child scanner process syncing the data file.
func childCommand(t testing.TB, mode, data string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "HCSCAN_SYNC_DATA="+data)
	cmd.Stderr = os.Stderr
	return cmd
}

func parseResult(line string) (childResult, bool) {
	rest, ok := strings.CutPrefix(line, "result ")
	if !ok {
		return childResult{}, false
	}
	var r childResult
	return r, json.Unmarshal([]byte(rest), &r) == nil
}
