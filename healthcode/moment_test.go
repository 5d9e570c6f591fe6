package healthcode

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

// When the laptop's clock is behind a time already seen and the province
// has not confirmed the time, the verdict never rests on a guess: a code
// that had provably expired is refused, anything else that verifies is a
// provisional pass (not a pass, not an expired or "not yet valid" refusal).
func TestVerifyAtWithAClockBehindWhatWasSeen(t *testing.T) {
	w := newWorld(t)
	floor := w.now.Add(-2 * time.Hour)   // the last sync: the province's time then
	wall := w.now.Add(-30 * time.Hour)   // the laptop's clock was set back a day and more
	seen := w.now.Add(-10 * time.Minute) // the last record
	behind := Moment{Now: seen, Wall: wall, Floor: floor, Seen: seen}
	if !behind.Behind() || behind.Source() != TimeDeviceBehind {
		t.Fatalf("moment %+v: Behind %v, source %s", behind, behind.Behind(), behind.Source())
	}
	code := func(issued time.Time, validity time.Duration) string {
		c, err := NewClaims(rand.Reader, 110105, Green, "张三丰", "110105199001011234", "zh", issued, validity)
		if err != nil {
			t.Fatal(err)
		}
		return w.issue(t, c)
	}
	policy := Policy{StaleAfter: 24 * time.Hour}
	cases := []struct {
		name        string
		payload     string
		valid       bool
		reason      Reason
		provisional bool
	}{
		{"valid by any account", code(w.now.Add(-time.Hour), 72*time.Hour), true, ReasonOK, true},
		{"issued after the laptop's clock (not yet valid by it)", code(w.now.Add(-20*time.Hour), 72*time.Hour), true, ReasonOK, true},
		{"expired after the floor: maybe still valid", code(w.now.Add(-72*time.Hour), 71*time.Hour), true, ReasonOK, true},
		{"expired before the province's time at the last sync", code(w.now.Add(-80*time.Hour), 72*time.Hour), false, ReasonExpired, false},
	}
	for _, tc := range cases {
		v := w.verifier()
		v.StatusFetched = seen // fresh by the guess, but its age is unknown
		res := v.VerifyAt(tc.payload, behind)
		d := policy.Decide(res, 0, false)
		if res.Valid != tc.valid || res.Reason != tc.reason || d.Provisional != tc.provisional {
			t.Errorf("%s: valid %v reason %s provisional %v; want %v %s %v", tc.name, res.Valid, res.Reason, d.Provisional, tc.valid, tc.reason, tc.provisional)
		}
		if tc.valid && (!res.ClockUnsure || !res.StatusStale) {
			t.Errorf("%s: ClockUnsure %v StatusStale %v, want both", tc.name, res.ClockUnsure, res.StatusStale)
		}
	}

	// Confirmed, the same laptop clock does not matter: Now is the province's.
	ok := Moment{Now: w.now, Wall: wall, Confirmed: true, Synced: floor, Floor: floor, Seen: seen}
	v := w.verifier()
	if res := v.VerifyAt(code(w.now.Add(-20*time.Hour), 72*time.Hour), ok); !res.Valid || res.ClockUnsure || res.StatusStale {
		t.Errorf("confirmed moment: %+v", res)
	}
	if res := v.VerifyAt(code(w.now.Add(-74*time.Hour), 72*time.Hour), ok); res.Reason != ReasonExpired {
		t.Errorf("confirmed moment, code expired 2 h ago: %s", res.Reason)
	}
}

// A live code is judged by the moment's time, its age bounded from below
// only when the clock is unsure.
func TestLiveCodeAgeByTheMoment(t *testing.T) {
	w := newWorld(t)
	hpub, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	c := w.claims(t, Green, "zh")
	c.HolderKey = hpub
	cred := w.issue(t, c)
	present := func(at time.Time) string {
		p, err := Present(cred, hpriv, at)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, off := range []time.Duration{100 * time.Second, -100 * time.Second} {
		m := Moment{Now: w.now, Wall: w.now.Add(off), Confirmed: true}
		if res := w.verifier().VerifyAt(present(w.now.Add(-5*time.Second)), m); !res.Valid {
			t.Errorf("laptop clock %v off, confirmed: %s", off, res.Reason)
		}
	}
	behind := Moment{Now: w.now, Wall: w.now.Add(-time.Hour), Floor: w.now.Add(-10 * time.Minute), Seen: w.now}
	if res := w.verifier().VerifyAt(present(w.now.Add(-5*time.Second)), behind); !res.Valid || !res.ClockUnsure {
		t.Errorf("behind, fresh presentation: %s unsure %v", res.Reason, res.ClockUnsure)
	}
	if res := w.verifier().VerifyAt(present(w.now.Add(-15*time.Minute)), behind); res.Reason != ReasonStalePresentation {
		t.Errorf("behind, presented before the floor: %s", res.Reason)
	}
}

// Status data fetched after the moment (the clock went back since) is of
// unknown age: stale, never fresh.
func TestStatusFetchedInTheFutureIsStale(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	v.StatusFetched = w.now.Add(time.Hour)
	res := v.VerifyAt(w.issue(t, w.claims(t, Green, "zh")), Moment{Now: w.now, Wall: w.now, Confirmed: true})
	if !res.Valid || !res.StatusStale {
		t.Fatalf("valid %v stale %v", res.Valid, res.StatusStale)
	}
}

func TestMomentStampsRecords(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	m := Moment{Now: now, Wall: now.Add(-24 * time.Hour), Confirmed: true, Synced: now.Add(-time.Hour), Jump: -time.Hour}
	var r Record
	m.Stamp(&r)
	if !r.Time.Equal(m.Wall) || !r.CorrectedTime.Equal(now) || r.ClockOffset != 24*time.Hour || r.TimeSource != TimeProvince || r.ClockJump != -time.Hour {
		t.Fatalf("%+v", r)
	}
	if !r.When().Equal(now) {
		t.Fatalf("When %v", r.When())
	}
	m.Jump = time.Second // within the tolerance: not a jump
	m.Stamp(&r)
	if r.ClockJump != 0 {
		t.Fatalf("jump of 1 s marked: %v", r.ClockJump)
	}
}
