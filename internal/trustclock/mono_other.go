//go:build !linux

package trustclock

import "time"

// bootClock: no boot clock here; the trusted time lasts as long as the
// process.
func bootClock() (mono func() time.Duration, boot string, ok bool) { return nil, "", false }
