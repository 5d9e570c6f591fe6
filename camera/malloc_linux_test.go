//go:build linux && cgo

package camera

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// inChild runs the test named name again in a child process whose
// environment has no OPENCV_* or MALLOC_* variables, plus extra. The child
// sees HCSCAN_ALLOC_CHILD=1.
func inChild(t *testing.T, name string, extra ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENCV_") && !strings.HasPrefix(kv, "MALLOC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "HCSCAN_ALLOC_CHILD=1"), extra...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// Importing camera changes nothing in the process: no environment
// variable is set and glibc's allocator keeps its dynamic mmap threshold
// (a megabyte block comes from the heap once a larger block was freed).
// Each probe of the allocator runs in a fresh child: it changes the heap.
func TestImportChangesNothing(t *testing.T) {
	if os.Getenv("HCSCAN_ALLOC_CHILD") != "1" {
		inChild(t, "TestImportChangesNothing")
		return
	}
	for _, k := range []string{"OPENCV_LOG_LEVEL", "OPENCV_FFMPEG_LOGLEVEL"} {
		if v, set := os.LookupEnv(k); set {
			t.Errorf("importing camera set %s=%s", k, v)
		}
	}
	if largeBlocksMapped() {
		t.Fatal("the mmap threshold is pinned although TuneAllocator was not called")
	}
}

// TuneAllocator pins the threshold: a megabyte block is mapped on its own
// even after a larger one was freed.
func TestTuneAllocatorPinsTheThreshold(t *testing.T) {
	if os.Getenv("HCSCAN_ALLOC_CHILD") != "1" {
		inChild(t, "TestTuneAllocatorPinsTheThreshold")
		return
	}
	if !TuneAllocator() {
		t.Fatal("TuneAllocator did not change glibc's allocator")
	}
	if !largeBlocksMapped() {
		t.Fatal("after TuneAllocator a 1 MiB block still comes from the heap once a 4 MiB block was freed")
	}
}

// An operator's MALLOC_MMAP_THRESHOLD_ stands: TuneAllocator leaves it.
func TestTuneAllocatorKeepsTheOperatorsThreshold(t *testing.T) {
	if os.Getenv("HCSCAN_ALLOC_CHILD") != "1" {
		inChild(t, "TestTuneAllocatorKeepsTheOperatorsThreshold", "MALLOC_MMAP_THRESHOLD_=8388608")
		return
	}
	if TuneAllocator() {
		t.Fatal("TuneAllocator overrode MALLOC_MMAP_THRESHOLD_")
	}
	// 8 MiB from the environment: a 1 MiB block stays in the heap.
	if largeBlocksMapped() {
		t.Fatal("the operator's 8 MiB threshold was not kept")
	}
}
