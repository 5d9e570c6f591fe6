//go:build linux

package main

import "syscall"

// childProcAttr puts the demo's server in its own process group, so that a
// terminal's signals reach only the demo (which stops the server in order),
// and has the kernel kill it should the demo die without doing so.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
