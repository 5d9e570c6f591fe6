//go:build fakeclock

package trustclock

import (
	"os"
	"strings"
	"time"
)

// Fake reports whether this is the test build whose wall clock a file moves.
const Fake = true

// System is the machine's clocks, shifted as the file named by
// $HCSCAN_FAKECLOCK says (the test build only).
func System() Source {
	path := os.Getenv(FakeEnv)
	if path == "" {
		return machine()
	}
	return fakeSource{real: machine(), path: path}
}

type fakeSource struct {
	real osSource
	path string
}

func (f fakeSource) setting(name string) string {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && k == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (f fakeSource) Wall() time.Time {
	d, _ := time.ParseDuration(f.setting("wall"))
	return f.real.Wall().Add(d)
}

func (f fakeSource) Mono() time.Duration { return f.real.Mono() }

func (f fakeSource) Boot() string {
	if b := f.setting("boot"); b != "" {
		return b
	}
	return f.real.Boot()
}
