package trustclock_test

import (
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/trustclock"
	"hcscan/store"
)

// machine is a laptop whose wall clock anyone can set, with a monotonic
// clock nobody can: tests move them apart.
type machine struct {
	mu   gosync.Mutex
	wall time.Time
	mono time.Duration
	boot string
}

func (m *machine) Wall() time.Time     { m.mu.Lock(); defer m.mu.Unlock(); return m.wall }
func (m *machine) Mono() time.Duration { m.mu.Lock(); defer m.mu.Unlock(); return m.mono }
func (m *machine) Boot() string        { m.mu.Lock(); defer m.mu.Unlock(); return m.boot }

// pass lets d go by on both clocks.
func (m *machine) pass(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wall, m.mono = m.wall.Add(d), m.mono+d
}

// set moves the wall clock only, as someone setting the clock does.
func (m *machine) set(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wall = m.wall.Add(d)
}

// province is the true time of these tests.
var province = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sync answers one request as a server at the true time truth would,
// taking rtt there and back.
func sync(c *trustclock.Clock, m *machine, truth time.Time, rtt time.Duration) {
	sent := m.Mono()
	m.pass(rtt)
	c.Observe(truth.Add(rtt/2), sent, m.Mono())
}

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d < 5*time.Millisecond && d > -5*time.Millisecond
}

func TestWithoutASyncTheLaptopClockIsUsedAndSaysSo(t *testing.T) {
	m := &machine{wall: province.Add(-24 * time.Hour), mono: time.Hour, boot: "b1"}
	c := trustclock.New(m, trustclock.Options{})
	mo := c.Moment()
	if mo.Confirmed || !mo.Now.Equal(m.wall) || mo.Source() != healthcode.TimeDevice || mo.Behind() || mo.Jumped() {
		t.Fatalf("%+v", mo)
	}
}

func TestSyncedTimeIsCarriedByTheMonotonicClock(t *testing.T) {
	st := openStore(t)
	m := &machine{wall: province.Add(-24 * time.Hour), mono: time.Hour, boot: "b1"}
	c := trustclock.New(m, trustclock.Options{Settings: st})
	sync(c, m, province, 40*time.Millisecond)
	truth := province.Add(40 * time.Millisecond)
	mo := c.Moment()
	if !mo.Confirmed || !near(mo.Now, truth) || mo.Offset() < 24*time.Hour-time.Second || mo.Source() != healthcode.TimeProvince {
		t.Fatalf("after a sync: %+v (offset %v)", mo, mo.Offset())
	}
	m.pass(3 * time.Hour)
	truth = truth.Add(3 * time.Hour)
	if mo := c.Moment(); !near(mo.Now, truth) || mo.Jumped() {
		t.Fatalf("3 h later: now %v, want %v; jump %v", mo.Now, truth, mo.Jump)
	}

	// Set back an hour while offline, then again: the trusted time does not
	// move, the jump is seen at the first look after each.
	m.set(-time.Hour)
	m.pass(time.Second)
	truth = truth.Add(time.Second)
	mo = c.Moment()
	if !near(mo.Now, truth) || !mo.Jumped() || mo.Jump > -time.Hour+time.Second || mo.Jump < -time.Hour-time.Second {
		t.Fatalf("after a set back: now %v want %v, jump %v", mo.Now, truth, mo.Jump)
	}
	m.set(-time.Hour)
	if mo := c.Moment(); !near(mo.Now, truth) || mo.Jump > -2*time.Hour+time.Second {
		t.Fatalf("after a second set back: now %v want %v, jump %v", mo.Now, truth, mo.Jump)
	}
	var r healthcode.Record
	c.Moment().Stamp(&r)
	if !near(r.CorrectedTime, truth) || r.ClockJump > -2*time.Hour+time.Second || r.TimeSource != healthcode.TimeProvince {
		t.Fatalf("record stamped %+v", r)
	}

	// A sync takes the new offset; the clock is no longer "moved" since it.
	sync(c, m, truth, 20*time.Millisecond)
	truth = truth.Add(20 * time.Millisecond)
	if mo := c.Moment(); mo.Jumped() || !near(mo.Now, truth) {
		t.Fatalf("after the next sync: %+v", mo)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same boot: still the province's time.
	m.pass(10 * time.Minute)
	truth = truth.Add(10 * time.Minute)
	c2 := trustclock.New(m, trustclock.Options{Settings: st})
	if mo := c2.Moment(); !mo.Confirmed || !near(mo.Now, truth) {
		t.Fatalf("restart on the same boot: %+v want %v", mo, truth)
	}

	// After a reboot the monotonic count starts again: the laptop's clock,
	// said so; being more than a day behind the last sync it is Behind,
	// and the province's time then is the floor.
	m.boot, m.mono = "b2", 5*time.Minute
	c3 := trustclock.New(m, trustclock.Options{Settings: st})
	mo = c3.Moment()
	if mo.Confirmed || !mo.Behind() || mo.Floor.Sub(truth.Add(-10*time.Minute)).Abs() > 20*time.Millisecond || mo.Source() != healthcode.TimeDeviceBehind {
		t.Fatalf("after a reboot: %+v", mo)
	}
}

func TestASlowReplyDoesNotReplaceAGoodOne(t *testing.T) {
	m := &machine{wall: province, mono: time.Hour, boot: "b1"}
	c := trustclock.New(m, trustclock.Options{})
	sync(c, m, province, 10*time.Millisecond)
	// A reply that took 3 s, whose server time is 1 s off by the delay.
	sent := m.Mono()
	m.pass(3 * time.Second)
	if _, ok := c.Observe(province.Add(10*time.Millisecond+2500*time.Millisecond), sent, m.Mono()); ok {
		t.Fatal("a 3 s round trip replaced a 10 ms one")
	}
	if mo := c.Moment(); !near(mo.Now, province.Add(3010*time.Millisecond)) {
		t.Fatalf("now %v", mo.Now)
	}
	m.pass(2 * time.Minute)
	sent = m.Mono()
	m.pass(3 * time.Second)
	if _, ok := c.Observe(province.Add(2*time.Minute+4510*time.Millisecond), sent, m.Mono()); !ok {
		t.Fatal("a slow reply did not replace one two minutes old")
	}
}

// A slow reply that shows the anchor wrong (the province's clock was
// stepped, or a test moved it) replaces it at once: keeping the anchor
// would sign every request with a time the server refuses.
func TestASlowReplyThatShowsTheAnchorWrongReplacesIt(t *testing.T) {
	m := &machine{wall: province, mono: time.Hour, boot: "b1"}
	c := trustclock.New(m, trustclock.Options{})
	sync(c, m, province, 5*time.Millisecond)
	stepped := province.Add(16 * time.Hour)
	sent := m.Mono()
	m.pass(400 * time.Millisecond)
	if _, ok := c.Observe(stepped.Add(200*time.Millisecond), sent, m.Mono()); !ok {
		t.Fatal("a 400 ms reply 16 h away from the anchor was ignored")
	}
	if mo := c.Moment(); !near(mo.Now, stepped.Add(400*time.Millisecond)) {
		t.Fatalf("now %v, want about %v", mo.Now, stepped)
	}
}

// Without a sync, a laptop clock set back during the run, or behind the
// last record, is not believed: the moment is Behind and carries on from
// what was seen.
func TestAClockBehindWhatWasSeenIsNotBelieved(t *testing.T) {
	m := &machine{wall: province, mono: time.Hour, boot: "b1"}
	c := trustclock.New(m, trustclock.Options{})
	c.Moment()
	m.pass(time.Minute)
	m.set(-time.Hour)
	mo := c.Moment()
	if !mo.Behind() || !near(mo.Now, province.Add(time.Minute)) || !mo.Floor.IsZero() || !mo.Jumped() {
		t.Fatalf("set back without a sync: %+v", mo)
	}

	last := province.Add(2 * time.Hour) // the data file's last record
	m2 := &machine{wall: province, mono: time.Hour, boot: "b1"}
	c2 := trustclock.New(m2, trustclock.Options{Seen: func() (time.Time, error) { return last, nil }})
	if mo := c2.Moment(); !mo.Behind() || !mo.Now.Equal(last) {
		t.Fatalf("behind the last record: %+v", mo)
	}

	// A code signed by the province with a later issue time is a floor.
	m3 := &machine{wall: province, mono: time.Hour, boot: "b1"}
	c3 := trustclock.New(m3, trustclock.Options{})
	c3.Saw(province.Add(time.Hour))
	if mo := c3.Moment(); !mo.Behind() || !mo.Floor.Equal(province.Add(time.Hour)) {
		t.Fatalf("after a code issued an hour ahead: %+v", mo)
	}
}
