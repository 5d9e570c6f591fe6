//go:build !linux

package main

import "syscall"

// childProcAttr puts the demo's server in its own process group, so that a
// terminal's signals reach only the demo, which stops the server in order.
// (Only Linux can also have the kernel kill it if the demo dies.)
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
