package cpustat

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// A process's time grows as it works; a tree counts a child that is
// running, and a child waited for counts in its parent.
func TestProcessAndTree(t *testing.T) {
	self := os.Getpid()
	before, err := Process(self)
	if err != nil {
		t.Fatal(err)
	}
	if Self() <= 0 {
		t.Error("Self says no time was used")
	}
	// A child that keeps a CPU busy until killed.
	child := exec.Command("sh", "-c", "while :; do :; done")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	var childTime time.Duration
	for deadline := time.Now().Add(20 * time.Second); childTime < 50*time.Millisecond; time.Sleep(10 * time.Millisecond) {
		if childTime, err = Process(child.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the busy child used %s in 20 s", childTime)
		}
	}
	if !slices.Contains(Children(self), child.Process.Pid) {
		t.Errorf("children of %d: %v, want %d among them", self, Children(self), child.Process.Pid)
	}
	tree, err := Tree(self)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := Process(self)
	if tree < own+childTime {
		t.Errorf("tree %s < own %s + running child %s", tree, own, childTime)
	}
	child.Process.Kill()
	child.Wait()
	after, _ := Process(self)
	if after-before < childTime {
		t.Errorf("after waiting for the child, the process counts %s more, want at least the child's %s", after-before, childTime)
	}
	if _, err := Process(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
