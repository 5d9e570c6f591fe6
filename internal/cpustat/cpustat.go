// Package cpustat reads the CPU time processes have used, from Linux's
// /proc, so a benchmark can state what one operation costs in CPU (its
// servers', its database's, its own) whatever else runs on the machine:
// latency and throughput on a shared machine depend on the load, CPU time
// per operation hardly does.
package cpustat

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of the times in /proc/PID/stat
// (100 on every Linux architecture Go builds for).
const ticksPerSecond = 100

// Process is the user and system time process pid has used, with that of
// its children it has waited for (exited backends of a database, say).
func Process(pid int) (time.Duration, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	s := string(data)
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// After comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
	if len(f) < 15 {
		return 0, fmt.Errorf("cpu time of process %d: short stat line", pid)
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / ticksPerSecond, nil
}

// Tree is the CPU time of pid and of every process below it, living or
// waited for: a PostgreSQL server is its postmaster and the backends it
// forked.
func Tree(pid int) (time.Duration, error) {
	total, err := Process(pid)
	if err != nil {
		return 0, err
	}
	kids := parents()
	todo := kids[pid]
	for len(todo) > 0 {
		c := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], kids[c]...)
		if t, err := Process(c); err == nil { // else it ended meanwhile: its time went to its parent
			total += t
		}
	}
	return total, nil
}

// Self is the CPU time of the calling process (all its threads).
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Children lists the processes whose parent is pid.
func Children(pid int) []int {
	return parents()[pid]
}

// parents maps each process id to its children's, from one pass over /proc.
func parents() map[int][]int {
	entries, _ := os.ReadDir("/proc")
	out := map[int][]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			out[ppid] = append(out[ppid], n)
		}
	}
	return out
}
