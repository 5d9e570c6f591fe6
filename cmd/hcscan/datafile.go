package main

import (
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"hcscan/internal/trustclock"
	"hcscan/store"
)

// dataPath is the scanner's data file: the --data flag when given, else
// hcscan.db in the configuration's data directory (whose default is
// $XDG_DATA_HOME/hcscan or ~/.local/share/hcscan). Every command finds the
// file the same way.
func dataPath(flagValue string, cfg Config) string {
	if flagValue != "" {
		return flagValue
	}
	return filepath.Join(cfg.Data.Dir, "hcscan.db")
}

// openData opens the data file with the trusted clock over it: the clock
// keeps the province's time in the file, and the file stamps its own
// times (alerts, dead letters, acknowledgements, PIN lock-outs) and counts
// "today" in the institution's zone by that clock. opts.Now and
// opts.Location are set here.
func openData(path string, src trustclock.Source, loc *time.Location, opts store.Options) (*store.Store, *trustclock.Clock, error) {
	if src == nil {
		src = trustclock.System()
	}
	// The clock reads the file it stamps for: until it is made, the file
	// gets the laptop's clock (only schema set-up runs before).
	var clk atomic.Pointer[trustclock.Clock]
	opts.Now = func() time.Time {
		if c := clk.Load(); c != nil {
			return c.Now()
		}
		return src.Wall()
	}
	opts.Location = loc
	st, err := store.Open(path, opts)
	if err != nil {
		return nil, nil, err
	}
	c := newTrustedClock(src, st, opts.Logger)
	clk.Store(c)
	return st, c, nil
}

// newTrustedClock is the time decisions use, kept in the data file st: the
// province's time carried since the last sync, else the laptop's clock,
// not believed when it is behind what st has seen.
func newTrustedClock(src trustclock.Source, st *store.Store, log *slog.Logger) *trustclock.Clock {
	if src == nil {
		src = trustclock.System()
	}
	return trustclock.New(src, trustclock.Options{Settings: st, Seen: st.LatestSeen, Log: log})
}
