package server

import (
	"context"
	"net"
	gosync "sync"
	"time"

	"golang.org/x/net/netutil"
	"golang.org/x/sync/semaphore"
)

// Limits bound what the requests of one server process may hold at once,
// so that a flood of connections or of slow bodies, with or without a
// device key, costs a bounded amount of memory.
type Limits struct {
	// BodyBytes is the total size of the request bodies being received at
	// once (default 64 MiB: 16 full 4 MiB batches, some 250 ordinary
	// ones). A body waits up to BodyWait for room, then gets 503.
	BodyBytes int64
	// BodyWait is how long a body waits for room (default 2 s).
	BodyWait time.Duration
	// DeviceBodies is how many bodies one device may send at once
	// (default 4; a scanner keeps 3 batches in flight).
	DeviceBodies int
}

func (l *Limits) defaults() {
	if l.BodyBytes <= 0 {
		l.BodyBytes = 64 << 20
	}
	if l.BodyWait <= 0 {
		l.BodyWait = 2 * time.Second
	}
	if l.DeviceBodies <= 0 {
		l.DeviceBodies = 4
	}
}

// smallBody is the size under which a body is read without reserving room:
// signed GETs and enrolments.
const smallBody = 64 << 10

// bodyBudget shares Limits.BodyBytes among the bodies being received and
// counts each device's bodies.
type bodyBudget struct {
	lim   Limits
	bytes *semaphore.Weighted

	mu      gosync.Mutex
	devices map[string]int
}

func newBodyBudget(l Limits) *bodyBudget {
	return &bodyBudget{lim: l, bytes: semaphore.NewWeighted(l.BodyBytes), devices: map[string]int{}}
}

// errBusyDevice and errNoRoom say why a body was not taken.
type budgetError string

func (e budgetError) Error() string { return string(e) }

const (
	errBusyDevice budgetError = "this device is already sending as many batches as it may at once"
	errNoRoom     budgetError = "the server is receiving as much data as it takes at once"
)

// acquire reserves n bytes for a body of device, waiting up to
// Limits.BodyWait; release gives them back.
func (b *bodyBudget) acquire(ctx context.Context, device string, n int64) (release func(), err error) {
	b.mu.Lock()
	if b.devices[device] >= b.lim.DeviceBodies {
		b.mu.Unlock()
		return nil, errBusyDevice
	}
	b.devices[device]++
	b.mu.Unlock()
	done := func() {
		b.mu.Lock()
		if b.devices[device]--; b.devices[device] <= 0 {
			delete(b.devices, device)
		}
		b.mu.Unlock()
	}
	n = min(n, b.lim.BodyBytes)
	wait, cancel := context.WithTimeout(ctx, b.lim.BodyWait)
	defer cancel()
	if err := b.bytes.Acquire(wait, n); err != nil {
		done()
		return nil, errNoRoom
	}
	return func() { b.bytes.Release(n); done() }, nil
}

// LimitListener accepts at most n connections at once from ln (n <= 0:
// 4096); further clients wait in the kernel's queue until one closes.
func LimitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		n = 4096
	}
	return netutil.LimitListener(ln, n)
}
