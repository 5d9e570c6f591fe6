package trustclock

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// bootClock is CLOCK_BOOTTIME with the kernel's id of this boot. Unlike
// Go's own monotonic clock (CLOCK_MONOTONIC) it keeps counting while the
// laptop is suspended, so a night closed in a drawer does not put the
// trusted time behind; and with the boot id, a time it carries survives
// a restart of hcscan (not of the machine).
func bootClock() (mono func() time.Duration, boot string, ok bool) {
	read := func() (time.Duration, error) {
		var ts unix.Timespec
		err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
		return time.Duration(ts.Nano()), err
	}
	if _, err := read(); err != nil {
		return nil, "", false
	}
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return nil, "", false
	}
	return func() time.Duration { d, _ := read(); return d }, strings.TrimSpace(string(b)), true
}
