package trustclock

import (
	"crypto/rand"
	"encoding/hex"
	gosync "sync"
	"time"
)

// Source is where the scanner reads its clocks. The program uses System;
// tests give their own, with a wall clock that disagrees with the
// monotonic one.
type Source interface {
	// Wall is the laptop's clock as someone set it (by hand, by NTP, or
	// by a dead battery); it can jump either way at any moment.
	Wall() time.Time
	// Mono counts time since the machine booted, suspend included; nobody
	// can set it, so it never jumps.
	Mono() time.Duration
	// Boot names the current boot: a Mono reading from another boot
	// means nothing in this one.
	Boot() string
}

// FakeEnv names the file that moves the clocks of the test build (-tags
// fakeclock; the shipped build never reads it): lines "wall DURATION" (the
// laptop's clock is this far from the real time; the file is read at every
// look, so a test can set the clock back while the program runs) and
// "boot NAME" (pretend the machine booted again). The monotonic clock is
// the machine's.
const FakeEnv = "HCSCAN_FAKECLOCK"

// osSource is the machine's clocks: the boot clock where the system has
// one (see mono_linux.go), else Go's monotonic clock since the process
// started, named after the process so that no other process takes its
// readings for its own.
type osSource struct {
	mono func() time.Duration
	boot string
}

var machine = gosync.OnceValue(func() osSource {
	if mono, boot, ok := bootClock(); ok {
		return osSource{mono: mono, boot: boot}
	}
	start := time.Now()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return osSource{mono: func() time.Duration { return time.Since(start) }, boot: "process-" + hex.EncodeToString(b)}
})

func (s osSource) Wall() time.Time     { return time.Now().Round(0) }
func (s osSource) Mono() time.Duration { return s.mono() }
func (s osSource) Boot() string        { return s.boot }
